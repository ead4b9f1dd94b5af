package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestRPCmd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noEnv := func(string) (string, bool) { return "", false }
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := rpCmd(ctx, append(args, "--data", dir), &out, &errOut, noEnv)
		return out.String() + errOut.String(), err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jose.JSONWebKey{Key: &k.PublicKey, KeyID: "rp-2026", Algorithm: "ES256", Use: "sig"}.MarshalJSON()
	keyFile := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(keyFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args    []string
		wantErr string // "" for success
		want    string
	}{
		{[]string{"add", "--id", "vcb", "--name", "Vietcombank", "--purpose", "Mở tài khoản trực tuyến",
			"--redirect-uris", "https://vcb.example.vn/cb", "--auth", "client_secret_basic",
			"--scopes", "openid,profile,national_id", "--level", "2"}, "", "client secret (shown only this once"},
		{[]string{"add", "--id", "bvcr", "--name", "Bệnh viện", "--purpose", "Đăng ký khám",
			"--redirect-uris", "https://bv.example.vn/cb", "--auth", "private_key_jwt", "--jwks", keyFile,
			"--scopes", "openid,profile,dataset:health-insurance"}, "", "relying party bvcr registered (private_key_jwt, level 1, pairwise subjects, sector bv.example.vn)"},
		{[]string{"add", "--id", "bad", "--name", "x", "--purpose", "x", "--redirect-uris", "http://evil.example/cb",
			"--auth", "client_secret_basic", "--scopes", "openid,shoe_size", "--level", "3"}, "redirect_uris[0]: must be https", ""},
		{[]string{"add", "--id", "vcb", "--name", "x", "--purpose", "x", "--redirect-uris", "https://x.example/cb",
			"--auth", "client_secret_basic", "--scopes", "openid"}, "taken", ""},
		{[]string{"add", "--id", "nojwks", "--name", "x", "--purpose", "x", "--redirect-uris", "https://x.example/cb",
			"--auth", "private_key_jwt", "--scopes", "openid"}, "jwks", ""},
		{[]string{"add", "--id", "x"}, "--name is required", ""},
		{[]string{"list"}, "", "national_id,openid,profile"},
		{[]string{"disable", "--id", "vcb"}, "", "relying party vcb is disabled"},
		{[]string{"enable", "--id", "vcb"}, "", "relying party vcb is active"},
		{[]string{"keys", "--id", "bvcr", "--jwks", keyFile}, "", "now has 1 key(s)"},
		{[]string{"keys", "--id", "vcb", "--jwks", keyFile}, "authenticates with client_secret_basic", ""},
		{[]string{"secret", "--id", "vcb"}, "", "new client secret for vcb"},
		{[]string{"secret", "--id", "bvcr"}, "authenticates with private_key_jwt", ""},
		{[]string{"disable", "--id", "nobody"}, "no such relying party", ""},
		{[]string{"fly"}, "unknown rp subcommand", ""},
	}
	for _, s := range steps {
		out, err := run(s.args...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("rp %v: err = %v, want it to mention %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("rp %v: %v\n%s", s.args, err, out)
			continue
		}
		if !strings.Contains(out, s.want) {
			t.Errorf("rp %v: output\n%s\nwant it to contain %q", s.args, out, s.want)
		}
	}
}
