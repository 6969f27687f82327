package gohost

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Fuzzing the two places where outside bytes reach the guest's parsers: request and response
// headers (any values, never a trap, and a hit always serves exactly what the backend sent for
// that URL), and the configuration (never a trap; valid or a 500 that names the problem).
// `go test` runs the seeds; `go test -fuzz FuzzHeaders` explores.

var fuzzHosts sync.Map // one host per fuzz worker process is enough; instances persist across inputs

func FuzzHeaders(f *testing.F) {
	f.Add("/p?b=2&a=1", "max-age=60", "max-age=60, public", "Sun, 06 Nov 1994 08:49:37 GMT", "10", "", "api.example.com")
	f.Add("/p?&&=&a", "no-cache, max-age=\"5", "s-maxage=abc, max-age=99999999999999999999", "garbage", "-1", "*", "EXAMPLE.com:8080")
	f.Add("/%41%2F?%25=1&%3D", "max-stale, min-fresh=x", "private=\"a, b\", no-cache=\"Set-Cookie\"", "Sunday, 06-Nov-94 08:49:37 GMT", "1.5", "Accept", "")
	f.Add("/", ",,,;;;===", "\"\"\"", "Sun Nov  6 08:49:37 1994", "99999999999999999999", ", ,", "h")
	f.Fuzz(func(t *testing.T, uri, requestCC, responseCC, expires, age, vary, host string) {
		if _, err := url.ParseRequestURI(uri); err != nil || !strings.HasPrefix(uri, "/") || strings.ContainsAny(uri, " \r\n#\x00") {
			return // not a request target net/http would accept
		}
		for _, v := range []string{requestCC, responseCC, expires, age, vary, host} {
			if strings.ContainsAny(v, "\r\n\x00") {
				return // net/http refuses such header values
			}
		}
		h := fuzzHost(t)
		req := get(uri, "Cache-Control", requestCC)
		req.Host = host
		req.Header.Set("X-Fuzz-Response-CC", responseCC)
		req.Header.Set("X-Fuzz-Expires", expires)
		req.Header.Set("X-Fuzz-Age", age)
		req.Header.Set("X-Fuzz-Vary", vary)
		for round := 0; round < 2; round++ {
			res := h.Do(req.Clone(context.Background()))
			if res.Trapped() {
				t.Fatalf("guest trapped for uri=%q cc=%q response cc=%q expires=%q age=%q vary=%q host=%q: %s",
					uri, requestCC, responseCC, expires, age, vary, host, res)
			}
			if res.CacheStatus() == "HIT" && string(res.Body) != fuzzBody(host, req.URL) {
				t.Fatalf("a HIT served %q for host=%q uri=%q, which the backend never sent for it", res.Body, host, uri)
			}
		}
	})
}

// fuzzBody: what the backend answers for a URL, written in the cache key's terms (README: host
// lowercased, query parameters sorted stably by name, empty ones dropped), so that every URL
// sharing a key gets the same body; a hit must serve exactly this.
func fuzzBody(host string, u *url.URL) string {
	var params []string
	for _, p := range strings.Split(u.RawQuery, "&") {
		if p != "" {
			params = append(params, p)
		}
	}
	name := func(p string) string { n, _, _ := strings.Cut(p, "="); return n }
	sort.SliceStable(params, func(i, j int) bool { return name(params[i]) < name(params[j]) })
	return "host=" + strings.ToLower(host) + " path=" + u.EscapedPath() + " query=" + strings.Join(params, "&")
}

func fuzzHost(t *testing.T) *Host {
	if h, ok := fuzzHosts.Load("h"); ok {
		return h.(*Host)
	}
	h, err := New(context.Background(), wasmOrFail(t), []byte(`{"store":{"memory":{"limit":"4Mi"}}}`),
		NewBackend(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", r.Header.Get("X-Fuzz-Response-CC"))
			w.Header().Set("Expires", r.Header.Get("X-Fuzz-Expires"))
			w.Header().Set("Age", r.Header.Get("X-Fuzz-Age"))
			if v := r.Header.Get("X-Fuzz-Vary"); v != "" {
				w.Header().Set("Vary", v)
			}
			w.Write([]byte(fuzzBody(r.Host, r.URL)))
		}))
	if err != nil {
		t.Fatal(err)
	}
	fuzzHosts.Store("h", h)
	return h
}

func FuzzConfig(f *testing.F) {
	for _, seed := range []string{``, `null`, `{}`, `{"maxTtl":"30s"}`, `{"store":{"memory":{"limit":"1Mi"}},"maxObjectSize":"1Ki"}`,
		`{"key":{"headers":["Accept"],"ignoredQueryParams":"a,b"}}`, `{"maxTtl":`, `[[[[`, `{"a":"\u00e9\ud800"}`, "{\"x\":\"\xff\"}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, config string) {
		h, err := New(context.Background(), wasmOrFail(t), []byte(config), NewBackend(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Write([]byte("ok"))
		}))
		if err != nil {
			t.Fatalf("config %q: instantiation failed (a trap in start code?): %v", config, err)
		}
		defer h.Close()
		res := h.Do(get("/c"))
		switch {
		case res.Trapped():
			t.Fatalf("config %q: guest trapped: %s", config, res)
		case res.Status == 500 && !strings.HasPrefix(string(res.Body), "httpcache: invalid configuration: "):
			t.Fatalf("config %q: a 500 that does not say why: %s", config, res)
		case res.Status != 200 && res.Status != 500:
			t.Fatalf("config %q: unexpected %s", config, res)
		}
	})
}
