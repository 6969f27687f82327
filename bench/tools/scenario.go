package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// runScenario sends requests at a fixed rate (open loop: a slow answer never delays the next
// request) for URLs drawn from a Zipf distribution over -keys product ids, and prints latency
// percentiles as JSON. Latency runs from when a request was sent; how late the sender itself was
// against the schedule is reported apart (sender_late_p99_ms), so a loaded machine shows.
func runScenario(args []string) error {
	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
	url := fs.String("url", "", "base URL; requests go to <url>/product/<id>")
	rate := fs.Int("rate", 400, "requests per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	keys := fs.Uint64("keys", 5000, "number of distinct product URLs")
	zipfS := fs.Float64("zipf", 1.1, "Zipf exponent s (> 1)")
	seed := fs.Int64("seed", 1, "random seed")
	host := fs.String("host", "", "Host header to send (routes to another Traefik router)")
	warmup := fs.Duration("warmup", 0, "send for this long first, unmeasured")
	warmupRate := fs.Int("warmup-rate", 0, "requests per second during the warm-up (default: -rate)")
	stats := fs.String("origin-stats", "", "the origin's /stats URL: backend requests are counted over the measured part")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *rate <= 0 {
		return fmt.Errorf("scenario needs -url and a positive -rate")
	}
	zipf := rand.NewZipf(rand.New(rand.NewSource(*seed)), *zipfS, 1, *keys-1)
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024},
	}

	interval := time.Second / time.Duration(*rate)
	// Warm-up: same distribution, possibly faster (only the cache's content matters); remembers
	// which keys a perfect shared cache would hold.
	if *warmupRate <= 0 {
		*warmupRate = *rate
	}
	warmInterval := time.Second / time.Duration(*warmupRate)
	seen := map[uint64]bool{}
	var warm sync.WaitGroup
	warmStart := time.Now()
	for i := 0; i < int(float64(*warmupRate)*warmup.Seconds()); i++ {
		if d := time.Until(warmStart.Add(time.Duration(i) * warmInterval)); d > 0 {
			time.Sleep(d)
		}
		k := zipf.Uint64()
		seen[k] = true
		warm.Add(1)
		go func() {
			defer warm.Done()
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/product/%d", *url, k), nil)
			if *host != "" {
				req.Host = *host
			}
			if res, err := client.Do(req); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	warm.Wait()

	backendBefore, err := productRequests(client, *stats)
	if err != nil {
		return err
	}
	total := int(float64(*rate) * duration.Seconds())
	latencies := make([]time.Duration, total)
	lateness := make([]time.Duration, total) // how late the sender was: it must keep up for the rate to hold
	failed := make([]bool, total)
	firstSight := 0 // requests for keys never asked before: misses even for a perfect shared cache
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		k := zipf.Uint64()
		if !seen[k] {
			seen[k] = true
			firstSight++
		}
		target := fmt.Sprintf("%s/product/%d", *url, k)
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			sent := time.Now()
			lateness[i] = sent.Sub(due)
			req, err := http.NewRequest(http.MethodGet, target, nil)
			if err != nil {
				panic(err)
			}
			if *host != "" {
				req.Host = *host
			}
			res, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", res.StatusCode)
				}
			}
			latencies[i] = time.Since(sent)
			failed[i] = err != nil
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start)
	backendAfter, err := productRequests(client, *stats)
	if err != nil {
		return err
	}

	ok := make([]float64, 0, total)
	errors := 0
	for i, l := range latencies {
		if failed[i] {
			errors++
			continue
		}
		ok = append(ok, float64(l.Microseconds())/1000)
	}
	sort.Float64s(ok)
	late := make([]float64, total)
	for i, l := range lateness {
		late[i] = float64(l.Microseconds()) / 1000
	}
	sort.Float64s(late)
	pct := func(p float64) float64 {
		if len(ok) == 0 {
			return 0
		}
		return ok[int(p*float64(len(ok)-1))]
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"sent": total, "ok": len(ok), "errors": errors, "seconds": elapsed.Seconds(), "first_sight": firstSight,
		"backend_requests": backendAfter - backendBefore,
		"p50_ms":           pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1),
		"sender_late_p99_ms": late[int(0.99*float64(len(late)-1))],
	})
}

// productRequests reads how many /product requests the origin has served (0 without a URL).
func productRequests(client *http.Client, statsURL string) (int64, error) {
	if statsURL == "" {
		return 0, nil
	}
	res, err := client.Get(statsURL)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var counts map[string]int64
	if err := json.NewDecoder(res.Body).Decode(&counts); err != nil {
		return 0, err
	}
	return counts["product"], nil
}
