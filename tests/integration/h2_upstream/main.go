// h2_upstream: an https upstream for the integration tests, Go's net/http
// (standard library only), which speaks HTTP/2 when the client offers h2 in
// ALPN and HTTP/1.1 otherwise (or always, with -h1). It counts what the tests
// check at the upstream: connections, requests per protocol, streams in
// flight at once (overall and on one connection), and requests whose client
// went away (an HTTP/2 client that resets a stream).
//
//	h2_upstream -cert CERT -key KEY [-h1]
//
// It prints "PORTS <tls> <control>" and serves until its stdin closes. The
// control port is plain HTTP: GET /stats there gives the counters as JSON.
//
// Endpoints on the TLS port:
//
//	/bytes?n=N         N bytes of 'x'
//	/delay?ms=M        "ok" after M ms (sooner if the client goes away)
//	/slow-body?ms=M    one byte every 20 ms for M ms, flushed as it goes
//	/meet?n=N&ms=M     "met" once N requests are in flight at once, or "alone" after M ms
//	/headers           the request's fields as JSON (names lower-cased), with
//	                   ":authority" and ":proto"
//	/echo              any method: {"method","proto","content_length","headers","body"} as received
//	/hang-first?key=K&ms=M  the first request with key K: "slow" after M ms (sooner
//	                   if the client goes away); every later one: "fast" at once
//	/gzip?n=N          N bytes of 'z', gzip-encoded (Content-Encoding: gzip)
//	/gzip-garbage      bytes that are not gzip, labelled Content-Encoding: gzip
//	/big-headers?kb=K  200 with K KiB of header fields
//	/reset             resets the stream (HTTP/2) or the connection (HTTP/1.1)
//	/goaway            "bye", then a graceful GOAWAY on its connection (HTTP/2)
//	/redirect?to=U     302 to U
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type connKey struct{}

// One connection's streams in flight, for the most seen on one connection.
type connStreams struct{ inFlight int }

type counters struct {
	mu                      sync.Mutex
	connections, open       int
	requests, h2, h1        int
	inFlight, maxInFlight   int
	maxStreamsPerConnection int
	cancelled               int
}

var stats counters

// The keys /hang-first has seen.
var seen = struct {
	sync.Mutex
	keys map[string]bool
}{keys: map[string]bool{}}

func (c *counters) enter(cs *connStreams, proto int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	if proto == 2 {
		c.h2++
	} else {
		c.h1++
	}
	c.inFlight++
	if c.inFlight > c.maxInFlight {
		c.maxInFlight = c.inFlight
	}
	cs.inFlight++
	if cs.inFlight > c.maxStreamsPerConnection {
		c.maxStreamsPerConnection = cs.inFlight
	}
}

func (c *counters) leave(cs *connStreams, cancelled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	cs.inFlight--
	if cancelled {
		c.cancelled++
	}
}

func (c *counters) peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxInFlight
}

func millis(r *http.Request, name string, def int) time.Duration {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		v = def
	}
	return time.Duration(v) * time.Millisecond
}

// Waits for d; false when the client went away first.
func wait(r *http.Request, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	cs := r.Context().Value(connKey{}).(*connStreams)
	stats.enter(cs, r.ProtoMajor)
	cancelled := false
	defer func() { stats.leave(cs, cancelled) }()

	q := r.URL.Query()
	switch r.URL.Path {
	case "/bytes":
		n, _ := strconv.Atoi(q.Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		io.WriteString(w, strings.Repeat("x", n))
	case "/delay":
		cancelled = !wait(r, millis(r, "ms", 0))
		io.WriteString(w, "ok")
	case "/slow-body":
		until := time.Now().Add(millis(r, "ms", 1000))
		f := w.(http.Flusher)
		for time.Now().Before(until) {
			io.WriteString(w, "x")
			f.Flush()
			if !wait(r, 20*time.Millisecond) {
				cancelled = true
				return
			}
		}
	case "/meet":
		n, _ := strconv.Atoi(q.Get("n"))
		until := time.Now().Add(millis(r, "ms", 10000))
		for stats.peak() < n && time.Now().Before(until) {
			if !wait(r, 5*time.Millisecond) {
				cancelled = true
				return
			}
		}
		if stats.peak() >= n {
			io.WriteString(w, "met")
		} else {
			io.WriteString(w, "alone")
		}
	case "/headers":
		h := map[string]string{":authority": r.Host, ":proto": r.Proto}
		for name, values := range r.Header {
			h[strings.ToLower(name)] = strings.Join(values, ", ")
		}
		json.NewEncoder(w).Encode(h)
	case "/echo":
		body, _ := io.ReadAll(r.Body)
		h := map[string]string{}
		for name, values := range r.Header {
			h[strings.ToLower(name)] = strings.Join(values, ", ")
		}
		json.NewEncoder(w).Encode(map[string]interface{}{
			"method": r.Method, "proto": r.Proto, "content_length": r.ContentLength, "headers": h, "body": string(body),
		})
	case "/hang-first":
		seen.Lock()
		first := !seen.keys[q.Get("key")]
		seen.keys[q.Get("key")] = true
		seen.Unlock()
		if !first {
			io.WriteString(w, "fast")
			return
		}
		cancelled = !wait(r, millis(r, "ms", 10000))
		io.WriteString(w, "slow")
	case "/gzip":
		n, _ := strconv.Atoi(q.Get("n"))
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		chunk := []byte(strings.Repeat("z", 64*1024))
		for n > 0 {
			k := n
			if k > len(chunk) {
				k = len(chunk)
			}
			if _, err := gz.Write(chunk[:k]); err != nil {
				cancelled = true // the client reset the stream
				return
			}
			n -= k
		}
		gz.Close()
	case "/gzip-garbage":
		w.Header().Set("Content-Encoding", "gzip")
		io.WriteString(w, "this is plain text, not gzip")
	case "/big-headers":
		kb, _ := strconv.Atoi(q.Get("kb"))
		for i := 0; i < kb; i++ {
			w.Header().Set(fmt.Sprintf("x-filler-%d", i), strings.Repeat("f", 1000))
		}
		io.WriteString(w, "big")
	case "/reset":
		panic(http.ErrAbortHandler)
	case "/goaway":
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	case "/redirect":
		http.Redirect(w, r, q.Get("to"), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func serveStats(w http.ResponseWriter, r *http.Request) {
	stats.mu.Lock()
	defer stats.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]int{
		"connections": stats.connections, "open": stats.open, "requests": stats.requests,
		"h2_requests": stats.h2, "h1_requests": stats.h1, "in_flight": stats.inFlight,
		"max_in_flight": stats.maxInFlight, "max_streams_per_connection": stats.maxStreamsPerConnection,
		"cancelled": stats.cancelled,
	})
}

func main() {
	cert := flag.String("cert", "", "PEM certificate chain")
	key := flag.String("key", "", "PEM private key")
	h1 := flag.Bool("h1", false, "HTTP/1.1 only (no h2 in ALPN)")
	flag.Parse()

	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(handle),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connStreams{})
		},
		ConnState: func(c net.Conn, s http.ConnState) {
			stats.mu.Lock()
			defer stats.mu.Unlock()
			switch s {
			case http.StateNew:
				stats.connections++
				stats.open++
			case http.StateClosed, http.StateHijacked:
				stats.open--
			}
		},
		// Nothing reads its stderr once the ports are printed (a write there
		// would kill it with SIGPIPE): failed handshakes and the like go unlogged.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if *h1 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	go srv.ServeTLS(tlsLn, *cert, *key)
	go http.Serve(ctlLn, http.HandlerFunc(serveStats))
	fmt.Printf("PORTS %d %d\n", tlsLn.Addr().(*net.TCPAddr).Port, ctlLn.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
}
