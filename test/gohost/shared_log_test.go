package gohost

import (
	"fmt"
	"testing"
)

// TestSharedEvictionKeepsWhatIsUsed: the shared store's log evicts its oldest records first, but a
// record that answers requests gets a second chance (written again at the head) instead of being
// overwritten. So with three times the limit streamed through, an entry asked for all along stays
// a hit, while an entry asked for once at the start is gone (close to LRU, not FIFO).
func TestSharedEvictionKeepsWhatIsUsed(t *testing.T) {
	oneInstance(t) // one instance: its memory front must not be what keeps the hot entry
	const size = 20 << 10
	dir := t.TempDir()
	o := newOrigin(func(string) int { return size })
	cfg := []byte(fmt.Sprintf(`{"store":{"shared":{"path":%q,"limit":"4Mi"},"memory":{"limit":"1Mi"}},"maxObjectSize":"64Ki"}`, guestCacheDir))
	h := newHostWith(t, cfg, o.Backend, mountOf(dir))

	for _, k := range []string{"/hot", "/cold"} {
		if res := h.Do(get(k)); res.CacheStatus() != "MISS" {
			t.Fatalf("GET %s first: X-Cache-Status %q, want MISS", k, res.CacheStatus())
		}
	}
	// 600 × 20 KiB is about three times the 4 MiB store; the hot entry is asked for every 10 stores.
	for i := 0; i < 600; i++ {
		h.Do(get(fmt.Sprintf("/stream/%d", i)))
		if i%10 == 9 {
			if res := h.Do(get("/hot")); res.CacheStatus() != "HIT" {
				t.Fatalf("after %d distinct entries (%d KiB), GET /hot: X-Cache-Status %q, want HIT (evicted while in use)",
					i+1, (i+1)*size>>10, res.CacheStatus())
			}
		}
	}
	if n := o.callsFor("/hot"); n != 1 {
		t.Errorf("the backend served /hot %d times, want 1", n)
	}
	if res := h.Do(get("/cold")); res.CacheStatus() != "MISS" {
		t.Errorf("GET /cold after three times the limit: X-Cache-Status %q, want MISS (a store that never evicts is not bounded)", res.CacheStatus())
	}
	if res := h.Do(get("/stream/599")); res.CacheStatus() != "HIT" {
		t.Errorf("GET /stream/599, the newest entry: X-Cache-Status %q, want HIT", res.CacheStatus())
	}
}

// TestSharedPurgeAllNeverRevivesAFrontCopy: a memory front serves its copy when the index names
// the very version it holds, and a version is a log position. After `purge all` empties the file,
// positions must not start again from the beginning: the first entry stored afterwards would get
// the version of the first entry stored before, and an instance still holding that old copy would
// serve it as if it were the new one.
func TestSharedPurgeAllNeverRevivesAFrontCopy(t *testing.T) {
	oneInstance(t)
	dir := t.TempDir()
	o := newOrigin(nil)
	cfg := sharedConfig("4Mi", "64Ki", purgeTokenConfig())
	a := newHostWith(t, cfg, o.Backend, mountOf(dir)) // two middlewares: two instances, one file
	b := newHostWith(t, cfg, o.Backend, mountOf(dir))

	const k = "/first"
	a.Do(get(k))
	if res := b.Do(get(k)); res.CacheStatus() != "HIT" {
		t.Fatalf("GET %s through the second middleware: X-Cache-Status %q, want HIT from the shared file", k, res.CacheStatus())
	}
	newer := o.bump(k)
	if n, err := purgedCount(a.Do(purgePostReq(`{"all":true}`, testPurgeToken))); err != nil || n != 1 {
		t.Fatalf("purge all: %v, purged %d, want 1", err, n)
	}
	if v, err := o.check(k, a.Do(get(k)), false); err != nil || v != newer {
		t.Fatalf("GET %s after the purge: version %d (%v), want %d from the backend", k, v, err, newer)
	}
	v, err := o.check(k, b.Do(get(k)), false)
	if err != nil {
		t.Fatal(err)
	}
	if v != newer {
		t.Errorf("GET %s through the other middleware after purge all: version %d from its memory front, want %d", k, v, newer)
	}
}
