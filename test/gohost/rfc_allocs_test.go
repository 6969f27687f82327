package gohost

// The RFC 9111 answers that come from the store allocate nothing in the guest once warm, like a
// plain hit (allocs_test.go, same rtrace build and counter):
//
//   - a HIT on a URL whose responses vary: the marker found, the variant key built, the variant
//     found (two variants, and a value spelled differently that normalises to one of them);
//   - a 304 answered from a fresh entry to the client's own conditional (If-None-Match exact, a
//     list with a weak tag, If-Modified-Since);
//   - an UPDATING answer: the entry is stale within stale-while-revalidate and another request
//     holds the refresh lease (a refresher that failed), so the lease is read and not taken.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
)

func TestRFCAnswersFromStoreAllocateNothingInTheGuest(t *testing.T) {
	t.Run("memory", func(t *testing.T) { rfcCountAllocations(t, nil, Settings{}) })
	t.Run("shared", func(t *testing.T) {
		config := []byte(`{"store":{"shared":{"path":"/cache","limit":"4Mi"}},"maxObjectSize":"64Ki"}`)
		rfcCountAllocations(t, config, Settings{Mounts: []string{t.TempDir() + ":/cache"}})
	})
}

func rfcCountAllocations(t *testing.T, config []byte, settings Settings) {
	oneInstance(t)
	path := rtraceWasmPath
	if p := os.Getenv("HTTPCACHE_RTRACE_WASM"); p != "" {
		path = p // another build, like HTTPCACHE_WASM
	}
	ctx := context.Background()
	mw, counts := rtraceMiddleware(t, path, config, settings)
	defer mw.Close(ctx)

	var failing atomic.Bool
	var backendCalls atomic.Int64
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backendCalls.Add(1)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Add("X-Multi", "a")
		h.Add("X-Multi", "b")
		switch r.URL.Path {
		case "/vary":
			h.Set("Cache-Control", "max-age=3600")
			h.Set("Vary", "Accept-Encoding")
			h.Set("ETag", `"vary-`+rfcNormalizeAE(r.Header.Values("Accept-Encoding"))+`"`)
			w.Write([]byte(`{"variant":"` + rfcNormalizeAE(r.Header.Values("Accept-Encoding")) + `","stock":42}`))
		case "/inm":
			h.Set("Cache-Control", "max-age=3600")
			h.Set("ETag", `"inm-1"`)
			h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
			w.Write([]byte(`{"product":12345,"stock":42}`))
		case "/upd":
			if failing.Load() {
				h.Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte("down"))
				return
			}
			h.Set("Cache-Control", "max-age=0, stale-while-revalidate=60")
			h.Set("ETag", `"upd-1"`)
			w.Write([]byte(`{"product":777,"stock":1}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	h := mw.NewHandler(ctx, backend)
	serve := func(target string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	expect := func(w *httptest.ResponseRecorder, what string, status int, cacheStatus string) {
		t.Helper()
		if w.Code != status || w.Header().Get("X-Cache-Status") != cacheStatus {
			t.Fatalf("%s: want %d %s, got %d %q (Cache-Status %q) %q", what, status, cacheStatus, w.Code,
				w.Header().Get("X-Cache-Status"), w.Header().Get("Cache-Status"), w.Body.String())
		}
	}

	// measure serves n requests of one kind (after the warm-up already done) and reports the
	// guest's allocations and reallocations during them.
	const n = 200
	measure := func(kind string, one func(i int)) {
		t.Helper()
		for i := 0; i < 3; i++ { // a first answer of this kind may size buffers
			one(i)
		}
		allocs, moves, calls := counts.allocs.Load(), counts.moves.Load(), backendCalls.Load()
		if allocs == 0 {
			t.Fatalf("the rtrace counter saw no allocation at all during start-up and the first requests: is it wired?")
		}
		for i := 0; i < n; i++ {
			one(i)
		}
		da, dm := counts.allocs.Load()-allocs, counts.moves.Load()-moves
		if d := backendCalls.Load() - calls; d != 0 {
			t.Errorf("%s: %d backend calls over %d answers from the store", kind, d, n)
		}
		if da != 0 || dm != 0 {
			t.Errorf("%s: %d guest allocations and %d reallocations over %d answers, want 0", kind, da, dm, n)
		} else {
			t.Logf("%s: 0 guest allocations over %d answers (%d before, during start-up and warm-up)", kind, n, allocs)
		}
	}

	// Vary: two variants stored (the marker names both).
	expect(serve("/vary", "Accept-Encoding", "gzip, br"), "first variant", 200, "MISS")
	expect(serve("/vary", "Accept-Encoding", "br"), "second variant", 200, "MISS")
	varyValues := []string{"gzip, br", "br", "gzip,   br"}
	measure("HIT through a Vary marker", func(i int) {
		ae := varyValues[i%len(varyValues)]
		w := serve("/vary", "Accept-Encoding", ae, "Accept", "application/json")
		expect(w, "Vary HIT ("+ae+")", 200, "HIT")
		if want := `{"variant":"` + rfcNormalizeAE([]string{ae}) + `","stock":42}`; w.Body.String() != want {
			t.Fatalf("Vary HIT (%s): body %q, want %q", ae, w.Body.String(), want)
		}
	})

	// 304 to the client's conditional, from a fresh entry.
	expect(serve("/inm"), "storing /inm", 200, "MISS")
	conditionals := [][]string{
		{"If-None-Match", `"inm-1"`},
		{"If-None-Match", `"other", W/"inm-1"`},
		{"If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"},
	}
	measure("304 from a fresh entry", func(i int) {
		c := conditionals[i%len(conditionals)]
		w := serve("/inm", c[0], c[1], "Accept", "application/json")
		expect(w, "304 for "+c[0]+": "+c[1], http.StatusNotModified, "HIT")
		if w.Body.Len() != 0 || w.Header().Get("ETag") != `"inm-1"` {
			t.Fatalf("304 for %s: %s: body %q, ETag %q", c[0], c[1], w.Body.String(), w.Header().Get("ETag"))
		}
	})

	// UPDATING: stale within stale-while-revalidate, the lease held by a refresher that failed.
	expect(serve("/upd"), "storing /upd", 200, "MISS")
	failing.Store(true)
	expect(serve("/upd"), "the refresher (backend 503)", http.StatusServiceUnavailable, "EXPIRED")
	failing.Store(false)
	measure("UPDATING", func(i int) {
		w := serve("/upd", "Accept", "application/json")
		expect(w, "UPDATING", 200, "UPDATING")
		if w.Body.String() != `{"product":777,"stock":1}` {
			t.Fatalf("UPDATING: body %q", w.Body.String())
		}
	})

	// Control: the counter sees allocations made while serving (an invalidation builds its purge
	// request on the heap).
	before := counts.allocs.Load()
	r := httptest.NewRequest(http.MethodPost, "/inm", nil)
	h.ServeHTTP(httptest.NewRecorder(), r)
	t.Logf("control: a POST that invalidates made %d guest allocations", counts.allocs.Load()-before)
}
