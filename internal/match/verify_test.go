package match

import (
	"context"
	"testing"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/exchange"
)

// TestService_partialQuotaShared runs two services (two processes) over one
// store: they hand out quota in blocks, never more than the limit between
// them, and lose at most one block each.
func TestService_partialQuotaShared(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const limit = 500 // blocks of 5
			g := grantsFake{"bank/kyc": {Agency: "bank", Purpose: "kyc", DemographicCheck: true, Status: exchange.Active,
				MatchStrategies: []string{Partial}, PartialDailyLimit: limit}}
			var svcs []*Service
			for range 2 {
				s, err := NewService(ctx, st, g, &audittest.Recorder{}, Options{Scorer: fixedScorer{score: 100}})
				if err != nil {
					t.Fatal(err)
				}
				svcs = append(svcs, s)
			}
			req := Request{Agency: "bank", Client: "c", Purpose: "kyc", PIN: "079090999123", Strategy: Partial,
				Claim: Claim{FullName: "Nguyễn Văn An"}}
			served, refused := 0, 0
			for i := range 2 * limit {
				_, err := svcs[i%2].Verify(ctx, req)
				if d, ok := err.(*Denial); ok && d.Status == 429 {
					refused++
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				served++
			}
			if served > limit || served < limit-2*5 {
				t.Errorf("served %d partial verifications under a limit of %d (refused %d)", served, limit, refused)
			}
		})
	}
}
