package main

import (
	"crypto/tls"
	"net"
	"net/http"
)

// TLS 1.3 only, so every peer negotiates the same protocol. Session tickets
// are on (Go's default), so a client holding one resumes.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		// Runs once per server handshake, resumed or not, before the
		// client's Finished.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.DidResume {
				resumedTLS.Add(1)
			} else {
				fullTLS.Add(1)
			}
			return nil
		},
	}, nil
}

// Without h2 the server offers only http/1.1 in ALPN: an empty, non-nil
// TLSNextProto keeps net/http from adding h2.
func serveTLS(srv *http.Server, cfg *tls.Config, h2 bool) func(ln net.Listener) error {
	srv.TLSConfig = cfg
	if !h2 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	return func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
}
