package store

import (
	"context"
	"time"
)

// Cards keeps the chip ID cards issued (package card owns their meaning):
// one row per card, keyed by the person's PIN and the sequence number of
// the "id_card_issued" event that issued it, with the chip's data groups
// and EF.SOD as issued.
type Cards interface {
	// InsertCards writes cards in one transaction. A card whose EventID is
	// already on record is skipped, so that issuing the same events again
	// changes nothing. Each card inserted turns the same person's earlier
	// cards whose status is "valid" into "replaced". It returns how many
	// cards were inserted.
	InsertCards(ctx context.Context, cards []CardRow) (int, error)
	// CardsByPIN returns a person's cards in Seq order (oldest first);
	// none is an empty result, not an error.
	CardsByPIN(ctx context.Context, pin string) ([]CardRow, error)
	// SetCardStatus sets the status of the card (pin, seq) if its Version
	// is version, and increments Version: ErrNotFound if there is no such
	// card, ErrConflict if it changed meanwhile.
	SetCardStatus(ctx context.Context, pin string, seq, version int64, s CardStatusChange) error
	// CardStatusCounts returns how many cards hold each stored status.
	CardStatusCounts(ctx context.Context) (map[string]int64, error)
}

// CardRow is one card.
type CardRow struct {
	PIN       string
	Seq       int64  // the issuing event's Seq
	EventID   string // the issuing event's id; unique
	Kind      string // can_cuoc or cccd
	IssueDate string // ISO date
	Expiry    string // ISO date, "" for a card that does not expire
	Authority string // the issuing authority
	Status    string // valid, lost, revoked, replaced ("expired" is computed, never stored)
	// StatusReason and StatusActor say why and by whom the status was last
	// set by hand; empty for a card as issued.
	StatusReason string
	StatusActor  string
	Chip         bool
	// DG1, DG2, DG13 and SOD are the chip files; nil for a card without a
	// chip.
	DG1, DG2, DG13, SOD []byte
	// DSSerial is the serial number (hex) of the document signer that
	// signed SOD.
	DSSerial  string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CardStatusChange is a change of a card's status by hand.
type CardStatusChange struct {
	Status string
	Reason string
	Actor  string
}
