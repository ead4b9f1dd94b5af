package credential

import (
	"errors"
	"strings"
	"testing"
)

// cheap are parameters that keep tests fast; the format and code paths are
// the same as with DefaultParams.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashPassword_roundTrip(t *testing.T) {
	for _, p := range []Params{cheap, {Memory: 256, Time: 3, Threads: 2, KeyLen: 16, SaltLen: 8}} {
		h := HashPassword("correct horse battery", p)
		if !strings.HasPrefix(h, "$argon2id$v=19$") {
			t.Errorf("hash %q is not an argon2id PHC string", h)
		}
		if h2 := HashPassword("correct horse battery", p); h2 == h {
			t.Error("two hashes of one password are equal: no random salt")
		}
		ok, rehash, err := VerifyPassword(h, "correct horse battery", p)
		if err != nil || !ok || rehash {
			t.Errorf("VerifyPassword(right) = %v, %v, %v", ok, rehash, err)
		}
		ok, _, err = VerifyPassword(h, "correct horse batterY", p)
		if err != nil || ok {
			t.Errorf("VerifyPassword(wrong) = %v, %v", ok, err)
		}
		// A hash made with other parameters verifies and asks to be redone.
		ok, rehash, err = VerifyPassword(h, "correct horse battery", DefaultParams)
		if err != nil || !ok || !rehash {
			t.Errorf("VerifyPassword(other params) = %v, %v, %v; want ok and rehash", ok, rehash, err)
		}
	}
}

func TestParsePHC(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name string
		in   string
		want Params
		ok   bool
	}{
		{"default", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key, Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"raised", "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key, Params{Memory: 65536, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}, true},
		{"order free", "$argon2id$v=19$p=1,t=2,m=19456$" + salt + "$" + key, Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key, Params{}, false},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key, Params{}, false},
		{"missing param", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key, Params{}, false},
		{"repeated param", "$argon2id$v=19$m=19456,m=2,p=1$" + salt + "$" + key, Params{}, false},
		{"unknown param", "$argon2id$v=19$m=19456,t=2,p=1,x=1$" + salt + "$" + key, Params{}, false},
		{"zero time", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key, Params{}, false},
		{"huge memory", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key, Params{}, false},
		{"memory below 8 per lane", "$argon2id$v=19$m=8,t=2,p=4$" + salt + "$" + key, Params{}, false},
		{"too many lanes", "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key, Params{}, false},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key, Params{}, false},
		{"negative", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key, Params{}, false},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key, Params{}, false},
		{"padded base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key, Params{}, false},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAA", Params{}, false},
		{"extra field", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$", Params{}, false},
		{"empty", "", Params{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _, err := parsePHC(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("parsePHC error = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformedHash) {
				t.Errorf("error %v is not ErrMalformedHash", err)
			}
			if got != tt.want {
				t.Errorf("parsePHC = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParsePHC checks that no stored string panics the parser, and that
// what it accepts it writes back the same.
func FuzzParsePHC(f *testing.F) {
	f.Add(HashPassword("x", cheap))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		if out := encodePHC(p, salt, key); out != s {
			p2, _, _, err := parsePHC(out)
			if err != nil || p2 != p {
				t.Errorf("re-encoded %q as %q, which parses as %+v, %v", s, out, p2, err)
			}
		}
	})
}

// BenchmarkVerifyPassword measures one password check at DefaultParams:
// the cost that bounds the console's sign-in rate. With two cores busy
// (-cpu 2, RunParallel), its reciprocal is the sign-ins per second the
// server can do.
func BenchmarkVerifyPassword(b *testing.B) {
	h := HashPassword("correct horse battery staple", DefaultParams)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, _ := VerifyPassword(h, "correct horse battery staple", DefaultParams); !ok {
				b.Fatal("not verified")
			}
		}
	})
}
