package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log"
	"net/http"
	"os"
)

type options struct {
	c               int
	caFile          string
	h2              bool
	maxConnsPerHost int
	noKeepAlive     bool
}

func transport(o options) *http.Transport {
	perHost := o.c
	if o.maxConnsPerHost > 0 && o.maxConnsPerHost < perHost {
		perHost = o.maxConnsPerHost
	}
	t := &http.Transport{
		MaxIdleConns:        o.c,
		MaxIdleConnsPerHost: perHost,
		MaxConnsPerHost:     o.maxConnsPerHost,
		DisableKeepAlives:   o.noKeepAlive,
		// A session cache, as curl keeps one: new connections resume.
		TLSClientConfig:   &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(0)},
		ForceAttemptHTTP2: o.h2, // a custom TLSClientConfig turns h2 off otherwise
	}
	if !o.h2 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			log.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("%s: no certificate", o.caFile)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	return t
}

func errorsJSON(errs map[string]int) string {
	b, _ := json.Marshal(errs)
	return string(b)
}
