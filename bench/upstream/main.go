// The benchmark upstream: a keep-alive HTTP/1.1 server on loopback, Go
// standard library only. Every peer fetches from it, and it counts what they
// did, so each run's limits are checked here rather than trusted:
//
//	GET /bytes?n=N        N bytes of 'a' (default 1024)
//	GET /delay?ms=M&n=N   N bytes after M milliseconds
//	GET /stats            {"requests","in_flight","peak_in_flight","accepted","open"}
//	GET /reset            zero the counters (peak_in_flight restarts from in_flight)
//
// /stats and /reset are not counted as requests.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

var (
	requests, inFlight, peak, accepted, open atomic.Int64
	payload                                  = make([]byte, 1<<20)
)

func size(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		return 1024
	}
	if n > len(payload) {
		return len(payload)
	}
	return n
}

func counted(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		now := inFlight.Add(1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		h(w, r)
		inFlight.Add(-1)
	}
}

func body(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.Write(payload[:n])
}

func main() {
	addr := flag.String("listen", "127.0.0.1:9000", "address to listen on (loopback only)")
	flag.Parse()
	for i := range payload {
		payload[i] = 'a'
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/bytes", counted(func(w http.ResponseWriter, r *http.Request) { body(w, size(r)) }))
	mux.HandleFunc("/delay", counted(func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		body(w, size(r))
	}))
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"requests":%d,"in_flight":%d,"peak_in_flight":%d,"accepted":%d,"open":%d}`+"\n",
			requests.Load(), inFlight.Load(), peak.Load(), accepted.Load(), open.Load())
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		requests.Store(0)
		accepted.Store(0)
		peak.Store(inFlight.Load())
		fmt.Fprintln(w, `{"reset":true}`)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		log.Fatalf("refusing to listen on %v: loopback only", ln.Addr())
	}
	srv := &http.Server{
		Handler: mux,
		ConnState: func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				accepted.Add(1)
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
			}
		},
		IdleTimeout: 60 * time.Second,
	}
	log.Printf("upstream listening on %v", ln.Addr())
	log.Fatal(srv.Serve(ln))
}
