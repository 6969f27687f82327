package gohost

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 10,000 distinct URLs stored concurrently through four middlewares (four runtimes, each with its
// pool of instances, as four routers or Traefik processes on one volume): every one is then a HIT
// for a fifth middleware that never saw it, and the origin was asked once per URL.
func TestConcurrentStoresLoseNothing(t *testing.T) {
	const urls, clients, middlewares = 10_000, 64, 4
	var calls sync.Map
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore(r.URL.Path, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		time.Sleep(time.Millisecond) // stores complete in bursts, as behind a real origin
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("body of " + r.URL.Path + strings.Repeat(".", 600)))
	})
	dir := t.TempDir()
	cfg := sharedConfig("64Mi", "1Mi", "")
	var hosts []*Host
	for i := 0; i < middlewares; i++ {
		hosts = append(hosts, newHostWith(t, cfg, backend, mountOf(dir)))
	}
	var next atomic.Int64
	var wrong atomic.Int32
	parallel(clients, func(c int) {
		for {
			i := int(next.Add(1)) - 1
			if i >= urls {
				return
			}
			path := fmt.Sprintf("/item/%d", i)
			res := hosts[(i+c)%middlewares].Do(get(path))
			if !strings.HasPrefix(string(res.Body), "body of "+path+".") {
				wrong.Add(1)
			}
		}
	})
	fresh := newHostWith(t, cfg, backend, mountOf(dir))
	var lost []string
	for i := 0; i < urls; i++ {
		path := fmt.Sprintf("/item/%d", i)
		res := fresh.Do(get(path))
		if res.CacheStatus() != "HIT" || !strings.HasPrefix(string(res.Body), "body of "+path+".") {
			lost = append(lost, path)
		}
	}
	twice := 0
	calls.Range(func(_, n any) bool {
		if n.(*atomic.Int32).Load() != 1 {
			twice++
		}
		return true
	})
	t.Logf("%d URLs stored by %d clients through %d middlewares: %d not found by a fifth, %d fetched more than once, %d wrong bodies",
		urls, clients, middlewares, len(lost), twice, wrong.Load())
	if len(lost) > 0 || twice > 0 || wrong.Load() > 0 {
		t.Fatalf("lost %d (first: %v), %d URLs reached the origin more than once, %d wrong bodies", len(lost), lost[:min(len(lost), 5)], twice, wrong.Load())
	}
}

// A Traefik killed in the middle of stores leaves lock and claim files behind: a lock whose holder
// died (older than a second) is superseded, so stores go on; nothing left behind is served.
func TestDeadHoldersNeverWedgeTheStore(t *testing.T) {
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("body of " + r.URL.Path))
	})
	dir := t.TempDir()
	cfg := sharedConfig("4Mi", "64Ki", "")
	first := newHostWith(t, cfg, backend, mountOf(dir))
	first.Do(get("/before"))
	// What a holder killed at any point leaves: every bucket's lock (generation 0, and for some a
	// generation 1 of a holder that superseded a dead one and died too), and claim files ahead of
	// the head, all two seconds old.
	claims := filepath.Join(dir, claimsDirName)
	old := time.Now().Add(-2 * time.Second)
	var names []string
	for b := 0; b < 496; b++ { // the bucket count of a 4Mi store (docs/shared-store.md)
		names = append(names, fmt.Sprintf("b%016x.0", b))
		if b%7 == 0 {
			names = append(names, fmt.Sprintf("b%016x.1", b))
		}
	}
	for _, n := range names {
		p := filepath.Join(claims, n)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	second := newHostWith(t, cfg, backend, mountOf(dir))
	if res := second.Do(get("/before")); res.CacheStatus() != "HIT" || string(res.Body) != "body of /before" {
		t.Fatalf("an entry stored before the kill: %q %q, want HIT", res.CacheStatus(), res.Body)
	}
	for i := 0; i < 50; i++ {
		path := fmt.Sprintf("/after/%d", i)
		second.Do(get(path))
		if res := first.Do(get(path)); res.CacheStatus() != "HIT" || string(res.Body) != "body of "+path {
			t.Fatalf("GET %s after dead holders: %q %q, want a HIT stored by the other middleware", path, res.CacheStatus(), res.Body)
		}
	}
	left, _ := os.ReadDir(claims)
	stale := 0
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "b") {
			stale++
		}
	}
	t.Logf("%d dead locks planted, %d lock files left after 50 stores (superseded ones are removed by their successors)", len(names), stale)
	if stale >= len(names) {
		t.Errorf("no dead lock was superseded and removed")
	}
}

// Someone empties the volume's directory (rm -rf /cache/*) while Traefik runs: stores go on (the
// store file is made again by the file checks, the claims directory by the first lock that fails).
func TestStoresGoOnAfterTheDirectoryIsEmptied(t *testing.T) {
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("body of " + r.URL.Path))
	})
	dir := t.TempDir()
	cfg := sharedConfig("4Mi", "64Ki", "")
	h := newHostWith(t, cfg, backend, mountOf(dir))
	h.Do(get("/a"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// The first store after it sees no control block and, as it may be another instance emptying
	// the file, only skips it (docs/shared-store.md, "Why a store checks the file first").
	h.Do(get("/first-after"))
	for i := 0; i < 20; i++ {
		path := fmt.Sprintf("/after/%d", i)
		h.Do(get(path))
		if res := h.Do(get(path)); res.CacheStatus() != "HIT" {
			t.Fatalf("GET %s twice after the directory was emptied: %q, want HIT", path, res.CacheStatus())
		}
	}
	other := newHostWith(t, cfg, backend, mountOf(dir))
	if res := other.Do(get("/after/19")); res.CacheStatus() != "HIT" {
		t.Errorf("another middleware: %q, want HIT (both use the file the directory names)", res.CacheStatus())
	}
}

// 64 instances miss one URL at the same moment (no request coalescing in a guest): all 64 store
// into one bucket. Once one has stored it the others stop waiting for the bucket's lock; every
// answer is right and the URL is then a HIT everywhere.
func TestOneURLStoredByManyInstancesAtOnce(t *testing.T) {
	const clients = 64
	var arrived atomic.Int32
	release := make(chan struct{})
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == clients {
			close(release)
		}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("the one body"))
	})
	dir := t.TempDir()
	cfg := sharedConfig("16Mi", "1Mi", "")
	h := newHostWith(t, cfg, backend, mountOf(dir))
	var stored, wrong atomic.Int32
	start := time.Now()
	parallel(clients, func(int) {
		res := h.Do(get("/herd"))
		if string(res.Body) != "the one body" {
			wrong.Add(1)
		}
		if strings.Contains(res.Header.Get("Cache-Status"), "stored") {
			stored.Add(1)
		}
	})
	t.Logf("%d concurrent misses of one URL answered in %v, %d said stored", clients, time.Since(start), stored.Load())
	if wrong.Load() > 0 || stored.Load() == 0 {
		t.Fatalf("%d wrong bodies, %d stored", wrong.Load(), stored.Load())
	}
	if res := newHostWith(t, cfg, backend, mountOf(dir)).Do(get("/herd")); res.CacheStatus() != "HIT" {
		t.Errorf("after the burst: %q, want HIT", res.CacheStatus())
	}
}
