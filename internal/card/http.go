package card

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/card/qr"
	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Paths of the card operations.
const (
	PKIPath      = "/v1/card/pki"
	CSCAPath     = "/v1/card/csca/{id}"
	CRLPath      = "/v1/card/crl/{id}"
	VerifyPath   = "/v1/card/verify"
	QRPath       = "/v1/card/qr/parse"
	StatusPath   = "/v1/cards/{pin}/status"
	cardsPath    = "/v1/cards/{pin}"
	chipPath     = "/v1/cards/{pin}/chip"
	qrOfPath     = "/v1/cards/{pin}/qr"
	rotatePath   = "/v1/admin/card/rotate"
	revokeDSPath = "/v1/admin/card/document-signers/{serial}/revoke"
)

// PublicRoutes are served without a bearer token: the trust anchors that
// every relying party must be able to fetch.
var PublicRoutes = []string{PKIPath, CSCAPath, CRLPath}

// Mount adds the card operations to srv.
func (s *Service) Mount(srv *api.Server) {
	a := srv.API()
	public := func(op huma.Operation) huma.Operation { op.Tags = []string{"cards"}; return op }
	secured := func(op huma.Operation) huma.Operation {
		op.Tags = []string{"cards"}
		op.Security = api.Security
		op.Errors = append([]int{http.StatusUnauthorized, http.StatusForbidden}, op.Errors...)
		return op
	}
	huma.Register(a, public(huma.Operation{OperationID: "card-pki", Method: http.MethodGet, Path: PKIPath,
		Summary: "The card-signing PKI: CSCA and document-signer certificates, and the revoked document signers"}), s.pkiHandler)
	huma.Register(a, public(huma.Operation{OperationID: "card-csca", Method: http.MethodGet, Path: CSCAPath,
		Summary: "A CSCA certificate, DER (id \"current\" for the one in use)", Errors: []int{http.StatusNotFound}}), s.cscaHandler)
	huma.Register(a, public(huma.Operation{OperationID: "card-crl", Method: http.MethodGet, Path: CRLPath,
		Summary: "A CSCA's revocation list of document signers, DER (id \"current\" for the CSCA in use)", Errors: []int{http.StatusNotFound}}), s.crlHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-verify", Method: http.MethodPost, Path: VerifyPath,
		Summary: "Passive authentication of chip data (DG1, DG2, DG13, EF.SOD)",
		Description: "Checks the data groups' hashes against EF.SOD, its signature, the document signer's chain to a CSCA of this PKI and its revocation. " +
			"A card that fails is answered 200 with valid=false and the reason. Nothing is read from the registry.",
		Errors: []int{http.StatusUnprocessableEntity}}), s.verifyHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-qr-parse", Method: http.MethodPost, Path: QRPath,
		Summary: "Parse the QR payload of a chip ID card", Errors: []int{http.StatusUnprocessableEntity}}), s.qrHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-status", Method: http.MethodGet, Path: StatusPath,
		Summary:     "The status of a person's card (valid, expired, lost, revoked, replaced)",
		Description: "For administrators, and agencies whose grant for the purpose releases the documents field. Every lookup is recorded in the access log.",
		Errors:      []int{http.StatusBadRequest, http.StatusNotFound, http.StatusServiceUnavailable}}), s.statusHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-set-status", Method: http.MethodPost, Path: StatusPath,
		Summary: "Mark a card lost, revoked or replaced (the issuing authority)",
		Errors:  []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}}), s.setStatusHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-list", Method: http.MethodGet, Path: cardsPath,
		Summary: "Every card issued to a person (administrators)", Errors: []int{http.StatusServiceUnavailable}}), s.listHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-chip", Method: http.MethodGet, Path: chipPath,
		Summary: "The chip files of a person's latest chip card, base64 (administrators)",
		Errors:  []int{http.StatusNotFound, http.StatusServiceUnavailable}}), s.chipHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-qr", Method: http.MethodGet, Path: qrOfPath,
		Summary: "The QR payload printed on a person's latest card (administrators)",
		Errors:  []int{http.StatusNotFound, http.StatusServiceUnavailable}}), s.qrOfHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-rotate", Method: http.MethodPost, Path: rotatePath,
		Summary: "Start a new document signer now (administrators)", Tags: []string{"admin"}}), s.rotateHandler)
	huma.Register(a, secured(huma.Operation{OperationID: "card-revoke-ds", Method: http.MethodPost, Path: revokeDSPath,
		Summary: "Revoke a document signer: every card it signed fails verification (administrators)",
		Errors:  []int{http.StatusNotFound, http.StatusUnprocessableEntity}}), s.revokeDSHandler)
	srv.AllowAnonymous(PublicRoutes...)
	srv.AllowClients(VerifyPath, QRPath, StatusPath)
}

func principal(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, huma.Error401Unauthorized("Authentication required.")
	}
	return p, nil
}

func requireAdmin(ctx context.Context) error { return api.RequireAdmin(ctx, "manage ID cards") }

// httpError maps the service's errors to problems.
func httpError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	case errors.Is(err, ErrNoPurpose):
		return huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	case errors.Is(err, ErrForbidden):
		return huma.Error403Forbidden("Not allowed: card status needs a grant for the purpose that releases documents.")
	case errors.Is(err, ErrUnavailable):
		return huma.Error503ServiceUnavailable("The access could not be recorded; nothing was released. Try again later.")
	case errors.Is(err, ErrNoCard):
		return huma.Error404NotFound("No such card.")
	case errors.Is(err, ErrNoSuchCertificate):
		return huma.Error404NotFound("No such certificate.")
	case errors.Is(err, store.ErrConflict):
		return huma.Error409Conflict("The card changed meanwhile; try again.")
	}
	var re *registry.Error
	if errors.As(err, &re) && re.Kind == registry.Invalid {
		return huma.Error400BadRequest(re.Field + ": " + re.Reason)
	}
	return err
}

type pkiOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		CSCAs           []Cert `json:"cscas"`
		DocumentSigners []Cert `json:"document_signers"`
	}
}

func (s *Service) pkiHandler(ctx context.Context, _ *struct{}) (*pkiOutput, error) {
	cscas, dss, err := s.pki.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	out := &pkiOutput{CacheControl: "max-age=300"}
	out.Body.CSCAs, out.Body.DocumentSigners = cscas, dss
	if out.Body.CSCAs == nil {
		out.Body.CSCAs = []Cert{}
	}
	if out.Body.DocumentSigners == nil {
		out.Body.DocumentSigners = []Cert{}
	}
	return out, nil
}

type derOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

type idPath struct {
	ID string `path:"id" maxLength:"80" doc:"A CSCA id, or current."`
}

func (s *Service) cscaID(ctx context.Context, id string) (string, error) {
	if id != "current" {
		return id, nil
	}
	cscas, _, err := s.pki.Certificates(ctx)
	if err != nil {
		return "", err
	}
	now := s.now()
	for i := len(cscas) - 1; i >= 0; i-- {
		if c := cscas[i]; !now.Before(c.UsageFrom) && now.Before(c.UsageTo) {
			return c.ID, nil
		}
	}
	return "", ErrNoSuchCertificate
}

func (s *Service) cscaHandler(ctx context.Context, in *idPath) (*derOutput, error) {
	id, err := s.cscaID(ctx, in.ID)
	if err != nil {
		return nil, httpError(err)
	}
	cscas, _, err := s.pki.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cscas {
		if c.ID == id {
			return &derOutput{ContentType: "application/pkix-cert", CacheControl: "max-age=3600", Body: c.DER}, nil
		}
	}
	return nil, httpError(ErrNoSuchCertificate)
}

func (s *Service) crlHandler(ctx context.Context, in *idPath) (*derOutput, error) {
	id, err := s.cscaID(ctx, in.ID)
	if err != nil {
		return nil, httpError(err)
	}
	der, err := s.pki.CRL(ctx, id)
	if err != nil {
		return nil, httpError(err)
	}
	return &derOutput{ContentType: "application/pkix-crl", CacheControl: "max-age=300", Body: der}, nil
}

// ChipData is a card's chip files, base64 in JSON.
type ChipData struct {
	DG1  []byte `json:"dg1" doc:"EF.DG1, base64." maxLength:"4096"`
	DG2  []byte `json:"dg2,omitempty" doc:"EF.DG2, base64." maxLength:"65536"`
	DG13 []byte `json:"dg13,omitempty" doc:"EF.DG13, base64." maxLength:"16384"`
	SOD  []byte `json:"sod" doc:"EF.SOD, base64." maxLength:"16384"`
}

// Verified is the answer of a verification.
type Verified struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty" doc:"Why the card failed: malformed, hash_algorithm, data_group_tampered, sod_signature, unknown_csca, ds_expired, ds_revoked, mrz_check_digit, ..."`
	Detail string `json:"detail,omitempty"`
	// The verified attributes, when valid.
	Attributes     *Attributes `json:"attributes,omitempty"`
	DocumentSigner string      `json:"document_signer_serial,omitempty"`
	CSCA           string      `json:"csca,omitempty" doc:"The CSCA's subject."`
	SigningTime    time.Time   `json:"signing_time,omitzero"`
	DataGroups     []int       `json:"data_groups,omitempty"`
}

// Attributes are a verified card's attributes: the MRZ's, and DG13's when
// given (with diacritics).
type Attributes struct {
	PIN                string `json:"pin"`
	DocumentNumber     string `json:"document_number"`
	MRZName            string `json:"mrz_name"`
	FullName           string `json:"full_name,omitempty"`
	BirthDate          string `json:"birth_date,omitempty"`
	Sex                string `json:"sex,omitempty"`
	Nationality        string `json:"nationality"`
	Expiry             string `json:"expiry,omitempty"`
	IssueDate          string `json:"issue_date,omitempty"`
	PermanentResidence string `json:"permanent_residence,omitempty"`
	Hometown           string `json:"hometown,omitempty"`
	Ethnicity          string `json:"ethnicity,omitempty"`
	Religion           string `json:"religion,omitempty"`
	OldIDNumber        string `json:"old_id_number,omitempty"`
}

// AttributesOf lays out a verified card's attributes.
func AttributesOf(r *verify.Result) *Attributes {
	primary, secondary := r.MRZ.Name()
	a := &Attributes{PIN: r.MRZ.Optional1, DocumentNumber: r.MRZ.DocumentNumber, MRZName: primary + ", " + secondary,
		Nationality: r.MRZ.Nationality}
	switch r.MRZ.Sex {
	case "M":
		a.Sex = "male"
	case "F":
		a.Sex = "female"
	}
	if d := r.DG13; d != nil {
		a.PIN, a.FullName, a.BirthDate = d.PIN, d.FullName, ISODate(d.BirthDate)
		a.IssueDate, a.Expiry = ISODate(d.IssueDate), ISODate(d.ExpiryDate)
		a.PermanentResidence, a.Hometown, a.Ethnicity, a.Religion, a.OldIDNumber = d.PermanentResidence, d.Hometown, d.Ethnicity, d.Religion, d.OldIDNumber
	}
	return a
}

// Verify runs passive authentication of chip data against this PKI.
func (s *Service) Verify(ctx context.Context, c ChipData) (*Verified, *verify.Result, error) {
	v, err := s.Verifier(ctx)
	if err != nil {
		return nil, nil, err
	}
	res, err := v.Verify(verify.Card{DG1: c.DG1, DG2: c.DG2, DG13: c.DG13, SOD: c.SOD})
	var ve *verify.Error
	if errors.As(err, &ve) {
		return &Verified{Reason: string(ve.Reason), Detail: ve.Error()}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &Verified{Valid: true, Attributes: AttributesOf(res), DocumentSigner: res.DocumentSigner.SerialNumber.Text(16),
		CSCA: res.CSCA.Subject.String(), SigningTime: res.SigningTime, DataGroups: res.DataGroups}, res, nil
}

type verifyInput struct{ Body ChipData }
type verifyOutput struct{ Body *Verified }

func (s *Service) verifyHandler(ctx context.Context, in *verifyInput) (*verifyOutput, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	v, _, err := s.Verify(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &verifyOutput{Body: v}, nil
}

type qrInput struct {
	Body struct {
		Payload string `json:"payload" maxLength:"2048" doc:"The text of the card's QR code."`
	}
}
type qrOutput struct{ Body qr.Payload }

func (s *Service) qrHandler(ctx context.Context, in *qrInput) (*qrOutput, error) {
	p, err := qr.Parse(in.Body.Payload)
	var qe *qr.Error
	if errors.As(err, &qe) {
		return nil, huma.Error422UnprocessableEntity(qe.Error(), &huma.ErrorDetail{Location: "body.payload." + qe.Field, Message: qe.Reason})
	}
	if err != nil {
		return nil, err
	}
	return &qrOutput{Body: p}, nil
}

// PINPath is the {pin} path parameter (exported because huma reads only
// exported embedded structs).
type PINPath struct {
	PIN string `path:"pin" maxLength:"12" minLength:"12" pattern:"^[0-9]{12}$"`
}

type statusInput struct {
	PINPath
	exchange.PurposeParams
	Seq int64 `query:"seq" minimum:"0" doc:"The card (its seq); 0 or absent for the latest."`
}

type statusOutput struct{ Body *StatusAnswer }

func (s *Service) statusHandler(ctx context.Context, in *statusInput) (*statusOutput, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	purpose := in.Purpose
	if purpose == "" {
		purpose = in.PurposeHeader
	}

	a, err := s.LookupStatus(ctx, p, purpose, in.CaseRef, api.RequestID(ctx), in.PIN, in.Seq)
	if err != nil {
		return nil, httpError(err)
	}
	return &statusOutput{Body: a}, nil
}

type setStatusInput struct {
	PINPath
	Body struct {
		Seq    int64  `json:"seq,omitempty" doc:"The card; 0 or absent for the latest."`
		Status string `json:"status" enum:"lost,revoked,replaced"`
		Reason string `json:"reason" maxLength:"500" doc:"The decision or report behind the change."`
	}
}

type cardOutput struct{ Body *Card }

func (s *Service) setStatusHandler(ctx context.Context, in *setStatusInput) (*cardOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	p, _ := principal(ctx)
	// Recorded before the write: a change that cannot be accounted for must
	// not happen.
	if err := s.Record(ctx, p, "", "", api.RequestID(ctx), in.PIN, "write"); err != nil {
		return nil, httpError(err)
	}
	c, err := s.SetStatus(ctx, in.PIN, in.Body.Seq, in.Body.Status, in.Body.Reason, p.ID)
	if err != nil {
		return nil, httpError(err)
	}
	s.Invalidate()
	return &cardOutput{Body: c}, nil
}

type cardsOutput struct {
	Body struct {
		Items []Card `json:"items"`
	}
}

func (s *Service) listHandler(ctx context.Context, in *PINPath) (*cardsOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	cs, err := s.Cards(ctx, in.PIN)
	if err != nil {
		return nil, err
	}
	out := &cardsOutput{}
	out.Body.Items = cs
	if cs == nil {
		out.Body.Items = []Card{}
	}
	if len(cs) > 0 {
		p, _ := principal(ctx)
		if err := s.Record(ctx, p, "", "", api.RequestID(ctx), in.PIN, "read"); err != nil {
			return nil, httpError(err)
		}
	}
	return out, nil
}

type chipOutput struct {
	Body struct {
		Card Card `json:"card"`
		ChipData
	}
}

func (s *Service) chipHandler(ctx context.Context, in *PINPath) (*chipOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	fs, err := s.ChipFiles(ctx, in.PIN)
	if err != nil {
		return nil, httpError(err)
	}
	p, _ := principal(ctx)
	if err := s.Record(ctx, p, "", "", api.RequestID(ctx), in.PIN, "read", "documents", "full_name", "birth_date"); err != nil {
		return nil, httpError(err)
	}
	out := &chipOutput{}
	out.Body.Card = fs.Card
	out.Body.ChipData = ChipData{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD}
	return out, nil
}

type qrOfOutput struct {
	Body struct {
		Payload string `json:"payload"`
	}
}

// QRPayload returns the QR payload of the person's latest card, from the
// registry record as it is now.
func (s *Service) QRPayload(ctx context.Context, pin string) (string, error) {
	c, err := s.Current(ctx, pin)
	if err != nil {
		return "", err
	}
	rec, err := s.reg.Person(ctx, pin, registry.Date{})
	if err != nil {
		return "", err
	}
	p := rec.Person
	addr := residenceText(p.PermanentResidence, s.now())
	if addr == "" {
		addr = "-"
	}
	return qr.Format(qr.Payload{PIN: p.PIN, OldIDNumber: p.OldIDNumber, FullName: p.FullName, BirthDate: p.BirthDate.String(),
		Sex: string(p.Sex), Address: addr, IssueDate: c.IssueDate})
}

func (s *Service) qrOfHandler(ctx context.Context, in *PINPath) (*qrOfOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	payload, err := s.QRPayload(ctx, in.PIN)
	if err != nil {
		return nil, httpError(err)
	}
	p, _ := principal(ctx)
	if err := s.Record(ctx, p, "", "", api.RequestID(ctx), in.PIN, "read", "documents", "full_name", "birth_date", "sex", "permanent_residence", "old_id_number"); err != nil {
		return nil, httpError(err)
	}
	out := &qrOfOutput{}
	out.Body.Payload = payload
	return out, nil
}

func (s *Service) rotateHandler(ctx context.Context, _ *struct{}) (*pkiOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.pki.Rotate(ctx); err != nil {
		return nil, err
	}
	return s.pkiHandler(ctx, nil)
}

type revokeInput struct {
	Serial string `path:"serial" maxLength:"64" pattern:"^[0-9a-fA-F]+$"`
	Body   struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

func (s *Service) revokeDSHandler(ctx context.Context, in *revokeInput) (*pkiOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := s.pki.RevokeDS(ctx, in.Serial, in.Body.Reason); err != nil {
		return nil, httpError(err)
	}
	s.Invalidate()
	return s.pkiHandler(ctx, nil)
}
