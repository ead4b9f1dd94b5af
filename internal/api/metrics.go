package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names, fixed so that dashboards and alerts can rely on them.
const (
	MetricRequests = "dancu_http_requests_total"
	MetricDuration = "dancu_http_request_duration_seconds"
	MetricInFlight = "dancu_http_requests_in_flight"
	// MetricRateLimited counts requests refused with 429.
	MetricRateLimited = "dancu_http_rate_limited_total"
)

// httpMetrics are the HTTP server's metrics. Labels are the method, the
// route pattern and the status: all bounded sets, so that no request can
// create a new series (paths contain PINs and would be both unbounded and
// personal data).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	// rateLimited counts requests refused with 429, by what was limited.
	rateLimited *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "HTTP requests served, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricDuration,
			Help:    "Time to serve an HTTP request, by method, route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricInFlight,
			Help: "HTTP requests being served.",
		}),
	}
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRateLimited,
		Help: "Requests refused for exceeding a rate limit, by limit (address or agency).",
	}, []string{"limit"})
	reg.MustRegister(m.requests, m.duration, m.inflight, m.rateLimited)
	return m
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	method = metricMethod(method)
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, code).Inc()
	m.duration.WithLabelValues(method, route, code).Observe(d.Seconds())
}

// metricMethod keeps the method label to the standard methods; the method
// is client-controlled text.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// newMetricsRegistry returns a registry with the Go runtime and process
// collectors, for a Server whose caller brought none.
// NewMetricsRegistry returns a registry with the Go runtime and process
// collectors, for a caller that registers its own metrics beside the HTTP
// ones (Deps.Metrics).
func NewMetricsRegistry() *prometheus.Registry { return newMetricsRegistry() }

func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// metricsHandler serves the registry in the Prometheus exposition format.
func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
