// Drives asyncfetch through its API: N fetches of one URL (or of the lines of
// -urls, taken in turn), either in one POST /fetch carrying all N URLs
// (-clients 1), or from W clients each POSTing batches of B URLs back to back. The clock stops when the last answer has
// arrived; counting the results comes after. Prints one JSON line.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

type answer struct {
	Results []struct {
		Ok    bool    `json:"ok"`
		Error *string `json:"error"`
	} `json:"results"`
}

func body(from []string, k, concurrency, perHost int) []byte {
	urls := make([]string, k)
	for i := range urls {
		urls[i] = from[i%len(from)]
	}
	req := map[string]any{"urls": urls, "concurrency": concurrency, "timeout_ms": 60000}
	if perHost > 0 {
		req["per_host_concurrency"] = perHost
	}
	b, _ := json.Marshal(req)
	return b
}

func readURLs(one, file string) []string {
	if file == "" {
		return []string{one}
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "afpost:", err)
		os.Exit(2)
	}
	defer f.Close()
	var urls []string
	for s := bufio.NewScanner(f); s.Scan(); {
		if s.Text() != "" {
			urls = append(urls, s.Text())
		}
	}
	if len(urls) == 0 {
		fmt.Fprintln(os.Stderr, "afpost:", file, "has no URLs")
		os.Exit(2)
	}
	return urls
}

func main() {
	service := flag.String("service", "http://127.0.0.1:8080/fetch", "asyncfetch /fetch URL")
	url := flag.String("url", "", "URL the service fetches")
	urlFile := flag.String("urls", "", "file of URLs, one a line, taken in turn (instead of -url)")
	perHost := flag.Int("per-host", 0, "the request's per_host_concurrency field (0: not sent)")
	n := flag.Int("n", 1000, "fetches in all")
	clients := flag.Int("clients", 1, "clients POSTing at once")
	batch := flag.Int("batch", 0, "URLs per POST (0: n/clients)")
	conc := flag.Int("concurrency", 64, "the request's concurrency field")
	flag.Parse()
	b := *batch
	if b == 0 {
		b = *n / *clients
	}
	posts := *n / b
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}, Timeout: 120 * time.Second}
	payload := body(readURLs(*url, *urlFile), b, *conc, *perHost)
	answers := make([][]byte, posts)
	next := make(chan int, posts)
	for i := 0; i < posts; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var httpErr error
	start := time.Now()
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				resp, err := client.Post(*service, "application/json", bytes.NewReader(payload))
				if err == nil {
					answers[i], err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d: %.200s", resp.StatusCode, answers[i])
					}
				}
				if err != nil {
					mu.Lock()
					httpErr = err
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	if httpErr != nil {
		fmt.Fprintln(os.Stderr, "afpost:", httpErr)
	}
	ok, failed := 0, 0
	errs := map[string]int{}
	for _, a := range answers {
		var ans answer
		if json.Unmarshal(a, &ans) != nil {
			failed += b
			continue
		}
		for _, r := range ans.Results {
			if r.Ok {
				ok++
			} else {
				failed++
				if r.Error != nil {
					errs[*r.Error]++
				}
			}
		}
	}
	e, _ := json.Marshal(errs)
	fmt.Printf(`{"ok":%d,"failed":%d,"errors":%s,"wall_s":%.4f}`+"\n", ok, failed, e, wall)
}
