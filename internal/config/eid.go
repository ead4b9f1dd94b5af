package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// EID configures citizens' electronic identification (package eid).
type EID struct {
	// PasswordMemoryKiB, PasswordTime and PasswordThreads are the argon2id
	// costs of new citizens' password hashes (m, t, p). The defaults are
	// OWASP's first recommendation (19 MiB, 2, 1); BENCHMARKS.md has the
	// sign-in rate they allow. A stored hash carries its own parameters,
	// so raising them later only rehashes at each citizen's next sign-in.
	PasswordMemoryKiB uint32 `yaml:"password_memory_kib"`
	PasswordTime      uint32 `yaml:"password_time"`
	PasswordThreads   uint8  `yaml:"password_threads"`
	// SessionIdle ends a portal session not used for this long;
	// SessionMax ends any session this long after sign-in.
	SessionIdle time.Duration `yaml:"session_idle"`
	SessionMax  time.Duration `yaml:"session_max"`
	// Issuer is the name authenticator apps show beside a citizen's code.
	Issuer string `yaml:"issuer"`
}

// SMS configures how one-time codes reach citizens' phones.
type SMS struct {
	// Provider is "" (no SMS: registration and SMS codes are off), "http"
	// (a gateway reached over HTTPS, the production choice) or "file" (the
	// development sender, which appends every message to File for a
	// developer to read; serve --demo uses it when nothing is configured).
	Provider string `yaml:"provider"`
	// URL is the gateway's endpoint (https://, or http:// on loopback).
	URL string `yaml:"url"`
	// Token is the gateway's bearer token.
	Token Secret `yaml:"token"`
	// Sender is the sender name or number the gateway shows.
	Sender string `yaml:"sender"`
	// File is where the development sender writes.
	File string `yaml:"file"`
	// Timeout bounds one request to the gateway.
	Timeout time.Duration `yaml:"timeout"`
}

// SMS providers.
const (
	SMSNone = ""
	SMSHTTP = "http"
	SMSFile = "file"
)

func defaultEID() EID {
	return EID{
		PasswordMemoryKiB: 19 * 1024, PasswordTime: 2, PasswordThreads: 1,
		SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour, Issuer: "dancu",
	}
}

func defaultSMS() SMS { return SMS{Timeout: 10 * time.Second} }

func init() {
	fields = append(fields,
		stringField("sms.provider", "DANCU_SMS_PROVIDER", "", "", func(c *Config) *string { return &c.SMS.Provider }),
		stringField("sms.url", "DANCU_SMS_URL", "", "", func(c *Config) *string { return &c.SMS.URL }),
		field{key: "sms.token", env: "DANCU_SMS_TOKEN",
			set: func(c *Config, s string) error { c.SMS.Token = Secret(s); return nil },
			get: func(c *Config) string { return c.SMS.Token.String() }},
		stringField("sms.file", "DANCU_SMS_FILE", "", "", func(c *Config) *string { return &c.SMS.File }),
	)
}

// validateEID adds the eid and sms sections' problems through bad.
func (c Config) validateEID(bad func(key, format string, args ...any)) {
	e := c.EID
	if e.PasswordMemoryKiB < 8*1024 || e.PasswordMemoryKiB > 1<<20 {
		bad("eid.password_memory_kib", "must be from 8192 (8 MiB) to 1048576 (1 GiB) (it is %d)", e.PasswordMemoryKiB)
	}
	if e.PasswordTime < 1 || e.PasswordTime > 64 {
		bad("eid.password_time", "must be from 1 to 64 (it is %d)", e.PasswordTime)
	}
	if e.PasswordThreads < 1 {
		bad("eid.password_threads", "must be at least 1")
	}
	if e.SessionIdle < time.Minute {
		bad("eid.session_idle", "must be at least 1m (it is %s)", e.SessionIdle)
	}
	if e.SessionMax < e.SessionIdle {
		bad("eid.session_max", "must be at least eid.session_idle (it is %s)", e.SessionMax)
	}
	if strings.TrimSpace(e.Issuer) == "" {
		bad("eid.issuer", "must not be empty")
	}
	s := c.SMS
	switch s.Provider {
	case SMSNone:
	case SMSHTTP:
		if err := checkGatewayURL(s.URL); err != nil {
			bad("sms.url", "%v", err)
		}
	case SMSFile:
		if s.File == "" {
			bad("sms.file", "the file provider needs a file path")
		}
	default:
		bad("sms.provider", "%q is not one of \"\", http, file", s.Provider)
	}
	if s.Timeout <= 0 {
		bad("sms.timeout", "must be positive (it is %s)", s.Timeout)
	}
}

// checkGatewayURL accepts https URLs, and http ones to a loopback host (a
// gateway's local relay, a test double).
func checkGatewayURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the http provider needs an https:// URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("must be https:// (http:// only to a loopback host)")
	}
	return fmt.Errorf("must be https://")
}
