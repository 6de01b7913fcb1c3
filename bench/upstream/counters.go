package main

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// What one listener (or all of them together) has seen since the last reset.
type counter struct {
	requests, inFlight, peak, accepted, open atomic.Int64
}

func (c *counter) enter() {
	c.requests.Add(1)
	now := c.inFlight.Add(1)
	for p := c.peak.Load(); now > p && !c.peak.CompareAndSwap(p, now); p = c.peak.Load() {
	}
}

func (c *counter) leave() { c.inFlight.Add(-1) }

// Open connections and requests in flight survive a reset: they are still there.
func (c *counter) reset() {
	c.requests.Store(0)
	c.accepted.Store(0)
	c.peak.Store(c.inFlight.Load())
}

// An extra data listener (-origins): its own port, its own counters.
type origin struct {
	port int
	counter
}

var (
	all                 counter // every listener, the control port included
	origins             []*origin
	h1, h2              atomic.Int64 // requests by HTTP major version
	fullTLS, resumedTLS atomic.Int64 // TLS handshakes on the origins
)

func resetAll() {
	all.reset()
	for _, o := range origins {
		o.reset()
	}
	h1.Store(0)
	h2.Store(0)
	fullTLS.Store(0)
	resumedTLS.Store(0)
}

func statsJSON() string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"requests":%d,"in_flight":%d,"peak_in_flight":%d,"accepted":%d,"open":%d,`,
		all.requests.Load(), all.inFlight.Load(), all.peak.Load(), all.accepted.Load(), all.open.Load())
	fmt.Fprintf(&b, `"h1":%d,"h2":%d,"tls_full":%d,"tls_resumed":%d,"origins":[`,
		h1.Load(), h2.Load(), fullTLS.Load(), resumedTLS.Load())
	for i, o := range origins {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"port":%d,"requests":%d,"peak_in_flight":%d,"accepted":%d}`,
			o.port, o.requests.Load(), o.peak.Load(), o.accepted.Load())
	}
	b.WriteString("]}\n")
	return b.String()
}
