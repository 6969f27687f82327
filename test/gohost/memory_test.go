package gohost

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Distinct responses totalling ten times store.memory.limit stream through one instance: its
// linear memory stays within the limit plus a fixed overhead (the program, its buffers, and the
// largest object being read), however much passes through.
func TestInstanceMemoryWithinLimit(t *testing.T) {
	oneInstance(t)
	const (
		limit      = 8 << 20
		objectSize = 64 << 10
		total      = 10 * limit
		overhead   = 2 << 20 // code, data, allocator and request buffers
	)
	body := storeBody(1, objectSize)
	h := newHost(t, []byte(`{"store":{"memory":{"limit":"8Mi"}},"maxObjectSize":"64Ki"}`), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Length", strconv.Itoa(objectSize))
		w.Write(body)
	})
	var maxPages uint32
	for i := 0; i < total/objectSize; i++ {
		res := h.Do(get("/m/" + strconv.Itoa(i)))
		if res.Status != 200 || len(res.Body) != objectSize || !strings.HasSuffix(cacheStatusField(res.Header), "stored") {
			t.Fatalf("request %d: %s", i, res)
		}
		for _, size := range h.MemorySizes() {
			if pages := size / 65536; pages > maxPages {
				maxPages = pages
			}
		}
	}
	limitPages := uint32(limit / 65536)
	t.Logf("BENCH_MEMORY memory_pages_max=%d memory_limit_pages=%d streamed_mib=%d", maxPages, limitPages, total>>20)
	if maxPages > limitPages+overhead/65536 {
		t.Errorf("instance memory reached %d pages (%d KiB), want at most %d (limit %d KiB + %d KiB)",
			maxPages, maxPages*64, limitPages+overhead/65536, limit>>10, overhead>>10)
	}
}
