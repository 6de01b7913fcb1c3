// Go peer: N GETs with net/http, at most C in flight (a channel semaphore),
// keep-alive pool sized to C. The URLs are -url, or the lines of -urls taken
// in turn. Prints one JSON line.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func readURLs(one, file string) []string {
	if file == "" {
		return []string{one}
	}
	f, err := os.Open(file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var urls []string
	for s := bufio.NewScanner(f); s.Scan(); {
		if s.Text() != "" {
			urls = append(urls, s.Text())
		}
	}
	if len(urls) == 0 {
		log.Fatalf("%s: no URLs", file)
	}
	return urls
}

func main() {
	url := flag.String("url", "", "URL to fetch")
	urlFile := flag.String("urls", "", "file of URLs, one a line, fetched in turn (instead of -url)")
	n := flag.Int("n", 1000, "fetches")
	c := flag.Int("c", 64, "max in flight")
	var o options
	flag.StringVar(&o.caFile, "ca", "", "PEM CA to trust for https (the system's roots otherwise)")
	flag.BoolVar(&o.h2, "h2", false, "HTTP/2 over ALPN for https")
	flag.IntVar(&o.maxConnsPerHost, "max-conns-per-host", 0, "Transport.MaxConnsPerHost (0: no limit)")
	flag.BoolVar(&o.noKeepAlive, "no-keepalive", false, "a fresh connection per fetch (DisableKeepAlives)")
	flag.Parse()
	o.c = *c
	urls := readURLs(*url, *urlFile)
	client := &http.Client{Transport: transport(o), Timeout: 30 * time.Second}
	var ok, failed, bytes atomic.Int64
	var errMu sync.Mutex
	errs := map[string]int{}
	sem := make(chan struct{}, *c)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(u string) {
			defer func() { <-sem; wg.Done() }()
			resp, err := client.Get(u)
			if err != nil {
				failed.Add(1)
				errMu.Lock()
				errs[err.Error()]++
				errMu.Unlock()
				return
			}
			k, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			bytes.Add(k)
			if err != nil || resp.StatusCode >= 400 {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
		}(urls[i%len(urls)])
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	fmt.Printf(`{"ok":%d,"failed":%d,"bytes":%d,"errors":%s,"wall_s":%.4f}`+"\n",
		ok.Load(), failed.Load(), bytes.Load(), errorsJSON(errs), wall)
}
