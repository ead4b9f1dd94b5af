package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Column lists shared by the reads on both pools. The order matches
// scanPersonVersion and scanHouseholdVersion.
const (
	personVersionCols = `v.pin, v.version, v.name_key, v.name_fold, v.birth_year, v.birth_date,
		v.sex, v.province, v.commune, v.state, v.household_id, v.data,
		v.event_id, v.event_type, v.actor, v.reason, v.valid_from, v.recorded_at`
	householdVersionCols = `v.id, v.version, v.head_pin, v.province, v.commune, v.data,
		v.event_id, v.event_type, v.actor, v.reason, v.valid_from, v.recorded_at`
	eventCols = `e.seq, e.id, e.type, e.actor, e.reason, e.effective_date, e.recorded_at,
		e.subjects, e.request, e.result`
)

// Reads of the current version go through the key table's pointer; CROSS JOIN
// fixes the join order SQLite would pick anyway.
const (
	qPerson = `SELECT ` + personVersionCols + ` FROM persons p CROSS JOIN person_versions v
		ON v.vid = p.cur WHERE p.pin = ?`
	qPersonAsOf = `SELECT ` + personVersionCols + ` FROM person_versions v
		WHERE v.pin = ? AND v.valid_from <= ? ORDER BY v.version DESC LIMIT 1`
	qPersonHistory = `SELECT ` + personVersionCols + ` FROM person_versions v
		WHERE v.pin = ? ORDER BY v.version`
	qHousehold = `SELECT ` + householdVersionCols + ` FROM households h CROSS JOIN household_versions v
		ON v.vid = h.cur WHERE h.id = ?`
	qHouseholdHistory = `SELECT ` + householdVersionCols + ` FROM household_versions v
		WHERE v.id = ? ORDER BY v.version`
	qEvent        = `SELECT ` + eventCols + ` FROM events e WHERE e.id = ?`
	qCountPersons = `SELECT value FROM counters WHERE name = 'persons'`
	qOutbox       = `SELECT seq, event_id, event_type, pin, data, created_at FROM outbox
		WHERE seq > ? ORDER BY seq LIMIT ?`
	qSetting = `SELECT value FROM settings WHERE key = ?`
)

// writeStmts are the writer's statements, prepared once at Open. They must
// be prepared before any transaction starts: the writer pool has a single
// connection, so preparing on the pool inside a transaction would wait for
// that transaction forever. Inside a transaction they are bound to it with
// tx.StmtContext, which reuses the statement already prepared on the
// connection.
type writeStmts struct {
	person, personVersion, insPersonVersion, insPerson, updPerson, addPersons    *sql.Stmt
	household, householdVersion, insHouseholdVersion, insHousehold, updHousehold *sql.Stmt
	event, insEvent, insEventSubject, insOutbox                                  *sql.Stmt
	setting, putSetting, insSettingIfAbsent                                      *sql.Stmt
}

// stmtList pairs statements with their SQL, for preparing and closing them
// together.
type stmtList []struct {
	dst **sql.Stmt
	q   string
}

func (l stmtList) prepare(ctx context.Context, db *sql.DB) error {
	for _, s := range l {
		st, err := db.PrepareContext(ctx, s.q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*s.dst = st
	}
	return nil
}

func (l stmtList) close() {
	for _, s := range l {
		if *s.dst != nil {
			(*s.dst).Close()
		}
	}
}

func (w *writeStmts) list() stmtList {
	return stmtList{
		{&w.person, qPerson},
		{&w.personVersion, `SELECT version FROM persons WHERE pin = ?`},
		{&w.insPersonVersion, `INSERT INTO person_versions (pin, version, name_key, name_fold,
			birth_year, birth_date, sex, province, commune, state, household_id,
			event_id, event_type, actor, reason, valid_from, recorded_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.insPerson, `INSERT INTO persons (pin, version, cur, name_key, name_fold, birth_year,
			birth_date, sex, province, commune, state, household_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.updPerson, `UPDATE persons SET version = ?, cur = ?, name_key = ?, name_fold = ?,
			birth_year = ?, birth_date = ?, sex = ?, province = ?, commune = ?, state = ?,
			household_id = ? WHERE pin = ?`},
		{&w.addPersons, `UPDATE counters SET value = value + ? WHERE name = 'persons'`},
		{&w.household, qHousehold},
		{&w.householdVersion, `SELECT version FROM households WHERE id = ?`},
		{&w.insHouseholdVersion, `INSERT INTO household_versions (id, version, head_pin, province,
			commune, event_id, event_type, actor, reason, valid_from, recorded_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.insHousehold, `INSERT INTO households (id, version, cur) VALUES (?, ?, ?)`},
		{&w.updHousehold, `UPDATE households SET version = ?, cur = ? WHERE id = ?`},
		{&w.event, qEvent},
		{&w.insEvent, `INSERT INTO events (id, type, actor, reason, effective_date, recorded_at,
			subjects, request, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.insEventSubject, `INSERT INTO event_subjects (seq, pin) VALUES (?, ?)`},
		{&w.insOutbox, `INSERT INTO outbox (event_id, event_type, pin, data, created_at)
			VALUES (?, ?, ?, ?, ?)`},
		{&w.setting, qSetting},
		{&w.putSetting, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`},
		{&w.insSettingIfAbsent, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`},
	}
}

// stmtCache prepares read statements on first use and keeps them: each read
// connection then compiles a query once, not on every call. Search and event
// queries are built from the filters present, which gives a few hundred
// shapes at most.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[q]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[q]; ok {
		st.Close()
		return old, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}
