package store

import "context"

// StatsSource is what the analytics store (package stats) reads from the
// registry when it rebuilds its columnar copy: person versions without
// their documents, the links of the linked datasets, the eID accounts, and
// the outbox head to resume the feed from. Every method pages with a keyset cursor so that a
// rebuild of a hundred million people never holds more than a page.
type StatsSource interface {
	// PersonChanges returns up to limit person versions produced by events
	// of the given types, with (PIN, Version) after (afterPIN,
	// afterVersion), ordered by (PIN, Version). Data is left nil.
	PersonChanges(ctx context.Context, types []string, afterPIN string, afterVersion int64, limit int) ([]PersonVersion, error)
	// DatasetLinks returns up to limit (dataset, key, PIN) triples of the
	// linked datasets after (afterDataset, afterKey), ordered by
	// (Dataset, Key). Only those three fields are set. Key is the key as
	// stored (a sealed store's blind index): a cursor, not the agency's key.
	DatasetLinks(ctx context.Context, afterDataset, afterKey string, limit int) ([]DatasetRecord, error)
	// OutboxHead returns the highest outbox Seq, 0 when the outbox is empty.
	OutboxHead(ctx context.Context) (int64, error)
	// EIDAccountsAfter returns up to limit electronic identification
	// accounts of every kind with ID > afterID, ordered by ID (for the
	// eID figures, which count accounts by level).
	EIDAccountsAfter(ctx context.Context, afterID string, limit int) ([]EIDAccount, error)
}
