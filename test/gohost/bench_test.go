package gohost

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// benchWriter is a minimal ResponseWriter, reset between iterations.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }
func (w *benchWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *benchWriter) reset()                      { clear(w.h); w.status, w.n = 0, 0 }

func benchHost(b *testing.B, size int) *Host {
	// One P, so sequential requests find the pooled instance (see oneInstance); GC stays on.
	old := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i)
	}
	return newHost(b, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(body)
	})
}

// benchHit serves the same stored URL over and over (one request object, one writer), and reports
// the share of hits: a GC that empties the pool costs a new instance and a miss, as in Traefik.
func benchHit(b *testing.B, size int) {
	h := benchHost(b, size)
	r := get("/bench/hit")
	w := &benchWriter{h: http.Header{}}
	h.Handler.ServeHTTP(w, r)
	w.reset()
	h.Handler.ServeHTTP(w, r)
	if w.h.Get("X-Cache-Status") != "HIT" || w.n != size {
		b.Fatalf("warm-up: want a HIT of %d bytes, got X-Cache-Status %q and %d bytes", size, w.h.Get("X-Cache-Status"), w.n)
	}
	created0, _ := h.Instances()
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.Handler.ServeHTTP(w, r)
		if w.h.Get("X-Cache-Status") == "HIT" {
			hits++
		}
	}
	b.StopTimer()
	created, _ := h.Instances()
	b.ReportMetric(100*float64(hits)/float64(b.N), "hit%")
	b.ReportMetric(float64(created-created0), "new-instances")
	b.SetBytes(int64(size))
}

func BenchmarkHit1KiB(b *testing.B)  { benchHit(b, 1<<10) }
func BenchmarkHit64KiB(b *testing.B) { benchHit(b, 64<<10) }

// BenchmarkMissStore1KiB: every request is a new key that goes to the backend and is stored.
func BenchmarkMissStore1KiB(b *testing.B) {
	benchMissStore(b, benchHost(b, 1<<10), "/bench/miss/", 1<<10)
}

// benchMissStore sends b.N requests for new keys under prefix, and reports the share stored.
func benchMissStore(b *testing.B, h *Host, prefix string, size int) {
	w := &benchWriter{h: http.Header{}}
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = get(prefix + strconv.Itoa(i))
	}
	stored := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.Handler.ServeHTTP(w, reqs[i])
		if w.h.Get("Cache-Status") == "httpcache; fwd=uri-miss; stored" {
			stored++
		}
	}
	b.StopTimer()
	b.ReportMetric(100*float64(stored)/float64(b.N), "stored%")
	b.SetBytes(int64(size))
}
