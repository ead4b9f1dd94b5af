package config

import (
	"strings"
	"testing"
	"time"
)

func TestConfig_ValidateEID(t *testing.T) {
	tests := []struct {
		name string
		mod  func(c *Config)
		want string // "" for valid
	}{
		{"default", func(c *Config) {}, ""},
		{"no SMS is the default", func(c *Config) {
			if c.SMS.Provider != SMSNone {
				t.Errorf("default SMS provider = %q, want none (the file sender is never the default)", c.SMS.Provider)
			}
		}, ""},
		{"https gateway", func(c *Config) {
			c.SMS = SMS{Provider: SMSHTTP, URL: "https://sms.example.vn/send", Timeout: time.Second}
		}, ""},
		{"loopback http gateway", func(c *Config) {
			c.SMS = SMS{Provider: SMSHTTP, URL: "http://127.0.0.1:9000/send", Timeout: time.Second}
		}, ""},
		{"plain http gateway", func(c *Config) {
			c.SMS = SMS{Provider: SMSHTTP, URL: "http://sms.example.vn/send", Timeout: time.Second}
		}, "sms.url"},
		{"file without path", func(c *Config) { c.SMS.Provider = SMSFile }, "sms.file"},
		{"unknown provider", func(c *Config) { c.SMS.Provider = "pigeon" }, "sms.provider"},
		{"weak memory", func(c *Config) { c.EID.PasswordMemoryKiB = 1024 }, "eid.password_memory_kib"},
		{"zero passes", func(c *Config) { c.EID.PasswordTime = 0 }, "eid.password_time"},
		{"max below idle", func(c *Config) { c.EID.SessionMax = time.Minute }, "eid.session_max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error naming %s", err, tt.want)
			}
		})
	}
	c := Default()
	c.SMS.Token = "s3cret-token"
	if strings.Contains(c.String(), "s3cret") {
		t.Error("the SMS token is printed")
	}
}
