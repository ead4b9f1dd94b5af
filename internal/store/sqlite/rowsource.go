package sqlite

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite/vtab"
)

// rowSourceModule is the name of the virtual table module through which the
// loader hands SQLite its rows: "INSERT INTO t (cols) SELECT * FROM
// temp.src" reads each value from Go as SQLite asks for it, instead of
// binding every value of a multi-row INSERT as a parameter.
//
// Binding costs a lot in the pure-Go driver: each value goes through
// database/sql's conversion and the driver's copy into C memory, and
// binding was about 13 µs of the loader's 37 µs per person. Measured on
// rows of twelve text values, an insert from this module took 165 ns of CPU
// per value against 350 ns for the same rows bound to a prepared 256-row
// INSERT (BENCHMARKS.md, "the loader's rows through a virtual table").
const rowSourceModule = "dancu_rows"

func init() {
	if err := vtab.RegisterModule(nil, rowSourceModule, rowSourceMod{}); err != nil {
		panic(fmt.Sprintf("sqlite: register %s: %v", rowSourceModule, err))
	}
}

// rowSources holds the rows each source table serves, by table name, while
// one statement reads them. Names are unique per loader table (newRowSource).
var rowSources sync.Map // string → *rowSet

// rowSet is a flat list of rows, cols values each, of the types SQLite
// takes from Go: nil, int64, float64, string, []byte.
type rowSet struct {
	vals []any
	cols int
}

var rowSourceSeq atomic.Int64

// newRowSourceName returns a table name no other source in the process has.
func newRowSourceName(table string) string {
	return "load_" + table + "_" + strconv.FormatInt(rowSourceSeq.Add(1), 10)
}

type rowSourceMod struct{}

func (rowSourceMod) Create(c vtab.Context, args []string) (vtab.Table, error) {
	return connectRowSource(c, args)
}

func (rowSourceMod) Connect(c vtab.Context, args []string) (vtab.Table, error) {
	return connectRowSource(c, args)
}

// connectRowSource declares the table: args are the module, the schema,
// the table's name and the module's one argument, the column count.
func connectRowSource(c vtab.Context, args []string) (vtab.Table, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("%s: want one argument, the column count", rowSourceModule)
	}
	n, err := strconv.Atoi(strings.TrimSpace(args[3]))
	if err != nil || n < 1 || n > 100 {
		return nil, fmt.Errorf("%s: bad column count %q", rowSourceModule, args[3])
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE x(")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("c" + strconv.Itoa(i))
	}
	b.WriteByte(')')
	if err := c.Declare(b.String()); err != nil {
		return nil, err
	}
	return &rowSourceTable{name: args[2], cols: n}, nil
}

type rowSourceTable struct {
	name string
	cols int
}

// BestIndex leaves SQLite's default plan: a full scan, in order.
func (t *rowSourceTable) BestIndex(*vtab.IndexInfo) error { return nil }
func (t *rowSourceTable) Disconnect() error               { return nil }
func (t *rowSourceTable) Destroy() error                  { return nil }

// Open starts a scan of the rows set for the table now; a table with no
// rows set reads as empty.
func (t *rowSourceTable) Open() (vtab.Cursor, error) {
	c := &rowSourceCursor{}
	if v, ok := rowSources.Load(t.name); ok {
		rs := v.(*rowSet)
		if rs.cols != t.cols {
			return nil, fmt.Errorf("%s: %d columns set for a table of %d", rowSourceModule, rs.cols, t.cols)
		}
		c.rows = rs
	}
	return c, nil
}

type rowSourceCursor struct {
	rows *rowSet
	at   int // index of the current row's first value
}

func (c *rowSourceCursor) Filter(int, string, []vtab.Value) error { c.at = 0; return nil }
func (c *rowSourceCursor) Next() error                            { c.at += c.rows.cols; return nil }
func (c *rowSourceCursor) Eof() bool                              { return c.rows == nil || c.at >= len(c.rows.vals) }
func (c *rowSourceCursor) Column(i int) (vtab.Value, error)       { return c.rows.vals[c.at+i], nil }
func (c *rowSourceCursor) Rowid() (int64, error)                  { return int64(c.at / c.rows.cols), nil }
func (c *rowSourceCursor) Close() error                           { return nil }

// sourceValue converts a loader argument to a type the module hands SQLite
// as binding would have stored it: an int as an integer, a nil []byte as
// NULL (the module would give an empty blob).
func sourceValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64, string, float64:
		return x, nil
	case int:
		return int64(x), nil
	case []byte:
		if x == nil {
			return nil, nil
		}
		return x, nil
	default:
		return nil, fmt.Errorf("%s: cannot load a %T", rowSourceModule, v)
	}
}
