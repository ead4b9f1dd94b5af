package health

import (
	"bytes"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
)

type bytesBuffer = bytes.Buffer

// PurposeAdministration is the purpose recorded for administrators'
// reads of health books.
const PurposeAdministration = "health.administration"

func accessOf(p auth.Principal, pin, requestID string) audit.Access {
	return audit.Access{ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: PurposeAdministration,
		PIN: pin, Fields: []string{"health_book"}, Action: "read", RequestID: requestID}
}
