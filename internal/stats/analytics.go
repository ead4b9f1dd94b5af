package stats

import (
	"context"
	"time"
)

// Store is the analytics store: a columnar copy of what statistics need.
// Package duckstore implements it on DuckDB; nothing else in dancu depends on
// the engine. A Store has a single writer: the process that opened it
// (DuckDB locks the file). Each serving process keeps its own store, a
// replica of the shared registry, so no lease is needed between processes.
//
// Its tables, people keyed by pseudonym:
//
//	people(id, version, sex, birth_year, bdate, born, province, commune, left_on, left_unknown, until, chip_since,
//	       links, eid_since, eid2_since)
//	events(id, version, kind, day, sex, bdate, province, commune)
//	links(dataset, id)
//	eid_accounts(id, since, level2_since)
//	agencies(agency, kind, active, since)
//	traffic(agency, day, action, n)
//	meta(cursor, applied_at, access_cursor)
//	pre_people(day, province, commune, sex, age, birth_year, n, chip, eid, eid1, eid2)
//	pre_links(day, province, commune, sex, age_group, dataset, people, linked)
//	pre_cells(day, commune, age_group, sex, n), pre_names(id, name)   (CellStore)
//
// The pre_ tables are counts as of the days Preaggregate was asked to hold
// (rows may repeat a key: readers sum them), which indicators with a Pre
// read instead of people.
// and one table for each registered Source. The people table carries, for
// each person, what the side tables say of them (links: a bit mask of the
// linked datasets holding a record; the eID account's dates), kept in step
// whenever people or the side tables change, so that no indicator joins
// per-person tables at query time.
type Store interface {
	// Cursor returns the outbox Seq the store has applied up to.
	Cursor(ctx context.Context) (int64, error)
	// Apply writes one batch from the outbox in one transaction: a person
	// replaces the stored row unless that row has a higher version, an
	// event is added unless (id, version) is there, and the cursor moves
	// to b.Cursor. Applying a batch twice changes nothing the second time.
	Apply(ctx context.Context, b Batch) error
	// Rebuild starts replacing the whole content; nothing is visible until
	// the Loader commits.
	Rebuild(ctx context.Context) (Loader, error)
	// ReplaceSides replaces the links, the eID accounts and the agencies
	// in one transaction.
	ReplaceSides(ctx context.Context, s Sides) error
	// AccessCursor returns the access-log index the traffic counts reach:
	// every entry below it is counted.
	AccessCursor(ctx context.Context) (int64, error)
	// AddTraffic adds counts of access-log entries and moves the access
	// cursor to cursor, in one transaction.
	AddTraffic(ctx context.Context, t []Traffic, cursor int64) error
	// ReplaceSource replaces the rows of a side table in one transaction.
	ReplaceSource(ctx context.Context, src SourceTable, rows [][]any) error
	// Preaggregate makes the store hold pre-aggregated counts as of day
	// (the tables pre_people and pre_links), exact and kept in step by
	// every later write, and reports whether it holds them. It holds at
	// most keep days, dropping the least recently asked for; keep < 1
	// holds none. The first call for a day counts every person once.
	Preaggregate(ctx context.Context, day time.Time, keep int) (bool, error)
	// Holds reports whether the store holds counts as of day, counting
	// nothing (a held day is then the most recently asked for).
	Holds(day time.Time) bool
	// Version identifies the store's content: it changes after every
	// write that may change an indicator (a later Version than one read
	// before a query means the query may be out of date).
	Version() int64
	// Aggregate runs one grouped count: the columns are the dimension
	// expressions, then the measure expressions, in order.
	Aggregate(ctx context.Context, q Aggregation) ([][]any, error)
	// Distinct returns the distinct values of a column expression of a
	// table, in order (for validating filter values).
	Distinct(ctx context.Context, table, expr string) ([]string, error)
	// Export writes the pseudonymised tables to dir, partitioned by
	// province, as "parquet" or "csv".
	Export(ctx context.Context, format, dir string) ([]string, error)
	// Info describes the store for the dashboard and /metrics.
	Info(ctx context.Context) (Info, error)
	// Close releases the store.
	Close() error
}

// CellStore is a Store that also keeps the finest population table
// folded, so that it is read rather than grouped (the table of some
// 136,000 cells costs more to group than to use).
type CellStore interface {
	// PopulationCells returns the living people as of day by commune, age
	// group and sex: the rows the population's pre-aggregated query by
	// commune, age_group and sex gives, by column. held is false when the
	// store does not hold counts as of day.
	PopulationCells(ctx context.Context, day time.Time) (c *Cells, held bool, err error)
}

// Cells is the finest population table by column: cell i counts N[i] > 0
// living people of commune Commune[i], 5-year age group AgeGroup[i] (an
// index of AgeGroups) and sex Sex[i], "" being an unknown commune or sex.
// The cells are ordered by commune, age group and sex, "" first (as ORDER
// BY ... NULLS FIRST orders them).
type Cells struct {
	Commune  []string
	AgeGroup []int8
	Sex      []string
	N        []int64
}

// Batch is what Apply writes.
type Batch struct {
	People []Person
	Events []Event
	Cursor int64
	// Created is when the newest message of the batch entered the outbox,
	// for the lag metric.
	Created time.Time
}

// Loader receives a rebuild's rows, in any number of calls.
type Loader interface {
	People(p []Person) error
	Events(e []Event) error
	Sides(s Sides) error
	Traffic(t []Traffic) error
	// Commit makes the new content visible at once, with the outbox
	// cursor and the access-log cursor it is consistent with.
	Commit(ctx context.Context, cursor, accessCursor int64) error
	// Abort drops what was loaded.
	Abort() error
}

// Aggregation is one grouped query: SELECT dims, measures FROM from WHERE
// where GROUP BY dims. The strings are SQL written by this package's
// indicator catalogue, never by a client: client input reaches them only as
// validated codes and dates.
type Aggregation struct {
	From     string
	Where    []string
	Dims     []string
	Measures []string
	// Having are conditions on the groups, joined with AND.
	Having []string
	// Ordered sorts the rows by the dimensions, in order.
	Ordered bool
}

// SourceTable is a side table the analytics store keeps for indicators
// whose data lives outside the registry (linked datasets, eID accounts,
// vaccinations...): a name, its columns as SQL declarations, and how to
// read its rows. Columns name people by pseudonym (a BIGINT column "id").
type SourceTable struct {
	Name    string
	Columns []string // "id BIGINT", "dataset VARCHAR"...
}

// Info is the state of the analytics store.
type Info struct {
	Cursor    int64
	People    int64
	Events    int64
	Links     int64
	Accounts  int64 // eID accounts
	Agencies  int64
	Access    int64     // the access-log cursor
	AppliedAt time.Time // when the last batch was applied
	FileBytes int64
}
