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
