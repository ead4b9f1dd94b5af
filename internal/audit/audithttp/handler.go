package audithttp

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
)

// PurposeAdministration is the purpose recorded for officers' and
// administrators' use of the registry.
const PurposeAdministration = "registry.administration"

// Routes served without a bearer token; cmd/dancu passes them to
// api.Server.AllowAnonymous.
var PublicRoutes = []string{"/v1/audit/checkpoint", "/v1/audit/key"}

// Handler serves the access log's endpoints.
type Handler struct {
	log *audit.Log
}

// New returns the handler over l.
func New(l *audit.Log) *Handler { return &Handler{log: l} }

// Mount adds the operations to the API.
func (h *Handler) Mount(a huma.API) {
	huma.Register(a, huma.Operation{
		OperationID: "get-audit-checkpoint",
		Method:      http.MethodGet,
		Path:        "/v1/audit/checkpoint",
		Summary:     "The latest signed checkpoint of the access log",
		Description: "A C2SP signed note (c2sp.org/tlog-checkpoint): origin, tree size and base64 RFC 6962 root hash, " +
			"signed with the Ed25519 key served at /v1/audit/key. Public.",
		Tags:   []string{"audit"},
		Errors: []int{http.StatusServiceUnavailable},
	}, h.checkpoint)
	huma.Register(a, huma.Operation{
		OperationID: "get-audit-key",
		Method:      http.MethodGet,
		Path:        "/v1/audit/key",
		Summary:     "The checkpoint verifier key",
		Description: "The signed-note verifier key (name+hash+base64), as golang.org/x/mod/sumdb/note.NewVerifier reads it. Public.",
		Tags:        []string{"audit"},
	}, h.key)
	bearer := func(op huma.Operation) huma.Operation {
		op.Security = api.Security
		op.Errors = append([]int{http.StatusUnauthorized, http.StatusBadRequest}, op.Errors...)
		op.Tags = []string{"audit"}
		return op
	}
	huma.Register(a, bearer(huma.Operation{
		OperationID: "get-audit-inclusion-proof",
		Method:      http.MethodGet,
		Path:        "/v1/audit/proof/inclusion",
		Summary:     "Inclusion proof of an entry in a signed tree",
		Description: "The RFC 6962 audit path of entry index in the tree of the given size, which must not exceed the latest signed checkpoint's.",
	}), h.inclusion)
	huma.Register(a, bearer(huma.Operation{
		OperationID: "get-audit-consistency-proof",
		Method:      http.MethodGet,
		Path:        "/v1/audit/proof/consistency",
		Summary:     "Consistency proof between two tree sizes",
		Description: "The RFC 6962 consistency proof that the tree of size to extends the tree of size from.",
	}), h.consistency)
	huma.Register(a, bearer(huma.Operation{
		OperationID: "list-citizen-accesses",
		Method:      http.MethodGet,
		Path:        "/v1/citizens/{pin}/accesses",
		Summary:     "Who accessed a person's data (data tracker)",
		Description: "Lists the access-log entries about a person, newest first, each with its inclusion proof against the latest signed checkpoint " +
			"(absent for entries newer than it). Entries under a running seal are listed and marked sealed; view=citizen applies the " +
			"citizens' rule and leaves them out. The listing is itself recorded as an access.",
		Errors: []int{http.StatusServiceUnavailable},
	}), h.accesses)
}

type checkpointOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func (h *Handler) checkpoint(ctx context.Context, _ *struct{}) (*checkpointOutput, error) {
	cp, err := h.log.LatestCheckpoint(ctx)
	if errors.Is(err, audit.ErrNoCheckpoint) {
		return nil, huma.Error503ServiceUnavailable("No checkpoint has been signed yet.")
	}
	if err != nil {
		return nil, err
	}
	return &checkpointOutput{ContentType: "text/plain; charset=utf-8", CacheControl: "no-cache", Body: cp.Note}, nil
}

func (h *Handler) key(ctx context.Context, _ *struct{}) (*checkpointOutput, error) {
	return &checkpointOutput{ContentType: "text/plain; charset=utf-8", CacheControl: "max-age=3600", Body: []byte(h.log.VerifierKey() + "\n")}, nil
}

// Proof is an RFC 6962 proof, hashes in base64.
type Proof struct {
	Index  int64    `json:"index,omitempty" doc:"The entry (inclusion proofs)."`
	From   int64    `json:"from,omitempty" doc:"The smaller tree size (consistency proofs)."`
	Size   int64    `json:"size" doc:"The tree size the proof is against."`
	Hashes []string `json:"hashes" doc:"The proof's hashes, base64, in RFC 6962 order."`
}

type inclusionInput struct {
	Index int64 `query:"index" minimum:"0" required:"true" doc:"The entry's index."`
	Size  int64 `query:"size" minimum:"1" required:"true" doc:"The tree size, at most the latest checkpoint's."`
}

type consistencyInput struct {
	From int64 `query:"from" minimum:"1" required:"true"`
	To   int64 `query:"to" minimum:"1" required:"true"`
}

type proofOutput struct{ Body Proof }

func proofError(err error) error {
	switch {
	case errors.Is(err, audit.ErrRange):
		return huma.Error400BadRequest("The index or sizes are outside the latest signed tree.")
	case errors.Is(err, audit.ErrNoCheckpoint):
		return huma.Error400BadRequest("No checkpoint has been signed yet.")
	}
	return err
}

func (h *Handler) inclusion(ctx context.Context, in *inclusionInput) (*proofOutput, error) {
	p, err := h.log.InclusionProof(ctx, in.Index, in.Size)
	if err != nil {
		return nil, proofError(err)
	}
	return &proofOutput{Body: Proof{Index: in.Index, Size: in.Size, Hashes: b64(p)}}, nil
}

func (h *Handler) consistency(ctx context.Context, in *consistencyInput) (*proofOutput, error) {
	p, err := h.log.ConsistencyProof(ctx, in.From, in.To)
	if err != nil {
		return nil, proofError(err)
	}
	return &proofOutput{Body: Proof{From: in.From, Size: in.To, Hashes: b64(p)}}, nil
}

func b64(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

type accessesInput struct {
	PIN    string `path:"pin" pattern:"^[0-9]{12}$" doc:"Personal identification number: 12 digits."`
	Before int64  `query:"before" minimum:"0" doc:"Only entries with a smaller index: the next_before of the previous page."`
	Limit  int    `query:"limit" default:"50" minimum:"1" maximum:"500"`
	View   string `query:"view" enum:"officer,citizen" default:"officer" doc:"citizen hides entries under a running seal, as the person will see them."`
}

// TrackedAccess is one access to a person's data.
type TrackedAccess struct {
	Index       int64     `json:"index"`
	Time        time.Time `json:"time"`
	ActorKind   string    `json:"actor_kind" doc:"admin, staff or client."`
	Actor       string    `json:"actor" doc:"The account or API client id."`
	Agency      string    `json:"agency,omitempty"`
	Purpose     string    `json:"purpose"`
	CaseRef     string    `json:"case_ref,omitempty"`
	Sealed      bool      `json:"sealed" doc:"The access is under a seal that has not expired: hidden from the person until sealed_until."`
	SealedUntil string    `json:"sealed_until,omitempty"`
	Fields      []string  `json:"fields"`
	Action      string    `json:"action"`
	RequestID   string    `json:"request_id,omitempty"`
	Leaf        string    `json:"leaf" doc:"The entry as hashed into the tree (RFC 6962 leaf data), base64."`
	Proof       []string  `json:"inclusion_proof,omitempty" doc:"Audit path against the listing's checkpoint, base64; absent for entries newer than it."`
}

// Accesses is one page of the data tracker.
type Accesses struct {
	Checkpoint string          `json:"checkpoint,omitempty" doc:"The signed checkpoint the proofs are against (a C2SP signed note)."`
	Items      []TrackedAccess `json:"items"`
	NextBefore int64           `json:"next_before,omitempty"`
}

type accessesOutput struct{ Body Accesses }

func (h *Handler) accesses(ctx context.Context, in *accessesInput) (*accessesOutput, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errors.New("audithttp: no authenticated principal")
	}
	view := audit.OfficerView
	if in.View == "citizen" {
		view = audit.CitizenView
	}
	limit := in.Limit
	if limit == 0 {
		limit = 50
	}
	tr, err := h.log.Accesses(ctx, in.PIN, in.Before, limit, view)
	if err != nil {
		return nil, err
	}
	// The access history is personal data too: its reading is recorded
	// before it is answered.
	err = h.log.Record(ctx, audit.Access{
		ActorKind: p.Kind, Actor: p.ID, Purpose: PurposeAdministration, PIN: in.PIN,
		Fields: []string{"accesses"}, Action: "read", RequestID: api.RequestID(ctx),
	})
	if err != nil {
		return nil, huma.Error503ServiceUnavailable("The access could not be recorded.", err)
	}
	out := Accesses{Items: make([]TrackedAccess, 0, len(tr.Entries)), NextBefore: tr.NextBefore}
	if tr.Checkpoint != nil {
		out.Checkpoint = string(tr.Checkpoint.Note)
	}
	for _, e := range tr.Entries {
		a := e.Access
		fields := a.Fields
		if fields == nil {
			fields = []string{}
		}
		out.Items = append(out.Items, TrackedAccess{
			Index: e.Index, Time: a.Time, ActorKind: a.ActorKind, Actor: a.Actor, Agency: a.Agency,
			Purpose: a.Purpose, CaseRef: a.CaseRef, Sealed: e.Sealed, SealedUntil: a.SealedUntil,
			Fields: fields, Action: a.Action, RequestID: a.RequestID,
			Leaf: base64.StdEncoding.EncodeToString(e.Leaf), Proof: b64(e.Proof),
		})
		if e.Proof == nil {
			out.Items[len(out.Items)-1].Proof = nil
		}
	}
	return &accessesOutput{Body: out}, nil
}
