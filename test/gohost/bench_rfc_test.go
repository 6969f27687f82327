package gohost

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// The guest's cost on the RFC 9111 paths that are not plain hits and misses: a hit found through
// a Vary marker (two lookups), a 304 answered from a fresh entry to a client's If-None-Match, and
// a stale entry revalidated with a backend that answers 304 (read, freshen, store, rewrite).

// rfcBenchHost serves 1 KiB with the given headers; a request carrying If-None-Match "v1" gets a 304.
func rfcBenchHost(b *testing.B, headers map[string]string) *Host {
	old := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
	body := make([]byte, 1<<10)
	for i := range body {
		body[i] = byte(i)
	}
	return newHost(b, nil, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// benchRepeat serves r b.N times after two warm-up requests, and reports the share of answers
// whose X-Cache-Status is want (a GC that drops the pooled instance costs a miss, as in Traefik).
func benchRepeat(b *testing.B, h *Host, r *http.Request, want string) {
	w := &benchWriter{h: http.Header{}}
	for i := 0; i < 2; i++ {
		w.reset()
		h.Handler.ServeHTTP(w, r)
	}
	if got := w.h.Get("X-Cache-Status"); got != want {
		b.Fatalf("warm-up: want X-Cache-Status %s, got %q (status %d)", want, got, w.status)
	}
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.Handler.ServeHTTP(w, r)
		if w.h.Get("X-Cache-Status") == want {
			matched++
		}
	}
	b.StopTimer()
	b.ReportMetric(100*float64(matched)/float64(b.N), "want%")
}

func BenchmarkHitVary1KiB(b *testing.B) {
	h := rfcBenchHost(b, map[string]string{"Cache-Control": "max-age=3600", "Vary": "Accept-Encoding"})
	benchRepeat(b, h, get("/bench/vary", "Accept-Encoding", "gzip, br"), "HIT")
}

func BenchmarkNotModifiedFromStore(b *testing.B) {
	h := rfcBenchHost(b, map[string]string{"Cache-Control": "max-age=3600"})
	benchRepeat(b, h, get("/bench/inm", "If-None-Match", `"v1"`), "HIT")
}

func BenchmarkRevalidated1KiB(b *testing.B) {
	// max-age=0 with a validator: stored, and validated on every request.
	h := rfcBenchHost(b, map[string]string{"Cache-Control": "max-age=0"})
	benchRepeat(b, h, get("/bench/revalidate"), "REVALIDATED")
}
