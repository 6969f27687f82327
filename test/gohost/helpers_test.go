package gohost

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
)

// wasmOrFail loads build/plugin.wasm or fails the test with "run npm run build".
func wasmOrFail(t testing.TB) []byte {
	t.Helper()
	b, err := LoadWasm()
	if err != nil {
		t.Fatalf("cannot load the plugin: %v", err)
	}
	return b
}

// newHost builds a middleware around backend with config (nil = no config, as Traefik does when
// the plugin has none). NewMiddleware instantiates one guest eagerly, so a trap in start code
// fails here. At cleanup it checks what must never happen in any test: an internal-error (abort)
// log line, a log at level 3 (Traefik maps it to fatal), a trap seen by the test server.
func newHost(t testing.TB, config []byte, backend http.HandlerFunc) *Host {
	t.Helper()
	return newHostAllowingErrors(t, config, NewBackend(backend))
}

func short(b []byte) string {
	if b == nil {
		return "<none>"
	}
	if len(b) > 120 {
		return fmt.Sprintf("%q...(%d bytes)", b[:120], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// oneInstance makes sequential requests run on one guest instance, as far as the host allows:
// no GC (sync.Pool is emptied by GCs) and one P (sync.Pool keeps a returned object in the
// current P's private slot, which a goroutine that moved to another P cannot see: with
// GOMAXPROCS > 1 even strictly sequential requests sometimes get a new, cold instance).
func oneInstance(t testing.TB) {
	noGC(t)
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// noGC turns the garbage collector off for the test: sync.Pool then never drops an instance.
func noGC(t testing.TB) {
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

// mkreq builds a request the way net/http's server hands it to a handler.
func mkreq(method, target string, hdr ...string) *http.Request {
	r, err := http.NewRequest(method, "http://api.example.test"+target, nil)
	if err != nil {
		panic(err)
	}
	r.RequestURI = target
	r.RemoteAddr = "192.0.2.10:54321"
	r.Body = http.NoBody
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func get(target string, hdr ...string) *http.Request { return mkreq(http.MethodGet, target, hdr...) }

// rawReq builds a request that net/http would not build from a string (invalid escapes, raw
// bytes): path and rawQuery are used as given.
func rawReq(method, host, path, rawQuery string, hdr ...string) *http.Request {
	u := &url.URL{Path: path, RawQuery: rawQuery}
	r := &http.Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody, Host: host, RemoteAddr: "192.0.2.10:54321",
		RequestURI: u.RequestURI(),
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r.WithContext(context.Background())
}

var cacheStatuses = map[string]bool{"HIT": true, "MISS": true, "EXPIRED": true, "BYPASS": true}

// sane checks what every answer to a valid configuration must satisfy: no trap, the expected
// status and body, no write the server would refuse, an X-Cache-Status.
func sane(t testing.TB, what string, res *Result, wantStatus int, wantBody []byte) bool {
	t.Helper()
	ok := true
	if res.Trapped() {
		t.Errorf("%s: guest trapped: %s", what, res)
		return false
	}
	if res.Status != wantStatus {
		t.Errorf("%s: status %d, want %d: %s", what, res.Status, wantStatus, res)
		ok = false
	}
	if wantBody != nil && string(res.Body) != string(wantBody) {
		t.Errorf("%s: body differs from the backend's (%d bytes, want %d; first difference at %d): %s",
			what, len(res.Body), len(wantBody), firstDiff(res.Body, wantBody), res)
		ok = false
	}
	if len(res.WriteErrs) > 0 || res.ShortBody {
		t.Errorf("%s: response net/http would break: %s", what, res)
		ok = false
	}
	if !cacheStatuses[res.CacheStatus()] {
		t.Errorf("%s: X-Cache-Status %q, want HIT/MISS/EXPIRED/BYPASS: %s", what, res.CacheStatus(), res)
		ok = false
	}
	return ok
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) == len(b) {
		return -1
	}
	return min(len(a), len(b))
}

// cacheHeaders are the headers the cache adds to the backend's.
var cacheHeaders = map[string]bool{"Age": true, "X-Cache-Status": true, "Cache-Status": true}

// sameHeaders checks that got carries exactly the header lines of want (same values, same order),
// plus at most the cache's own headers.
func sameHeaders(t testing.TB, what string, got, want http.Header) bool {
	t.Helper()
	ok := true
	for k, v := range want {
		if fmt.Sprintf("%q", got[k]) != fmt.Sprintf("%q", v) {
			t.Errorf("%s: header %s = %.300q, want %.300q", what, k, got[k], v)
			ok = false
		}
	}
	var extra []string
	for k := range got {
		if _, in := want[k]; !in && !cacheHeaders[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		t.Errorf("%s: unexpected headers %v", what, extra)
		ok = false
	}
	return ok
}

// cacheStatusField is the joined Cache-Status value (the cache appends to the backend's).
func cacheStatusField(h http.Header) string { return strings.Join(h.Values("Cache-Status"), ", ") }

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Errorf("reading body: %v", err)
	}
	return b
}

// pseudoRandomBytes: n reproducible bytes from a seed (xorshift64), for bodies that must
// survive byte for byte.
func pseudoRandomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}
