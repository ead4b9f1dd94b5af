package portal

import (
	"bytes"
	"net/http"
)

// recorder is a minimal http.ResponseWriter for calling render directly.
type recorder struct {
	hdr    http.Header
	body   bytes.Buffer
	status int
}

func httptestRecorder() *recorder               { return &recorder{hdr: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.hdr }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }
