package gohost

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// The shared store's costs per request, on a directory in tmpfs when there is one (what a
// Kubernetes emptyDir with medium: Memory is). WASI calls per request, from the guest's code:
// a hit from the memory front reads the key's index bucket (1 call); a hit from the file reads
// the bucket and the record (2); a stored miss reads the bucket, the cursor, writes the cursor,
// the record and the index entry (1 + 5).

// benchSharedDir is a new directory in $HTTPCACHE_BENCH_DIR, else /dev/shm, else $TMPDIR.
func benchSharedDir(b *testing.B) string {
	parent := os.Getenv("HTTPCACHE_BENCH_DIR")
	if st, err := os.Stat("/dev/shm"); parent == "" && err == nil && st.IsDir() {
		parent = "/dev/shm"
	}
	dir, err := os.MkdirTemp(parent, "httpcache-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func benchSharedHost(b *testing.B, size int, memoryLimit string) *Host {
	old := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i)
	}
	config := []byte(`{"store":{"shared":{"path":"/cache","limit":"64Mi"},"memory":{"limit":"` + memoryLimit + `"}},"maxObjectSize":"256Ki"}`)
	h, err := New(context.Background(), wasmOrFail(b), config, NewBackend(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(body)
	}), WithMounts(benchSharedDir(b)+":/cache"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

// benchSharedHits cycles over `keys` stored URLs; with more keys than the memory front holds,
// most hits are read from the file.
func benchSharedHits(b *testing.B, size, keys int, memoryLimit string) {
	h := benchSharedHost(b, size, memoryLimit)
	reqs := make([]*http.Request, keys)
	w := &benchWriter{h: http.Header{}}
	for i := range reqs {
		reqs[i] = get("/bench/shared/" + strconv.Itoa(i))
		w.reset()
		h.Handler.ServeHTTP(w, reqs[i])
	}
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.Handler.ServeHTTP(w, reqs[i%keys])
		if w.h.Get("X-Cache-Status") == "HIT" {
			hits++
		}
	}
	b.StopTimer()
	b.ReportMetric(100*float64(hits)/float64(b.N), "hit%")
	b.SetBytes(int64(size))
}

func BenchmarkSharedHitFront1KiB(b *testing.B)  { benchSharedHits(b, 1<<10, 1, "16Mi") }
func BenchmarkSharedHitFile1KiB(b *testing.B)   { benchSharedHits(b, 1<<10, 8192, "1Mi") }
func BenchmarkSharedHitFile64KiB(b *testing.B)  { benchSharedHits(b, 64<<10, 256, "1Mi") }
func BenchmarkSharedHitFront64KiB(b *testing.B) { benchSharedHits(b, 64<<10, 1, "16Mi") }

// BenchmarkSharedMissStore1KiB: every request is a new key, fetched and stored in the file.
func BenchmarkSharedMissStore1KiB(b *testing.B) {
	benchMissStore(b, benchSharedHost(b, 1<<10, "16Mi"), "/bench/shared-miss/", 1<<10)
}

// BenchmarkSharedPurgeScan: a prefix purge that matches nothing, over a store holding 65 536
// entries of 1 KiB: the cost of walking the index and reading each live record's head.
// `purge all` is timed once after the loop (reported as all-ms).
func BenchmarkSharedPurgeScan(b *testing.B) {
	const entries = 1 << 16
	old := runtime.GOMAXPROCS(1)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
	config := []byte(`{"store":{"shared":{"path":"/cache","limit":"256Mi"}},"purge":{"token":"` + testPurgeToken + `"}}`)
	h, err := New(context.Background(), wasmOrFail(b), config, newOrigin(nil).Backend, WithMounts(benchSharedDir(b)+":/cache"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	for i := 0; i < entries; i++ {
		h.Do(get("/fill/" + strconv.Itoa(i)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := h.Do(purgePostReq(`{"prefixes":["/nothing/"]}`, testPurgeToken)); res.Status != 200 {
			b.Fatalf("purge: %s", res)
		}
	}
	b.StopTimer()
	start := time.Now()
	res := h.Do(purgePostReq(`{"all":true}`, testPurgeToken))
	elapsed := time.Since(start)
	n, err := purgedCount(res)
	// A few keys land in a bucket whose 8 ways are taken, and replace its oldest: not all stay.
	if err != nil || n < entries*99/100 {
		b.Fatalf("purge all: %v, purged %d, want about %d", err, n, entries)
	}
	b.ReportMetric(float64(n), "entries")
	b.ReportMetric(float64(elapsed.Microseconds())/1000, "all-ms")
}
