package services

import (
	"context"
	"sort"
	"time"

	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
)

// QueueQuery selects an officer's queue: the open dossiers of one unit,
// most urgent first.
type QueueQuery struct {
	Unit      Unit
	Procedure string // "" for all
	Overdue   bool   // only overdue dossiers
	After     string // the code of the last dossier of the previous page
	Limit     int
}

// Queue is one page of a queue with its counts.
type Queue struct {
	Dossiers []*Dossier
	Counts   store.DossierCounts
	Next     string // the After of the next page, "" at the end
}

// MaxQueuePage bounds a queue page.
const MaxQueuePage = 200

// Queue returns a page of the open dossiers of a unit in the officer's
// scope, ordered by deadline, with how many are open, overdue and paused.
// A province's queue holds every dossier of the province; listing a queue
// is not an access to personal data (the list shows codes, procedures and
// dates), opening a dossier is.
func (s *Service) Queue(ctx context.Context, o *staff.Account, q QueueQuery) (*Queue, error) {
	if q.Unit.Province == "" {
		return nil, refuse(KindInvalid, "province", "required")
	}
	if err := authorizeOfficer(o, q.Unit); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > MaxQueuePage {
		q.Limit = 50
	}
	now := s.clock()
	sq := store.DossierQuery{Province: q.Unit.Province, Commune: q.Unit.Commune, Procedure: q.Procedure, OpenOnly: true, Limit: q.Limit + 1}
	if q.Overdue {
		sq.OverdueAt = now
	}
	if q.After != "" {
		prev, err := s.get(ctx, q.After)
		if err != nil {
			return nil, err
		}
		sq.AfterTime, sq.AfterCode = prev.DueAt, prev.Code
	}
	rows, err := s.st.DossierList(ctx, sq)
	if err != nil {
		return nil, err
	}
	counts, err := s.st.CountDossiers(ctx, sq, now)
	if err != nil {
		return nil, err
	}
	out := &Queue{Counts: counts}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		out.Next = rows[len(rows)-1].Code
	}
	if out.Dossiers, err = decodeAll(rows); err != nil {
		return nil, err
	}
	return out, nil
}

// Figures are the dashboard's numbers for a procedure in a province (or,
// with Province "", the whole country).
type Figures struct {
	Procedure string `json:"procedure"`
	Province  string `json:"province"`
	Submitted int64  `json:"submitted"`
	Decided   int64  `json:"decided"`
	OnTime    int64  `json:"on_time"`
	// OnTimeRate is OnTime/Decided, or 0 with nothing decided.
	OnTimeRate float64 `json:"on_time_rate"`
	Withdrawn  int64   `json:"withdrawn"`
	Open       int64   `json:"open"`
	Overdue    int64   `json:"overdue"`
}

// Stats returns the volumes, on-time rates and overdue dossiers per
// procedure and province for dossiers submitted or closed in [from, to),
// with the open and overdue counts as of now, followed by one row per
// procedure for the whole country (Province ""). It is the indicator the
// statistics package publishes; it reads only counts, no personal data.
func (s *Service) Stats(ctx context.Context, from, to time.Time) ([]Figures, error) {
	rows, err := s.st.DossierStats(ctx, from, to, s.clock())
	if err != nil {
		return nil, err
	}
	total := map[string]*Figures{}
	var out []Figures
	for _, r := range rows {
		f := Figures{Procedure: r.Procedure, Province: r.Province, Submitted: r.Submitted, Decided: r.Decided,
			OnTime: r.OnTime, Withdrawn: r.Closed - r.Decided, Open: r.Open, Overdue: r.Overdue}
		out = append(out, f)
		t := total[r.Procedure]
		if t == nil {
			t = &Figures{Procedure: r.Procedure}
			total[r.Procedure] = t
		}
		t.Submitted += f.Submitted
		t.Decided += f.Decided
		t.OnTime += f.OnTime
		t.Withdrawn += f.Withdrawn
		t.Open += f.Open
		t.Overdue += f.Overdue
	}
	codes := make([]string, 0, len(total))
	for c := range total {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		out = append(out, *total[c])
	}
	for i := range out {
		if out[i].Decided > 0 {
			out[i].OnTimeRate = float64(out[i].OnTime) / float64(out[i].Decided)
		}
	}
	return out, nil
}
