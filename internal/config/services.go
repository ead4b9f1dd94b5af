package config

import (
	"fmt"
	"time"
)

// Services configures the online public services (package services).
type Services struct {
	// Holidays are the days, YYYY-MM-DD, besides Saturdays and Sundays that
	// are not working days for the legal deadlines of dossiers: the public
	// holidays and the compensating days off the Government announces each
	// year. The default holds 2026's; operators add each year's.
	Holidays []string `yaml:"holidays"`
	// MaxUploadBytes bounds one posted form of the portal with its
	// attachments.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
}

// defaultHolidays are the official days off of 2026 that fall on weekdays
// (Labour Code 2019 art. 112 and the 2026 Tết schedule).
var defaultHolidays = []string{
	"2026-01-01",
	"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
	"2026-04-27", "2026-04-30", "2026-05-01",
	"2026-09-01", "2026-09-02",
}

func defaultServices() Services {
	return Services{Holidays: append([]string(nil), defaultHolidays...), MaxUploadBytes: 25 << 20}
}

// validate reports every problem of the section through bad.
func (s Services) validate(bad func(key, format string, args ...any)) {
	for i, h := range s.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			bad(fmt.Sprintf("services.holidays[%d]", i), "%q is not a date YYYY-MM-DD", h)
		}
	}
	if s.MaxUploadBytes < 1<<20 || s.MaxUploadBytes > 1<<30 {
		bad("services.max_upload_bytes", "must be between 1 MiB and 1 GiB (it is %d)", s.MaxUploadBytes)
	}
}
