package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"
)

// SetBodyLimit gives one route (a path as mounted, such as
// /v1/datasets/{dataset}/records) a body limit of its own instead of the
// server's: bulk uploads stream gigabytes that no other route should accept.
// Call it before the server serves requests.
func (s *Server) SetBodyLimit(route string, n int64) {
	if s.bodyLimits == nil {
		s.bodyLimits = map[string]int64{}
	}
	s.bodyLimits[routeOf(route)] = n
}

// bodyLimit is the body limit of r's route.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if info := infoFrom(r.Context()); info != nil {
		if n, ok := s.bodyLimits[info.route]; ok {
			return n
		}
	}
	return s.maxBody
}

// checkText refuses a JSON or form body that is not valid UTF-8, answering
// the request. Go's decoders would silently turn each bad byte into U+FFFD,
// and a name with a replacement character is a corrupted record, not a
// name; the caller must learn that their encoding is wrong. Streamed bodies
// of other types (NDJSON uploads, multipart) check their lines themselves.
// Such bodies are small (the route's limit), so the check reads them whole.
func (s *Server) checkText(w http.ResponseWriter, r *http.Request, limit int64) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "application/x-www-form-urlencoded" && mt != "application/merge-patch+json" {
		return true
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeProblem(w, &Problem{
			Status: http.StatusRequestEntityTooLarge,
			Title:  http.StatusText(http.StatusRequestEntityTooLarge),
			Detail: fmt.Sprintf("The request body exceeds %d bytes.", limit),
		})
		return false
	case err != nil:
		writeProblem(w, &Problem{
			Status: http.StatusBadRequest,
			Title:  http.StatusText(http.StatusBadRequest),
			Detail: "The request body could not be read.",
		})
		return false
	case !utf8.Valid(body):
		writeProblem(w, &Problem{
			Status: http.StatusBadRequest,
			Title:  http.StatusText(http.StatusBadRequest),
			Detail: fmt.Sprintf("The request body is not valid UTF-8 (first bad byte at offset %d); send %s in UTF-8.", invalidUTF8At(body), mt),
		})
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// invalidUTF8At returns the offset of the first byte that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
