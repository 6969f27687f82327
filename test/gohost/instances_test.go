package gohost

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

)

func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true},
		Timeout:   20 * time.Second,
	}
}

type answer struct {
	status      int
	cacheStatus string
	body        string
	err         error
}

func fetch(c *http.Client, url string) answer {
	resp, err := c.Get(url)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, cacheStatus: resp.Header.Get("X-Cache-Status"), body: string(b), err: err}
}

// barrierBackend holds requests for /burst until n are in flight at once (so n guest instances
// exist at the same time), then lets them all go. Other paths answer at once.
type barrierBackend struct {
	n        int32
	inflight atomic.Int32
	release  chan struct{}
	once     sync.Once
	timedOut atomic.Bool
}

func newBarrier(n int) *barrierBackend {
	return &barrierBackend{n: int32(n), release: make(chan struct{})}
}

func (b *barrierBackend) handler(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/burst") {
		if b.inflight.Add(1) >= b.n {
			b.once.Do(func() { close(b.release) })
		}
		select {
		case <-b.release:
		case <-time.After(10 * time.Second):
			b.timedOut.Store(true)
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "max-age=300")
	io.WriteString(w, "body of "+r.URL.Path)
}

// Many requests in flight at once run on as many guest instances; every answer is right, and
// since each instance keeps its own store (README "Limits"), what is guaranteed afterwards is
// that the pooled instances hit: here every one of them stored the same URL.
func TestConcurrentRequestsManyInstances(t *testing.T) {
	noGC(t) // keep every instance in the pool
	const n = 64
	bb := newBarrier(n)
	h := newHost(t, []byte(`{"store":{"memory":{"limit":"1Mi"}},"maxObjectSize":"64Ki"}`), bb.handler)
	srv := httptest.NewServer(h.ServerHandler())
	defer srv.Close()
	client := newClient(2 * n)

	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			answers[i] = fetch(client, srv.URL+"/burst")
		}(i)
	}
	wg.Wait()
	if bb.timedOut.Load() {
		t.Fatalf("only %d of %d requests reached the backend at the same time", bb.inflight.Load(), n)
	}
	for i, a := range answers {
		if a.err != nil || a.status != 200 || a.body != "body of /burst" || a.cacheStatus != "MISS" {
			t.Errorf("concurrent request %d: err=%v status=%d X-Cache-Status=%q body=%q; want 200 MISS %q",
				i, a.err, a.status, a.cacheStatus, a.body, "body of /burst")
		}
	}
	created, live := h.Instances()
	mem := h.MemorySizes()
	if len(mem) > 3 {
		mem = mem[:3]
	}
	t.Logf("instances after the burst: created %d, live %d; memory of the first ones: %v bytes", created, live, mem)
	if created < n {
		t.Errorf("%d requests in flight at once ran on %d instances; the host pool should have created at least %d", n, created, n)
	}

	// Sequential requests reuse pooled instances, each of which stored /burst.
	calls := h.Next.Calls()
	for i := 0; i < 20; i++ {
		if a := fetch(client, srv.URL+"/burst"); a.err != nil || a.status != 200 || a.body != "body of /burst" || a.cacheStatus != "HIT" {
			t.Errorf("sequential request %d after the burst: err=%v status=%d X-Cache-Status=%q body=%q; want a HIT (every pooled instance stored it)",
				i, a.err, a.status, a.cacheStatus, a.body)
		}
	}
	if d := h.Next.Calls() - calls; d != 0 {
		t.Errorf("sequential requests after the burst reached the backend %d times, want 0", d)
	}

	// Free-running concurrency over a few URLs: every answer right, whichever instance served it.
	const workers, perWorker, urls = 32, 40, 8
	var bad atomic.Int32
	var mu sync.Mutex
	var firstBad string
	counts := map[string]int{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				path := fmt.Sprintf("/mixed/%d", (w+i)%urls)
				a := fetch(client, srv.URL+path)
				mu.Lock()
				counts[a.cacheStatus]++
				if a.err != nil || a.status != 200 || a.body != "body of "+path || (a.cacheStatus != "HIT" && a.cacheStatus != "MISS") {
					if bad.Add(1) == 1 {
						firstBad = fmt.Sprintf("%s: err=%v status=%d X-Cache-Status=%q body=%q", path, a.err, a.status, a.cacheStatus, a.body)
					}
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d of %d concurrent requests got a wrong answer, first: %s", bad.Load(), workers*perWorker, firstBad)
	}
	created, _ = h.Instances()
	t.Logf("free-running phase: X-Cache-Status counts %v; instances created in total %d", counts, created)
	if l := h.Log.Problems(); len(l) > 0 {
		t.Errorf("guest logged warnings/errors:%s", Dump(l, 10))
	}
}

// Traefik's pool drops idle instances after two garbage collections. Requests afterwards run on
// new instances: they may miss (the store was in the dropped instance) but never fail.
func TestInstancesDroppedByGC(t *testing.T) {
	const n = 8
	bb := newBarrier(n)
	h := newHost(t, []byte(`{"store":{"memory":{"limit":"1Mi"}},"maxObjectSize":"64Ki"}`), bb.handler)
	srv := httptest.NewServer(h.ServerHandler())
	defer srv.Close()
	client := newClient(2 * n)

	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := fetch(client, srv.URL+"/burst"); a.err != nil || a.status != 200 || a.body != "body of /burst" {
				t.Errorf("burst: err=%v status=%d body=%q", a.err, a.status, a.body)
			}
		}()
	}
	wg.Wait()
	if a := fetch(client, srv.URL+"/warm"); a.cacheStatus != "MISS" {
		t.Errorf("/warm first: %+v", a)
	}
	before, liveBefore := h.Instances()

	deadline := time.Now().Add(5 * time.Second)
	live := liveBefore
	for live > 0 && time.Now().Before(deadline) {
		runtime.GC()
		runtime.GC()
		time.Sleep(20 * time.Millisecond) // finalizers run on their own goroutine
		_, live = h.Instances()
	}
	t.Logf("before GC: %d instances created, %d live; after GCs: %d live", before, liveBefore, live)
	if live >= liveBefore {
		t.Errorf("runtime.GC() twice (repeatedly, for 5 s) dropped no instance: %d live before, %d after", liveBefore, live)
	}

	// Everything still works on fresh instances.
	for i := 0; i < 10; i++ {
		for _, path := range []string{"/burst", "/warm", fmt.Sprintf("/after/%d", i%3)} {
			if a := fetch(client, srv.URL+path); a.err != nil || a.status != 200 || a.body != "body of "+path ||
				(a.cacheStatus != "HIT" && a.cacheStatus != "MISS") {
				t.Errorf("GET %s after the GC: err=%v status=%d X-Cache-Status=%q body=%q", path, a.err, a.status, a.cacheStatus, a.body)
			}
		}
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			path := fmt.Sprintf("/after/%d", i%3)
			if a := fetch(client, srv.URL+path); a.err != nil || a.status != 200 || a.body != "body of "+path {
				t.Errorf("concurrent GET %s after the GC: err=%v status=%d body=%q", path, a.err, a.status, a.body)
			}
		}(i)
	}
	wg.Wait()
	after, _ := h.Instances()
	if after <= before {
		t.Errorf("no new instance was created after the pool was emptied (%d before, %d after)", before, after)
	}
	if l := h.Log.Problems(); len(l) > 0 {
		t.Errorf("guest logged warnings/errors:%s", Dump(l, 10))
	}
}
