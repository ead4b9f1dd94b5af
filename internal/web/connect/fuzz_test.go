package connect

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzServiceErrors checks that any error text a service returns is placed
// on a field of the form or on the form itself, never lost.
func FuzzServiceErrors(f *testing.F) {
	for _, s := range []string{
		"exchange: invalid: name is required (at most 300 bytes)",
		"exchange: invalid: jwks: key 0 is not a valid JWK\nexchange: invalid: id must be 1-63",
		"feed: invalid: url must use https", "", "\n\n", "id", "dataset: invalid: ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		errs := serviceErrors(catalogueFor("en"), errors.New(s), "id", "name", "jwks")
		if len(errs) == 0 {
			t.Fatalf("no message for %q", s)
		}
		for k, v := range errs {
			if k != "" && k != "id" && k != "name" && k != "jwks" {
				t.Errorf("message on unknown field %q", k)
			}
			if !strings.HasPrefix(v, "Not valid: ") {
				t.Errorf("message %q", v)
			}
		}
	})
}

// FuzzCatalogue_Number checks the grouping of thousands against strconv.
func FuzzCatalogue_Number(f *testing.F) {
	for _, n := range []int64{0, 7, 999, 1000, -1000, 27000000, -9223372036854775808, 9223372036854775807} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		for lang, sep := range map[string]string{"vi": ".", "en": ","} {
			got := catalogueFor(lang).Number(n)
			if strings.ReplaceAll(got, sep, "") != strconv.FormatInt(n, 10) {
				t.Fatalf("Number(%s, %d) = %q", lang, n, got)
			}
			digits := strings.TrimPrefix(got, "-")
			for i, g := range strings.Split(digits, sep) {
				if len(g) == 0 || len(g) > 3 || i > 0 && len(g) != 3 {
					t.Fatalf("Number(%s, %d) = %q: bad group %q", lang, n, got, g)
				}
			}
		}
	})
}
