package gohost

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

)

func storeBody(i, size int) []byte {
	return pseudoRandomBytes(uint64(i)*0x9E3779B97F4A7C15+1, size)
}

// With a 1 MiB store, 40 MiB of distinct responses stream through one instance: every answer is
// right, oversized bodies are passed through and not stored, recent keys still hit, and the
// instance's linear memory stops growing (the store evicts instead of growing).
func TestStoreStaysBounded(t *testing.T) {
	oneInstance(t)
	const (
		limit   = 1 << 20
		maxObj  = 64 << 10
		total   = 40 << 20
		warmup  = 4 << 20
		maxSize = maxObj + maxObj/2
	)
	rng := rand.New(rand.NewPCG(7, 7))
	var sizes []int
	for sum := 0; sum < total; {
		var n int
		switch rng.IntN(10) {
		case 0:
			n = maxObj // exactly the limit: stored
		case 1:
			n = maxObj + 1 + rng.IntN(maxSize-maxObj) // over: passed through
		case 2:
			n = rng.IntN(64)
		default:
			n = 1 + rng.IntN(maxObj)
		}
		sizes = append(sizes, n)
		sum += n
	}
	h := newHost(t, []byte(`{"store":{"memory":{"limit":"1Mi"}},"maxObjectSize":"64Ki"}`), func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/s/"))
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Type", "application/octet-stream")
		if i%2 == 0 {
			w.Header().Set("Content-Length", strconv.Itoa(sizes[i]))
		}
		w.Write(storeBody(i, sizes[i]))
	})

	var memAfterWarmup uint32
	streamed, storedCount := 0, 0
	var lastStored []int
	for i, n := range sizes {
		path := "/s/" + strconv.Itoa(i)
		res := h.Do(get(path))
		if !sane(t, "GET "+path, res, 200, nil) || !bytes.Equal(res.Body, storeBody(i, n)) {
			t.Fatalf("GET %s (%d bytes, after %d MiB): wrong answer (first diff at %d): %s", path, n, streamed>>20, firstDiff(res.Body, storeBody(i, n)), res)
		}
		stored := strings.HasSuffix(cacheStatusField(res.Header), "stored")
		if res.CacheStatus() != "MISS" || res.BackendCalls != 1 {
			t.Fatalf("GET %s: a new key must be a MISS reaching the backend, got %s", path, res)
		}
		if n > maxObj && stored {
			t.Errorf("GET %s: a %d-byte body (> maxObjectSize %d) was stored: Cache-Status %q", path, n, maxObj, cacheStatusField(res.Header))
		}
		if n <= maxObj && !stored {
			t.Errorf("GET %s: a %d-byte body (<= maxObjectSize) was not stored: Cache-Status %q", path, n, cacheStatusField(res.Header))
		}
		if stored {
			storedCount++
			lastStored = append(lastStored, i)
		}
		streamed += n
		if memAfterWarmup == 0 && streamed >= warmup {
			memAfterWarmup = h.MemorySizes()[0]
		}
	}
	mem := h.MemorySizes()
	if len(mem) == 0 {
		t.Fatalf("no live instance after the stream")
	}
	t.Logf("%d responses, %d MiB streamed, %d stored; guest memory after %d MiB: %d KiB, at the end: %d KiB",
		len(sizes), streamed>>20, storedCount, warmup>>20, memAfterWarmup>>10, mem[0]>>10)
	if len(mem) != 1 {
		t.Errorf("the stream ran on %d instances; meant to run on one", len(mem))
	}
	if mem[0] > memAfterWarmup+1<<20 {
		t.Errorf("guest memory kept growing: %d KiB after %d MiB streamed, %d KiB after %d MiB (store limit 1 MiB)",
			memAfterWarmup>>10, warmup>>20, mem[0]>>10, streamed>>20)
	}
	if mem[0] > 16*limit {
		t.Errorf("guest memory is %d MiB for a 1 MiB store", mem[0]>>20)
	}

	// The most recent keys (fitting in the store) are still there.
	hits := 0
	var recent []string
	for j := len(lastStored) - 1; j >= 0 && j >= len(lastStored)-8; j-- {
		i := lastStored[j]
		res := h.Do(get("/s/" + strconv.Itoa(i)))
		if !sane(t, fmt.Sprintf("GET /s/%d again", i), res, 200, storeBody(i, sizes[i])) {
			continue
		}
		recent = append(recent, res.CacheStatus())
		if res.CacheStatus() == "HIT" {
			hits++
		}
	}
	t.Logf("the last stored keys, most recent first: %v", recent)
	if hits == 0 {
		t.Errorf("none of the 8 most recently stored keys hit: %v", recent)
	}
	if recent[0] != "HIT" {
		t.Errorf("the most recently stored key (%d bytes, store 1 MiB) did not hit: %v", sizes[lastStored[len(lastStored)-1]], recent)
	}
	if l := h.Log.Problems(); len(l) > 0 {
		t.Errorf("guest logged warnings/errors:%s", Dump(l, 10))
	}
}

// "The arena is allocated on an instance's first store": instances that only pass requests
// through stay small (Traefik runs one instance per request in flight), and a storing instance
// holds about store.memory.limit, not more.
func TestArenaAllocatedOnFirstStore(t *testing.T) {
	oneInstance(t)
	h := newHost(t, []byte(`{"store":{"memory":{"limit":"16Mi"}}}`), func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/store" {
			w.Header().Set("Cache-Control", "max-age=60")
		} else {
			w.Header().Set("Cache-Control", "no-store")
		}
		w.Write(make([]byte, 10<<10))
	})
	mem := func() uint32 {
		m := h.MemorySizes()
		if len(m) != 1 {
			t.Fatalf("want one live instance, have %d", len(m))
		}
		return m[0]
	}
	m0 := mem()
	h.Do(mkreq(http.MethodPost, "/post"))
	h.Do(get("/nostore"))
	h.Do(get("/nostore", "Cache-Control", "no-cache"))
	h.Do(get("/nostore"))
	m1 := mem()
	if res := h.Do(get("/store")); !strings.HasSuffix(cacheStatusField(res.Header), "stored") {
		t.Fatalf("GET /store: want it stored, got %s", res)
	}
	m2 := mem()
	t.Logf("guest memory: %d KiB after instantiation, %d KiB after requests that store nothing, %d KiB after the first store (limit 16 MiB)",
		m0>>10, m1>>10, m2>>10)
	if m1 >= 4<<20 {
		t.Errorf("an instance that stored nothing already has %d KiB of memory (store limit 16 MiB): the arena should wait for the first store", m1>>10)
	}
	if m2 > 16<<20+4<<20 {
		t.Errorf("after one store the instance has %d KiB of memory, more than the 16 MiB limit plus 4 MiB", m2>>10)
	}
}
