package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestExchangeCmds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noEnv := func(string) (string, bool) { return "", false }
	run := func(cmd string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		usage := map[string]string{"agency": agencyUsage, "client": clientUsage, "grant": grantUsage}[cmd]
		subs := map[string][]string{"agency": {"add", "list"}, "client": {"add", "list", "disable", "enable", "keys"}, "grant": {"set", "list"}}[cmd]
		err := exchangeCmd(ctx, cmd, usage, subs, append(args, "--data", dir), &out, &errOut, noEnv)
		return out.String() + errOut.String(), err
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jose.JSONWebKey{Key: pub, KeyID: "2026-01"}.MarshalJSON()
	keyFile := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(keyFile, b, 0o600); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		cmd     string
		args    []string
		wantErr bool
		want    string
	}{
		{"agency", []string{"add", "--id", "vss", "--name", "Bảo hiểm xã hội Việt Nam", "--kind", "insurer"}, false, "agency vss registered"},
		{"agency", []string{"add", "--id", "vss", "--name", "x", "--kind", "insurer"}, true, ""},
		{"agency", []string{"add", "--id", "x", "--name", "x", "--kind", "spaceport"}, true, ""},
		{"agency", []string{"list"}, false, "vss  insurer  active  Bảo hiểm xã hội Việt Nam"},
		{"client", []string{"add", "--id", "vss-enrol", "--agency", "vss", "--name", "enrolment", "--jwks", keyFile}, false, "registered with 1 key(s)"},
		{"client", []string{"add", "--id", "vss-2", "--agency", "vss", "--name", "x"}, true, ""},
		{"client", []string{"list", "--agency", "vss"}, false, "vss-enrol"},
		{"grant", []string{"set", "--agency", "vss", "--purpose", "social-insurance.enrolment", "--legal-basis", "Law on Social Insurance 2024", "--fields", "full_name,birth_date,sex", "--events", "death", "--check"}, false, "3 field(s)"},
		{"grant", []string{"set", "--agency", "vss", "--purpose", "p", "--legal-basis", "x", "--fields", "shoe_size"}, true, ""},
		{"grant", []string{"list", "--agency", "vss"}, false, "full_name,birth_date,sex"},
		{"client", []string{"disable", "--id", "vss-enrol"}, false, "client vss-enrol is disabled"},
		{"client", []string{"keys", "--id", "vss-enrol", "--jwks", keyFile}, false, "now has 1 key(s)"},
		{"client", []string{"list"}, false, "disabled"},
		{"client", []string{"fly"}, true, ""},
	}
	for _, s := range steps {
		out, err := run(s.cmd, s.args...)
		if (err != nil) != s.wantErr {
			t.Errorf("%s %v: err = %v, want error %v\n%s", s.cmd, s.args, err, s.wantErr, out)
		}
		if !strings.Contains(out, s.want) {
			t.Errorf("%s %v: output lacks %q:\n%s", s.cmd, s.args, s.want, out)
		}
	}
}
