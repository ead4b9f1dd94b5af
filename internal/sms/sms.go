package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Sender sends one text message to one phone number. Implementations are
// safe for concurrent use. Errors never contain the number or the text.
type Sender interface {
	Send(ctx context.Context, to, text string) error
}

// ErrInvalid reports a number or text that cannot be sent.
var ErrInvalid = errors.New("sms: invalid phone number or message")

// maxText bounds a message: a few SMS segments. Codes and notices are far
// shorter.
const maxText = 480

// NormalizePhone returns a Vietnamese mobile number in E.164 (+84...), from
// the forms people and the registry write: 0912345678, 84912345678,
// +84 912 345 678, 0912.345.678. ok is false for anything else.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "84"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	default:
		return "", false
	}
	// Vietnamese mobile numbers have 9 digits after the country code and
	// start with 3, 5, 7, 8 or 9.
	if len(d) != 9 || !strings.ContainsRune("35789", rune(d[0])) {
		return "", false
	}
	return "+84" + d, true
}

func check(to, text string) error {
	if _, ok := NormalizePhone(to); !ok || text == "" || len(text) > maxText || !utf8.ValidString(text) {
		return ErrInvalid
	}
	return nil
}

// HTTPSender posts each message as JSON {"to", "from", "text"} to a gateway
// URL with a bearer token, and takes any 2xx answer as accepted.
type HTTPSender struct {
	URL    string
	Token  string
	From   string
	Client *http.Client // nil: a client with a 10-second timeout
}

// Send implements Sender.
func (h *HTTPSender) Send(ctx context.Context, to, text string) error {
	if err := check(to, text); err != nil {
		return err
	}
	e164, _ := NormalizePhone(to)
	body, err := json.Marshal(struct {
		To   string `json:"to"`
		From string `json:"from,omitempty"`
		Text string `json:"text"`
	}{e164, h.From, text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("sms: bad gateway URL")
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		// The error of a failed request names the URL, never the message.
		return fmt.Errorf("sms: gateway unreachable: %w", errors.Unwrap(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms: gateway answered %d", resp.StatusCode)
	}
	return nil
}

// FileSender appends each message to a file, one JSON object a line:
// {"time","to","text"}. The file is created readable by its owner only.
type FileSender struct {
	Path string
	mu   sync.Mutex
}

// Message is one line of a FileSender's file.
type Message struct {
	Time time.Time `json:"time"`
	To   string    `json:"to"`
	Text string    `json:"text"`
}

// Send implements Sender.
func (f *FileSender) Send(_ context.Context, to, text string) error {
	if err := check(to, text); err != nil {
		return err
	}
	e164, _ := NormalizePhone(to)
	line, err := json.Marshal(Message{Time: time.Now().UTC(), To: e164, Text: text})
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return errors.New("sms: cannot open the development message file")
	}
	_, err = fh.Write(append(line, '\n'))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.New("sms: cannot write the development message file")
	}
	return nil
}

// ReadFile returns the messages a FileSender wrote to path, oldest first.
// A line that is not a message is an error naming its line number.
func ReadFile(path string) ([]Message, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseMessages(b)
}

// ParseMessages reads the lines a FileSender writes.
func ParseMessages(b []byte) ([]Message, error) {
	var out []Message
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m Message
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil || m.To == "" {
			return nil, fmt.Errorf("sms: line %d: not a message", i+1)
		}
		out = append(out, m)
	}
	return out, nil
}
