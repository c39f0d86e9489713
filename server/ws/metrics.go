package ws

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hub's Prometheus series. Label values are bounded: the
// message types of the protocol plus "unknown", "invalid" and "binary",
// and the wire error codes.
type metrics struct {
	sessions      prometheus.Gauge
	sessionsTotal prometheus.Counter
	messages      *prometheus.CounterVec
	errors        *prometheus.CounterVec
	bytesStreamed prometheus.Counter
	streamSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vitrine_ws_sessions",
			Help: "Open WebSocket connections.",
		}),
		sessionsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vitrine_ws_sessions_total",
			Help: "WebSocket connections accepted since start.",
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrine_ws_messages_total",
			Help: "Messages received from clients, by type (unknown, invalid and binary for the rest).",
		}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrine_ws_errors_total",
			Help: "Errors reported to clients, by wire error code.",
		}, []string{"code"}),
		bytesStreamed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vitrine_ws_bytes_streamed_total",
			Help: "Model bytes queued to clients in chunk frames.",
		}),
		streamSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vitrine_ws_stream_seconds",
			Help:    "Duration of model streams, from model.meta to their end.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}),
	}
	if reg == nil {
		return m, nil
	}
	collectors := []prometheus.Collector{m.sessions, m.sessionsTotal, m.messages, m.errors, m.bytesStreamed, m.streamSeconds}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("registering metrics: another hub registered them already: %w", err)
			}
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	return m, nil
}
