package web

// Messages is a console section's own message catalogue, by language ("vi",
// "en") and key, for sections that live outside this package.
type Messages map[string]map[string]string

// Text returns the message key in lang, in Vietnamese when lang lacks it,
// and the key itself when neither has it, so that a gap shows on the page.
func (m Messages) Text(lang, key string) string {
	if s, ok := m[lang][key]; ok {
		return s
	}
	if s, ok := m[defaultLang][key]; ok {
		return s
	}
	return key
}

// Label returns the message key in every language, as Section.Label wants.
func (m Messages) Label(key string) map[string]string {
	l := make(map[string]string, len(m))
	for lang := range m {
		l[lang] = m.Text(lang, key)
	}
	return l
}
