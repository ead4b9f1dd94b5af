package audit

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics time the log's write path, so that an operator can tell a slow
// answer caused by the access log (a slow commit, an index transaction
// holding the writer) from one caused by anything else.
type metrics struct {
	record, commit, index prometheus.Histogram
	batch                 prometheus.Histogram
}

var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newMetrics() *metrics {
	return &metrics{
		record: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dancu_access_log_record_seconds",
			Help:    "Time a read waits for its access-log entries to be durable (queue, group commit, wake-up).",
			Buckets: latencyBuckets,
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dancu_access_log_commit_seconds",
			Help:    "Time of one group commit of the access log: hashing the batch, appending it, and the durable commit (including any wait for the store's writer).",
			Buckets: latencyBuckets,
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dancu_access_log_commit_entries",
			Help:    "Entries in one group commit of the access log.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		index: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dancu_access_log_index_seconds",
			Help:    "Time of one transaction of the access log's person index (appends wait meanwhile on SQLite).",
			Buckets: latencyBuckets,
		}),
	}
}

// Collectors returns the log's metrics, for a Prometheus registry.
func (l *Log) Collectors() []prometheus.Collector {
	m := l.metrics
	return []prometheus.Collector{m.record, m.commit, m.batch, m.index}
}

func since(h prometheus.Histogram, start time.Time) { h.Observe(time.Since(start).Seconds()) }
