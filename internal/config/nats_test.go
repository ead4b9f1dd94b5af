package config_test

import (
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/config"
)

func TestNATSValidation(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"", false},
		{"nats://127.0.0.1:4222", false},
		{"tls://nats.example.gov.vn:4222", false},
		{"http://127.0.0.1:4222", true},
		{"nats://", true},
	}
	for _, tc := range tests {
		c := config.Default()
		c.NATS = config.DSN(tc.url)
		err := c.Validate()
		if (err != nil) != tc.wantErr {
			t.Errorf("NATS %q: Validate = %v, want error %v", tc.url, err, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "nats") {
			t.Errorf("NATS %q: error %v does not name the setting", tc.url, err)
		}
	}
	c := config.Default()
	c.NATS = "nats://user:hunter2@127.0.0.1:4222"
	if strings.Contains(c.NATS.String(), "hunter2") {
		t.Error("the NATS URL prints its password")
	}
	// Token authentication puts the secret where a user name goes.
	c.NATS = "nats://s3cr3t-token@127.0.0.1:4222"
	if got := c.NATS.String(); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "127.0.0.1:4222") {
		t.Errorf("the NATS URL with a token prints as %q", got)
	}
}
