package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPI lints the whole server's OpenAPI document — every area's
// operations, as serve mounts them — against the OpenAPI 3.1 schema and
// the project's rules (an id, a summary and a success response for every
// operation, ids unique), then checks real answers against it.
func TestOpenAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"generate", "--citizens", "50", "--seed", "2", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("generate: %d %s", code, errOut.String())
	}
	const token = "openapi-test-admin-token-0123456789"
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", dir}, map[string]string{"DANCU_ADMIN_TOKEN": token})
	status, _, body := get(t, s.base+"/openapi.json", "")
	if status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", status)
	}
	doc, err := libopenapi.NewDocument([]byte(body))
	if err != nil {
		t.Fatalf("the OpenAPI document does not parse: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Errorf("OpenAPI version %q, want 3.1", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("OpenAPI 3.1 schema: %s (%s)", e.Message, e.Reason)
		}
	}

	var raw struct {
		Paths map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			Summary     string                     `json:"summary"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, ops := range raw.Paths {
		for method, op := range ops {
			where := strings.ToUpper(method) + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s has no operationId", where)
			case ids[op.OperationID] != "":
				t.Errorf("%s and %s share the operationId %q", where, ids[op.OperationID], op.OperationID)
			}
			ids[op.OperationID] = where
			if op.Summary == "" {
				t.Errorf("%s has no summary", where)
			}
			ok := false
			for code := range op.Responses {
				ok = ok || strings.HasPrefix(code, "2")
			}
			if !ok {
				t.Errorf("%s documents no success response", where)
			}
		}
	}
	t.Logf("%d operations", len(ids))

	// Real answers, good and bad, match what the document says.
	check := func(method, path string, reqBody string) {
		t.Helper()
		var rd io.Reader
		if reqBody != "" {
			rd = strings.NewReader(reqBody)
		}
		req, _ := http.NewRequest(method, s.base+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if reqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		vreq, _ := http.NewRequest(method, "http://localhost"+path, strings.NewReader(reqBody))
		if reqBody != "" {
			vreq.Header.Set("Content-Type", "application/json")
		}
		if ok, verrs := v.ValidateHttpResponse(vreq, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s (%d): %s: %s", method, path, resp.StatusCode, e.Message, e.Reason)
			}
		}
	}
	check("GET", "/v1/citizens?province=79&limit=5", "")
	check("GET", "/v1/events?limit=5", "")
	check("GET", "/v1/citizens/079190000001", "")
	check("GET", "/v1/citizens?limit=5", "")
	check("POST", "/v1/events", `{"type":"death","subject":"079190000001","effective_date":"2026-01-01","reason":"x","data":{}}`)
}
