package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
)

func TestCursor_roundTrip(t *testing.T) {
	a, _, err := auth.Setup(context.Background(), newFixture(t).store, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []registry.Cursor{
		{Key: "nguyen van an", PIN: "079085000001"},
		{PIN: "001090123456"},
		{},
	} {
		s := api.EncodeCursor(a, c)
		if strings.Contains(s, "nguyen") || strings.Contains(s, c.PIN) && c.PIN != "" {
			t.Errorf("cursor %q shows what it holds", s)
		}
		got, err := api.DecodeCursor(a, "cursor", s)
		if err != nil || got != c {
			t.Errorf("round trip of %+v gave %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"!!", "eyJwIjoiMDAxMDkwMTIzNDU2In0", api.EncodeCursor(a, registry.Cursor{Key: "x", PIN: "12"})} {
		if _, err := api.DecodeCursor(a, "cursor", bad); registry.KindOf(err) != registry.Invalid {
			t.Errorf("DecodeCursor(%q) = %v, want Invalid", bad, err)
		}
	}
}
