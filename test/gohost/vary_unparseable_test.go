package gohost

import (
	"net/http"
	"testing"
)

// `Vary: Cookie;` is not a list of field names: the response varies on something the cache cannot
// read, so it is never stored or shared (RFC 9111 §4.1 treats it like `Vary: *`). Skipping the bad
// member used to store it as if it varied on nothing, and answer every user with the first one's.
func TestUnparseableVaryIsNeverShared(t *testing.T) {
	for _, vary := range []string{"Cookie;", "Accept-Language, Cookie;", "x-a;q=1", "\"Cookie\""} {
		h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Header().Set("Vary", vary)
			w.Write([]byte("for " + r.Header.Get("Cookie")))
		})
		a := get("/account")
		a.Header.Set("Cookie", "user=alice")
		h.Do(a)
		b := get("/account")
		b.Header.Set("Cookie", "user=bob")
		res := h.Do(b)
		if string(res.Body) != "for user=bob" || res.CacheStatus() == "HIT" {
			t.Errorf("Vary: %s: bob got %q (%s), want his own answer from the backend", vary, res.Body, res.CacheStatus())
		}
	}
}

// `Host: api.example.com:80` names the same origin as `Host: api.example.com` (RFC 3986 §6.2.3):
// one entry, found either way.
func TestDefaultPortSharesTheEntry(t *testing.T) {
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write([]byte("catalog"))
	})
	first := get("/products")
	first.Host = "api.example.com"
	h.Do(first)
	for _, host := range []string{"api.example.com:80", "API.example.com:443", "api.example.com"} {
		r := get("/products")
		r.Host = host
		if res := h.Do(r); res.CacheStatus() != "HIT" {
			t.Errorf("Host %s: %q, want the HIT stored for api.example.com", host, res.CacheStatus())
		}
	}
	other := get("/products")
	other.Host = "api.example.com:8080"
	if res := h.Do(other); res.CacheStatus() == "HIT" {
		t.Errorf("Host api.example.com:8080 is another origin, got a HIT")
	}
}
