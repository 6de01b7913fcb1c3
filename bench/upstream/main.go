// The benchmark upstream: a keep-alive HTTP/1.1 server on loopback, Go
// standard library only. Every peer fetches from it, and it counts what they
// did, so each run's limits are checked here rather than trusted.
//
// The control port (-listen) is plain HTTP:
//
//	GET /bytes?n=N        N bytes of 'a' (default 1024)
//	GET /delay?ms=M&n=N   N bytes after M milliseconds
//	GET /stats            {"requests","in_flight","peak_in_flight","accepted","open",
//	                       "h1","h2","tls_full","tls_resumed","origins":[{"port",
//	                       "requests","peak_in_flight","accepted"}]}
//	GET /reset            zero the counters (peak_in_flight restarts from in_flight)
//
// /stats and /reset are not counted as requests. -origins K adds K more
// listeners on free loopback ports (their ports are in /stats), serving
// /bytes and /delay, each counted on its own and in the totals; with -cert and
// -key they speak TLS 1.3 (HTTP/2 too unless -h2=false), with -close every
// answer there carries Connection: close.
package main

import (
	"crypto/tls"
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

var payload = make([]byte, 1<<20)

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

func body(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.Write(payload[:n])
}

// /bytes and /delay, counted in the totals and on `o` (nil: the control port).
func dataRoutes(mux *http.ServeMux, o *origin, connClose bool) {
	counted := func(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			all.enter()
			if o != nil {
				o.enter()
			}
			if r.ProtoMajor == 2 {
				h2.Add(1)
			} else {
				h1.Add(1)
			}
			if connClose {
				w.Header().Set("Connection", "close")
			}
			h(w, r)
			if o != nil {
				o.leave()
			}
			all.leave()
		}
	}
	mux.HandleFunc("/bytes", counted(func(w http.ResponseWriter, r *http.Request) { body(w, size(r)) }))
	mux.HandleFunc("/delay", counted(func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		body(w, size(r))
	}))
}

func server(mux *http.ServeMux, o *origin) *http.Server {
	return &http.Server{
		Handler: mux,
		ConnState: func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				all.accepted.Add(1)
				all.open.Add(1)
				if o != nil {
					o.accepted.Add(1)
				}
			case http.StateClosed, http.StateHijacked:
				all.open.Add(-1)
			}
		},
		IdleTimeout: 60 * time.Second,
	}
}

func loopback(addr string) net.Listener {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		log.Fatalf("refusing to listen on %v: loopback only", ln.Addr())
	}
	return ln
}

func main() {
	addr := flag.String("listen", "127.0.0.1:9000", "control address (loopback only)")
	count := flag.Int("origins", 0, "extra data listeners on free ports of the control address's host")
	cert := flag.String("cert", "", "PEM certificate for the origins (TLS when set)")
	key := flag.String("key", "", "PEM key for -cert")
	withH2 := flag.Bool("h2", true, "offer h2 in ALPN on TLS origins")
	connClose := flag.Bool("close", false, "answer Connection: close on the origins")
	flag.Parse()
	for i := range payload {
		payload[i] = 'a'
	}
	var cfg *tls.Config
	if *cert != "" {
		var err error
		if cfg, err = tlsConfig(*cert, *key); err != nil {
			log.Fatal(err)
		}
	}
	ctl := loopback(*addr)
	host, _, _ := net.SplitHostPort(ctl.Addr().String())
	for i := 0; i < *count; i++ {
		ln := loopback(net.JoinHostPort(host, "0"))
		o := &origin{port: ln.Addr().(*net.TCPAddr).Port}
		origins = append(origins, o)
		mux := http.NewServeMux()
		dataRoutes(mux, o, *connClose)
		srv := server(mux, o)
		serve := srv.Serve
		if cfg != nil {
			serve = serveTLS(srv, cfg, *withH2)
		}
		go func() { log.Fatal(serve(ln)) }()
	}

	mux := http.NewServeMux()
	dataRoutes(mux, nil, false)
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(statsJSON()))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		resetAll()
		w.Write([]byte(`{"reset":true}` + "\n"))
	})
	log.Printf("upstream listening on %v, %d origins", ctl.Addr(), len(origins))
	log.Fatal(server(mux, nil).Serve(ctl))
}
