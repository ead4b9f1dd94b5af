package stats

import (
	"container/list"
	"sort"
	"strings"
	"sync"
	"time"
)

// A finest table (commune × age group × sex, some 136,000 cells) costs
// 0.2–0.4 s of CPU to compute even from pre-aggregated counts, most of it
// reading the cells out of the store and, for the public view, disclosure
// control. The dashboard and the open data ask the same tables again and
// again, so the Service keeps recent results, keyed by the query (as-of day
// resolved, exact or protected) and the store's data version: any write to
// the store gives a new version, so a cached table is always the one the
// store would give now — exact, and protected exactly as it would be.

// resultCacheCells bounds the cached results by their cells (rows ×
// measures), about 40 MB.
const resultCacheCells = 1_000_000

type resultCache struct {
	mu    sync.Mutex
	ll    *list.List // of *cached, most recent first
	byKey map[string]*list.Element
	cells int
	hits  int64
}

type cached struct {
	key     string
	version int64
	res     *Result
	cells   int
}

func newResultCache() *resultCache {
	return &resultCache{ll: list.New(), byKey: map[string]*list.Element{}}
}

// cacheKey is the query's identity once its as-of day is resolved.
func cacheKey(q *Query) string {
	var b strings.Builder
	b.WriteString(q.Indicator)
	b.WriteString("|")
	b.WriteString(strings.Join(q.By, ","))
	b.WriteString("|")
	keys := make([]string, 0, len(q.Filters))
	for k := range q.Filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + q.Filters[k] + ",")
	}
	b.WriteString("|" + q.AsOf.Format(time.DateOnly) + "|" + q.From.Format(time.DateOnly))
	if q.Exact {
		b.WriteString("|exact")
	}
	return b.String()
}

func (c *resultCache) get(key string, version int64) *Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	v := e.Value.(*cached)
	if v.version != version {
		c.remove(e)
		return nil
	}
	c.ll.MoveToFront(e)
	c.hits++
	return v.res
}

func (c *resultCache) put(key string, version int64, res *Result) {
	cells := len(res.Rows) * max(len(res.Measures), 1)
	if cells > resultCacheCells/2 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.remove(e)
	}
	c.byKey[key] = c.ll.PushFront(&cached{key: key, version: version, res: res, cells: cells})
	c.cells += cells
	for c.cells > resultCacheCells {
		c.remove(c.ll.Back())
	}
}

func (c *resultCache) remove(e *list.Element) {
	v := e.Value.(*cached)
	c.ll.Remove(e)
	delete(c.byKey, v.key)
	c.cells -= v.cells
}
