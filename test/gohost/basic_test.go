package gohost

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/http-wasm/http-wasm-host-go/api"
)

var hitStatusRE = regexp.MustCompile(`^httpcache; hit; ttl=(\d+)$`)

// The README's first promise: a repeated GET is answered from memory, with the status headers.
func TestMissThenHit(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, `{"path":"`+r.URL.Path+`","q":"`+r.URL.RawQuery+`"}`)
	})
	want := []byte(`{"path":"/items/1","q":""}`)

	r1 := h.Do(get("/items/1"))
	sane(t, "GET /items/1 (first)", r1, 200, want)
	if r1.CacheStatus() != "MISS" || r1.BackendCalls != 1 {
		t.Errorf("first GET: want MISS reaching the backend, got %s", r1)
	}
	if cs := cacheStatusField(r1.Header); cs != "httpcache; fwd=uri-miss; stored" {
		t.Errorf("first GET: Cache-Status %q, want %q", cs, "httpcache; fwd=uri-miss; stored")
	}

	r2 := h.Do(get("/items/1"))
	sane(t, "GET /items/1 (second)", r2, 200, want)
	if r2.CacheStatus() != "HIT" || r2.BackendCalls != 0 {
		t.Fatalf("second GET: want HIT without the backend, got %s", r2)
	}
	sameHeaders(t, "second GET", r2.Header, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=60"}})
	if m := hitStatusRE.FindStringSubmatch(cacheStatusField(r2.Header)); m == nil {
		t.Errorf("HIT: Cache-Status %q, want %q", cacheStatusField(r2.Header), "httpcache; hit; ttl=N")
	} else if ttl, _ := strconv.Atoi(m[1]); ttl <= 0 || ttl > 60 {
		t.Errorf("HIT: Cache-Status ttl=%d, want 1..60", ttl)
	}
	if age, err := strconv.Atoi(r2.Header.Get("Age")); err != nil || age < 0 || age > 60 {
		t.Errorf("HIT: Age %q, want 0..60", r2.Header.Get("Age"))
	}

	// Query parameters are sorted in the key; Host is lowercased.
	sane(t, "GET ?b=2&a=1", h.Do(get("/items/1?b=2&a=1")), 200, []byte(`{"path":"/items/1","q":"b=2&a=1"}`))
	if r := h.Do(get("/items/1?a=1&b=2")); r.CacheStatus() != "HIT" {
		t.Errorf("GET /items/1?a=1&b=2 after ?b=2&a=1: want HIT (parameters sorted in the key), got %s", r)
	}
	upper := get("/items/1")
	upper.Host = "API.Example.TEST"
	if r := h.Do(upper); r.CacheStatus() != "HIT" || string(r.Body) != string(want) {
		t.Errorf("GET with Host API.Example.TEST: want HIT (host lowercased in the key), got %s", r)
	}
	other := get("/items/1")
	other.Host = "other.example.test"
	if r := h.Do(other); r.CacheStatus() != "MISS" || r.BackendCalls != 1 {
		t.Errorf("GET with another Host: want MISS (host is in the key), got %s", r)
	}

	// Bypasses.
	post := mkreq(http.MethodPost, "/items/1")
	if r := h.Do(post); r.CacheStatus() != "BYPASS" || r.BackendCalls != 1 || cacheStatusField(r.Header) != "httpcache; fwd=method" {
		t.Errorf("POST: want BYPASS, Cache-Status %q, backend called; got %s", "httpcache; fwd=method", r)
	}
	// A 2xx to an unsafe method invalidates what is stored for its URL (RFC 9111 §4.4).
	if r := h.Do(get("/items/1")); r.CacheStatus() != "MISS" || r.BackendCalls != 1 || cacheStatusField(r.Header) != "httpcache; fwd=uri-miss; stored" {
		t.Errorf("GET after a 200 POST: want MISS (invalidated), stored again; got %s", r)
	}
	// A no-cache request goes to the backend, and its response is stored.
	if r := h.Do(get("/items/1", "Cache-Control", "no-cache")); r.CacheStatus() != "BYPASS" || r.BackendCalls != 1 ||
		cacheStatusField(r.Header) != "httpcache; fwd=request; stored" {
		t.Errorf("GET with Cache-Control: no-cache: want BYPASS, Cache-Status %q, backend called; got %s", "httpcache; fwd=request; stored", r)
	}
	if r := h.Do(get("/items/1", "Pragma", "no-cache")); r.CacheStatus() != "BYPASS" || r.BackendCalls != 1 ||
		cacheStatusField(r.Header) != "httpcache; fwd=request; stored" {
		t.Errorf("GET with Pragma: no-cache: want BYPASS, Cache-Status %q, backend called; got %s", "httpcache; fwd=request; stored", r)
	}
	if r := h.Do(get("/items/1")); r.CacheStatus() != "HIT" || r.BackendCalls != 0 {
		t.Errorf("GET after the no-cache requests: want HIT on what they stored, got %s", r)
	}
	if r := h.Do(get("/items/1", "Range", "bytes=0-3")); r.CacheStatus() == "HIT" || r.BackendCalls != 1 {
		t.Errorf("GET with Range: want the backend, got %s", r)
	}
}

// Bodies come back byte for byte, through a real net/http server (so HEAD, Content-Length and
// chunking follow net/http's rules).
func TestBodiesByteExact(t *testing.T) {
	oneInstance(t)
	ramp := make([]byte, 1024)
	for i := range ramp {
		ramp[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randBody := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	bodies := map[string][]byte{
		"/b/ramp":         ramp,
		"/b/rand64k":      randBody(64 << 10),
		"/b/rand64k-cl":   randBody(64 << 10),
		"/b/empty":        {},
		"/b/zeros":        make([]byte, 4096),
		"/b/crlf":         []byte("\r\n\r\nHTTP/1.1 200 OK\r\nX: y\r\n\r\n\x00\xff"),
		"/b/1mi":          randBody(1 << 20),
		"/b/1mi-plus-one": randBody(1<<20 + 1),
	}
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "max-age=300")
		if strings.HasSuffix(r.URL.Path, "-cl") || r.URL.Path == "/b/ramp" {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		w.Write(b)
	})
	srv := httptest.NewServer(h.ServerHandler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	do := func(method, path string) (*http.Response, []byte) {
		r, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := client.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v (traps: %v)", method, path, err, h.Traps())
		}
		defer resp.Body.Close()
		return resp, readAll(t, resp.Body)
	}
	for _, path := range []string{"/b/ramp", "/b/rand64k", "/b/rand64k-cl", "/b/empty", "/b/zeros", "/b/crlf", "/b/1mi", "/b/1mi-plus-one"} {
		want := bodies[path]
		stored := len(want) <= 1<<20 // maxObjectSize defaults to 1Mi
		calls := h.Next.CallsFor(path)
		resp, body := do("GET", path)
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("X-Cache-Status") != "MISS" {
			t.Errorf("GET %s (first): status %d, X-Cache-Status %q, body %d bytes (want MISS and the %d backend bytes, first diff at %d)",
				path, resp.StatusCode, resp.Header.Get("X-Cache-Status"), len(body), len(want), firstDiff(body, want))
		}
		resp, body = do("GET", path)
		wantStatus := map[bool]string{true: "HIT", false: "MISS"}[stored]
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("X-Cache-Status") != wantStatus {
			t.Errorf("GET %s (second): status %d, X-Cache-Status %q, body %d bytes; want %s with the %d backend bytes (first diff at %d)",
				path, resp.StatusCode, resp.Header.Get("X-Cache-Status"), len(body), wantStatus, len(want), firstDiff(body, want))
		}
		if resp.ContentLength >= 0 && resp.ContentLength != int64(len(want)) {
			t.Errorf("GET %s (second): Content-Length %d, body is %d bytes", path, resp.ContentLength, len(want))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("GET %s (second): Content-Type %q", path, ct)
		}
		resp, body = do("HEAD", path)
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("X-Cache-Status") != wantStatus ||
			resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("HEAD %s after GETs: status %d, X-Cache-Status %q (want %s), Content-Type %q, %d body bytes",
				path, resp.StatusCode, resp.Header.Get("X-Cache-Status"), wantStatus, resp.Header.Get("Content-Type"), len(body))
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(want)) {
			t.Errorf("HEAD %s: Content-Length %s, the GET body is %d bytes", path, cl, len(want))
		}
		wantCalls := 1
		if !stored {
			wantCalls = 3
		}
		if got := h.Next.CallsFor(path) - calls; got != wantCalls {
			t.Errorf("%s: the backend saw %d requests for GET, GET, HEAD; want %d", path, got, wantCalls)
		}
	}
}

// Every header line is kept (multi-value headers in order), hop-by-hop ones are not replayed.
func TestHeadersPreservedOnHit(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		hd.Set("Cache-Control", "public, max-age=60")
		hd["X-Multi"] = []string{"a", "b, c", "d", "a"}
		hd["Link"] = []string{`</a.css>; rel=preload`, `</b.js>; rel=preload`}
		hd["X-Empty"] = []string{""}
		hd["X-Utf8"] = []string{"caf\xc3\xa9 \xff\xfe"}
		hd["Etag"] = []string{`W/"v1"`}
		hd.Set("Connection", "X-Hop, close")
		hd.Set("X-Hop", "per-connection")
		hd.Set("Keep-Alive", "timeout=5")
		hd.Set("Proxy-Authenticate", "Basic")
		hd.Set("Upgrade", "h2c")
		hd.Set("Trailer", "X-Checksum")
		if r.URL.Path == "/age10" {
			hd.Set("Age", "10")
		}
		io.WriteString(w, "hello "+r.URL.Path)
	})
	want := http.Header{
		"Content-Type":  {"text/plain; charset=utf-8"},
		"Cache-Control": {"public, max-age=60"},
		"X-Multi":       {"a", "b, c", "d", "a"},
		"Link":          {`</a.css>; rel=preload`, `</b.js>; rel=preload`},
		"X-Empty":       {""},
		"X-Utf8":        {"caf\xc3\xa9 \xff\xfe"},
		"Etag":          {`W/"v1"`},
	}
	sane(t, "GET /h (first)", h.Do(get("/h")), 200, []byte("hello /h"))
	r := h.Do(get("/h"))
	sane(t, "GET /h (second)", r, 200, []byte("hello /h"))
	if r.CacheStatus() != "HIT" {
		t.Fatalf("GET /h (second): want HIT, got %s", r)
	}
	sameHeaders(t, "HIT /h", r.Header, want)

	sane(t, "GET /age10 (first)", h.Do(get("/age10")), 200, []byte("hello /age10"))
	r = h.Do(get("/age10"))
	if age, err := strconv.Atoi(r.Header.Get("Age")); r.CacheStatus() != "HIT" || err != nil || age < 10 || age > 60 {
		t.Errorf("GET /age10 (second, backend sent Age: 10): want HIT with Age >= 10, got Age %q, %s", r.Header.Get("Age"), r)
	}
	if m := hitStatusRE.FindStringSubmatch(cacheStatusField(r.Header)); m != nil {
		if ttl, _ := strconv.Atoi(m[1]); ttl > 50 {
			t.Errorf("GET /age10: Cache-Status ttl=%d, but max-age=60 and Age=10 leave at most 50", ttl)
		}
	}
}

// A HEAD is answered from a stored GET, with the same headers and no body; a HEAD miss is not
// stored; statuses without a body are replayed without one.
func TestHeadAndBodylessStatuses(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
			return
		case "/404":
			w.WriteHeader(404)
			io.WriteString(w, "no such thing")
			return
		}
		w.Header().Set("Content-Length", "11")
		w.WriteHeader(200)
		if r.Method != http.MethodHead {
			io.WriteString(w, "hello world")
		}
	})
	head := func(path string) *Result { return h.Do(mkreq(http.MethodHead, path)) }

	if r := head("/h1"); r.Trapped() || r.Status != 200 || r.CacheStatus() != "MISS" || r.BackendCalls != 1 {
		t.Errorf("HEAD /h1 (cold): want MISS from the backend, got %s", r)
	}
	if r := h.Do(get("/h1")); !sane(t, "GET /h1 after a HEAD", r, 200, []byte("hello world")) || r.CacheStatus() != "MISS" {
		t.Errorf("GET /h1 after HEAD: a HEAD miss must not be stored, want MISS, got %s", r)
	}
	getHit := h.Do(get("/h1"))
	if getHit.CacheStatus() != "HIT" {
		t.Errorf("GET /h1 (second): want HIT, got %s", getHit)
	}
	r := head("/h1")
	if r.Trapped() || r.Status != 200 || r.CacheStatus() != "HIT" || r.BackendCalls != 0 || len(r.WriteErrs) > 0 {
		t.Errorf("HEAD /h1 after a stored GET: want HIT, got %s", r)
	} else {
		sameHeaders(t, "HEAD /h1 (hit)", r.Header, http.Header{"Cache-Control": {"max-age=60"}, "Content-Type": {"text/plain"}, "Content-Length": {"11"}})
	}
	if r.HeadBodyBytes > 0 {
		// net/http drops them, so no user sees this; platform.md says not to do it.
		t.Logf("note: the guest wrote %d body bytes for a HEAD hit (net/http discards them)", r.HeadBodyBytes)
	}

	for i := 0; i < 2; i++ {
		r := h.Do(get("/204"))
		if r.Trapped() || r.Status != 204 || len(r.Body) != 0 || len(r.WriteErrs) > 0 {
			t.Errorf("GET /204 #%d: want 204 without body, got %s", i+1, r)
		}
		if i == 1 && r.CacheStatus() != "HIT" {
			t.Errorf("GET /204 #2 (max-age=60): want HIT, got %s", r)
		}
		r = h.Do(get("/404"))
		sane(t, "GET /404", r, 404, []byte("no such thing"))
		if i == 1 && r.CacheStatus() != "HIT" {
			t.Errorf("GET /404 #2 (max-age=60): want HIT, got %s", r)
		}
	}
}

// Nothing that belongs to one user is handed to another; responses that must not be stored are not.
func TestNeverStored(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "max-age=60")
		switch r.URL.Path {
		case "/private":
			hd.Set("Cache-Control", "private, max-age=60")
		case "/no-store":
			hd.Set("Cache-Control", "max-age=60, no-store")
		case "/set-cookie":
			hd.Set("Set-Cookie", "session=secret-"+r.Header.Get("X-User"))
		case "/vary-star":
			hd.Set("Vary", "*")
		case "/vary":
			hd.Set("Vary", "Accept-Language")
			io.WriteString(w, "lang="+r.Header.Get("Accept-Language"))
			return
		case "/206":
			hd.Set("Content-Range", "bytes 0-3/10")
			w.WriteHeader(206)
		case "/no-freshness":
			hd.Del("Cache-Control")
		}
		io.WriteString(w, "for "+r.Header.Get("X-User")+" at "+r.URL.Path)
	})
	for _, path := range []string{"/private", "/no-store", "/set-cookie", "/vary-star", "/206", "/no-freshness"} {
		for i, user := range []string{"alice", "bob"} {
			r := h.Do(get(path, "X-User", user))
			want := "for " + user + " at " + path
			if r.Trapped() || string(r.Body) != want || r.BackendCalls != 1 || r.CacheStatus() == "HIT" {
				t.Errorf("GET %s as %s (#%d): want the backend's own answer %q, got %s", path, user, i+1, want, r)
			}
			if sc := r.Header.Values("Set-Cookie"); path == "/set-cookie" && (len(sc) != 1 || sc[0] != "session=secret-"+user) {
				t.Errorf("GET /set-cookie as %s: Set-Cookie %q", user, sc)
			}
		}
	}
	// Vary: each variant is stored on its own; a request gets only the one its varied headers select.
	for i, c := range []struct{ lang, status, cacheStatus string }{
		{"en", "MISS", "httpcache; fwd=uri-miss; stored"},
		{"fr", "MISS", "httpcache; fwd=vary-miss; stored"},
		{"en", "HIT", ""},
		{"fr", "HIT", ""},
		{"de", "MISS", "httpcache; fwd=vary-miss; stored"},
	} {
		r := h.Do(get("/vary", "Accept-Language", c.lang))
		if r.Trapped() || string(r.Body) != "lang="+c.lang || r.CacheStatus() != c.status ||
			(c.cacheStatus != "" && cacheStatusField(r.Header) != c.cacheStatus) || (c.status == "HIT") != (r.BackendCalls == 0) {
			t.Errorf("GET /vary with Accept-Language %s (#%d): want %s %q with its own variant, got %s", c.lang, i+1, c.status, c.cacheStatus, r)
		}
	}
	// Authorization: a response without public / s-maxage / must-revalidate is not shared.
	for i, user := range []string{"alice", "bob"} {
		r := h.Do(get("/auth", "Authorization", "Bearer token-"+user, "X-User", user))
		if r.Trapped() || string(r.Body) != "for "+user+" at /auth" || r.BackendCalls != 1 || r.CacheStatus() == "HIT" {
			t.Errorf("GET /auth with Authorization as %s (#%d): want the backend's answer, got %s", user, i+1, r)
		}
	}
	if r := h.Do(get("/auth", "X-User", "carol")); r.CacheStatus() == "HIT" && string(r.Body) != "for carol at /auth" {
		t.Errorf("GET /auth without Authorization served another user's response: %s", r)
	}
	// A no-store request is answered by the backend and not stored (§5.2.1.5).
	if r := h.Do(get("/ns-req", "Cache-Control", "no-store", "X-User", "dave")); r.BackendCalls != 1 || r.CacheStatus() != "MISS" ||
		cacheStatusField(r.Header) != "httpcache; fwd=uri-miss" {
		t.Errorf("GET with request no-store: want MISS, not stored, got %s", r)
	}
	if r := h.Do(get("/ns-req", "X-User", "erin")); r.BackendCalls != 1 || string(r.Body) != "for erin at /ns-req" {
		t.Errorf("GET after a no-store request: want MISS from the backend (nothing stored), got %s", r)
	}
}

// "Nothing is logged per request above debug": after an instance's first request, requests of
// every kind log nothing at info or above (Traefik logs every level it is given).
func TestNoPerRequestLogging(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		switch r.URL.Path {
		case "/garbage":
			w.Header().Set("Cache-Control", "max-age=abc, ,,;")
			w.Header().Set("Expires", "garbage")
			w.Header().Set("Age", "-1")
		case "/err":
			w.WriteHeader(503)
		}
		io.WriteString(w, "x")
	})
	sane(t, "warm-up", h.Do(get("/warm")), 200, []byte("x"))
	n := h.Log.Len()
	for i := 0; i < 5; i++ {
		h.Do(get("/a"))
		h.Do(get("/a?x=" + strconv.Itoa(i)))
		h.Do(mkreq(http.MethodPost, "/a"))
		h.Do(mkreq(http.MethodHead, "/a"))
		h.Do(get("/garbage", "Cache-Control", "max-age=, no-store==", "Authorization", "x"))
		h.Do(get("/err"))
		h.Do(get("/a", "Pragma", "no-cache"))
	}
	if l := h.Log.Since(n, api.LogLevelInfo); len(l) > 0 {
		t.Errorf("35 requests with logLevel info logged %d lines at info or above:%s", len(l), Dump(l, 10))
	}
}
