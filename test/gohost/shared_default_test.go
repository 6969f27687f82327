package gohost

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// With no store configuration at all and a directory mounted at /cache, the cache is the shared
// store: a URL one middleware stored is a HIT for another (another router, or Traefik after a
// reload), and the store file is in the mounted directory.
func TestDefaultStoreIsSharedWithAMount(t *testing.T) {
	var calls atomic.Int32
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write([]byte("body of " + r.URL.Path))
	})
	dir := t.TempDir()
	first := newHostWith(t, []byte(`{}`), backend, mountOf(dir))
	second := newHostWith(t, nil, backend, mountOf(dir))
	if res := first.Do(get("/products")); res.CacheStatus() != "MISS" {
		t.Fatalf("first GET: %q, want MISS", res.CacheStatus())
	}
	if res := second.Do(get("/products")); res.CacheStatus() != "HIT" || string(res.Body) != "body of /products" {
		t.Fatalf("GET through another middleware: %q %q, want a HIT from the shared store", res.CacheStatus(), res.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the origin was asked %d times, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(dir, storeFileName)); err != nil {
		t.Errorf("no store file in the mounted directory: %v", err)
	}
	for _, h := range []*Host{first, second} {
		if l := h.Log.Since(0, 1); len(l) > 0 {
			t.Errorf("a mounted default logged warnings:%s", Dump(l, 4))
		}
	}
}

// store.shared: false keeps memory only on purpose, mount or not, and says nothing about it.
func TestStoreSharedFalseIsMemoryOnly(t *testing.T) {
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write([]byte("x"))
	})
	dir := t.TempDir()
	cfg := []byte(`{"store":{"shared":false}}`)
	first := newHostWith(t, cfg, backend, mountOf(dir))
	second := newHostWith(t, cfg, backend, mountOf(dir))
	first.Do(get("/a"))
	if res := second.Do(get("/a")); res.CacheStatus() != "MISS" {
		t.Errorf("another memory-only middleware answered %q, want MISS (nothing shared)", res.CacheStatus())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("memory only wrote %d files in the mounted directory", len(entries))
	}
	if l := first.Log.Since(0, 1); len(l) > 0 {
		t.Errorf("store.shared: false logged:%s", Dump(l, 4))
	}
}

// Nothing mounted: memory only, and the notice that says how to mount a directory is logged once
// per middleware however many instances the pool makes and drops (not once per instance).
func TestMemoryOnlyNoticeOncePerMiddleware(t *testing.T) {
	backend := NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write([]byte("x"))
	})
	h := newHostWith(t, []byte(`{}`), backend)
	for round := 0; round < 5; round++ {
		parallel(16, func(i int) { h.Do(get(fmt.Sprintf("/r%d/%d", round, i))) })
		runtime.GC()
		runtime.GC()
	}
	created, _ := h.Instances()
	notices := 0
	for _, e := range h.Log.Entries() {
		if strings.HasPrefix(e.Message, MemoryOnlyNotice) {
			notices++
			if !strings.Contains(e.Message, `settings.mounts: ["/var/cache/httpcache:/cache"]`) {
				t.Errorf("the notice does not give the line that fixes it: %q", e.Message)
			}
		}
	}
	t.Logf("%d instances created, %d notices", created, notices)
	if created < 4 {
		t.Fatalf("only %d instances were created: the test did not exercise the pool", created)
	}
	if notices != 1 {
		t.Errorf("the memory-only notice was logged %d times for %d instances, want once", notices, created)
	}
}
