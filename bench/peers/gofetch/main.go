// Go peer: N GETs of one URL with net/http, at most C in flight (a channel
// semaphore), keep-alive pool sized to C. Prints one JSON line.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to fetch")
	n := flag.Int("n", 1000, "fetches")
	c := flag.Int("c", 64, "max in flight")
	flag.Parse()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *c, MaxIdleConnsPerHost: *c}, Timeout: 30 * time.Second}
	var ok, failed, bytes atomic.Int64
	sem := make(chan struct{}, *c)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp, err := client.Get(*url)
			if err != nil {
				failed.Add(1)
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
		}()
	}
	wg.Wait()
	fmt.Printf(`{"ok":%d,"failed":%d,"bytes":%d,"wall_s":%.4f}`+"\n", ok.Load(), failed.Load(), bytes.Load(), time.Since(start).Seconds())
}
