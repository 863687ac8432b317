package node

import "github.com/prometheus/client_golang/prometheus"

type linkMetrics struct {
	framesIn, framesOut, bytesIn, bytesOut *prometheus.CounterVec
	resent, duplicates, linkDrops          *prometheus.CounterVec
	badFrames, helloRefused                *prometheus.CounterVec
	outboxRejected, volatileDropped        *prometheus.CounterVec
	peersUp                                prometheus.Gauge
	rpcTimeouts, handlerPanics             prometheus.Counter
}

func newMetrics(n *Node) *linkMetrics {
	f := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "link", Name: name, Help: help}, labels)
		n.reg.MustRegister(v)
		return v
	}
	m := &linkMetrics{
		framesIn:        f("frames_received_total", "Frames received, by peer.", "peer"),
		framesOut:       f("frames_sent_total", "Frames sent, by peer.", "peer"),
		bytesIn:         f("received_bytes_total", "Bytes received with framing, by peer.", "peer"),
		bytesOut:        f("sent_bytes_total", "Bytes sent with framing, by peer.", "peer"),
		resent:          f("resent_total", "Messages sent again after a reconnect, by peer.", "peer"),
		duplicates:      f("duplicates_dropped_total", "Received messages dropped as already processed, by peer.", "peer"),
		linkDrops:       f("drops_total", "Links that went down, by peer.", "peer"),
		badFrames:       f("bad_frames_total", "Frames that did not decode or broke the protocol, by peer.", "peer"),
		helloRefused:    f("hello_refused_total", "Connections refused at the handshake, by reason (secret, handshake; abandoned: the dialer hung up before its hello).", "reason"),
		outboxRejected:  f("outbox_rejected_total", "Sends refused because the peer's outbox was full, by peer and priority.", "peer", "priority"),
		volatileDropped: f("volatile_dropped_total", "Unacknowledged volatile messages dropped because the peer restarted, by peer.", "peer"),
	}
	m.peersUp = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "link", Name: "peers_up", Help: "Links currently up."})
	m.rpcTimeouts = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "rpc", Name: "timeouts_total", Help: "Questions that got no answer in time."})
	m.handlerPanics = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "node", Name: "handler_panics_total", Help: "Handler calls that panicked (bugs)."})
	n.reg.MustRegister(m.peersUp, m.rpcTimeouts, m.handlerPanics,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "node", Name: "inbox_depth", Help: "Messages waiting for the main loop."},
			func() float64 { return float64(len(n.inbox) + len(n.inboxCtl)) }),
		&outboxCollector{n: n},
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// outboxCollector reports each peer's unacknowledged messages and bytes.
type outboxCollector struct{ n *Node }

var (
	outboxMsgsDesc  = prometheus.NewDesc("gridrealm_link_outbox_messages", "Messages not yet acknowledged, by peer.", []string{"peer"}, nil)
	outboxBytesDesc = prometheus.NewDesc("gridrealm_link_outbox_bytes", "Payload bytes not yet acknowledged, by peer.", []string{"peer"}, nil)
)

// MetricType says both are gauges, for the catalog (net/metrics), series
// or not.
func (o *outboxCollector) MetricType(string) string { return "gauge" }

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxMsgsDesc
	ch <- outboxBytesDesc
}

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range o.n.allPeers() {
		msgs, bytes := p.pending()
		ch <- prometheus.MustNewConstMetric(outboxMsgsDesc, prometheus.GaugeValue, float64(msgs), p.id)
		ch <- prometheus.MustNewConstMetric(outboxBytesDesc, prometheus.GaugeValue, float64(bytes), p.id)
	}
}
