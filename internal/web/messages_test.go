package web

import (
	"maps"
	"testing"
)

func TestMessages(t *testing.T) {
	m := Messages{
		"vi": {"nav": "Việc", "only_vi": "Chỉ tiếng Việt"},
		"en": {"nav": "Jobs"},
	}
	for _, tc := range []struct{ lang, key, want string }{
		{"en", "nav", "Jobs"},
		{"vi", "nav", "Việc"},
		{"en", "only_vi", "Chỉ tiếng Việt"}, // English lacks it: Vietnamese
		{"fr", "nav", "Việc"},               // unknown language: Vietnamese
		{"en", "missing", "missing"},        // nowhere: the key shows
	} {
		if got := m.Text(tc.lang, tc.key); got != tc.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	if got, want := m.Label("nav"), map[string]string{"vi": "Việc", "en": "Jobs"}; !maps.Equal(got, want) {
		t.Errorf("Label(nav) = %v, want %v", got, want)
	}
}
