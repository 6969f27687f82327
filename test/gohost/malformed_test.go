package gohost

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/http-wasm/http-wasm-host-go/api"
)

// Requests as odd as net/http lets through (its server refuses control characters in header
// values, not bytes >= 0x80) never trap, and are answered with the backend's response.
func TestMalformedRequestsNeverTrap(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "path="+r.URL.Path)
	})
	big := strings.Repeat("a", 64<<10)
	var params []string
	for i := 0; i < 200; i++ {
		params = append(params, fmt.Sprintf("p%03d=%d", i, i))
	}
	var reversed []string
	for i := len(params) - 1; i >= 0; i-- {
		reversed = append(reversed, params[i])
	}
	withHeaders := func(path string, kv func(http.Header)) func() *http.Request {
		return func() *http.Request { r := get(path); kv(r.Header); return r }
	}
	type tc struct {
		name  string
		mk    func() *http.Request
		noHit bool   // must never be answered from the cache
		want  string // X-Cache-Status every round must have, if set
	}
	cases := []tc{
		{name: "garbage Cache-Control", mk: func() *http.Request {
			return get("/m/cc", "Cache-Control", `max-age=, no-store=="x", ,,,;;; max-age=99999999999999999999`)
		}},
		{name: "64 KiB Cache-Control", mk: func() *http.Request {
			return get("/m/cc64k", "Cache-Control", strings.Repeat("max-age=1, ", 6000))
		}},
		{name: "non-UTF-8 Cache-Control", mk: func() *http.Request {
			return get("/m/cc-bin", "Cache-Control", "max-age=\xff\xfe, no-cache\x80, s-maxage=\"\xc3")
		}},
		{name: "unterminated quote in Cache-Control", mk: func() *http.Request {
			return get("/m/cc-quote", "Cache-Control", `no-cache="Set-Cookie, \"unterminated`)
		}},
		{name: "max-stale/min-fresh garbage", mk: func() *http.Request {
			return get("/m/cc-stale", "Cache-Control", "max-stale=abc, min-fresh=-1, max-stale")
		}},
		{name: "empty Cache-Control", mk: func() *http.Request { return get("/m/cc-empty", "Cache-Control", "") }},
		{name: "garbage Pragma", mk: func() *http.Request { return get("/m/pragma", "Pragma", `no-cache=,,;;"`) }},
		{name: "garbage Authorization", noHit: true, mk: func() *http.Request {
			return get("/m/auth", "Authorization", "\xff\xfe Basic ====, , Bearer")
		}},
		{name: "64 KiB Authorization", noHit: true, mk: func() *http.Request {
			return get("/m/auth-big", "Authorization", "Bearer "+big)
		}},
		{name: "64 KiB header value", mk: func() *http.Request { return get("/m/big", "X-Big", big) }},
		{name: "500 distinct headers", mk: withHeaders("/m/names", func(h http.Header) {
			for i := 0; i < 500; i++ {
				h.Set(fmt.Sprintf("X-H-%d", i), strconv.Itoa(i))
			}
		})},
		{name: "1000 lines of one header", mk: withHeaders("/m/lines", func(h http.Header) {
			for i := 0; i < 1000; i++ {
				h.Add("X-Dup", strconv.Itoa(i))
			}
		})},
		{name: "token characters in a header name", mk: func() *http.Request { return get("/m/tchar", "X-Weird_Name.1!#$%&'*+-^`|~", "v") }},
		{name: "200 query parameters", mk: func() *http.Request { return get("/m/params?" + strings.Join(params, "&")) }},
		{name: "200 query parameters reversed", mk: func() *http.Request { return get("/m/params?" + strings.Join(reversed, "&")) }},
		{name: "invalid percent-escapes in the query", mk: func() *http.Request {
			return rawReq("GET", "api.example.test", "/m/pct", "a=%zz&b=%&c=%4&%=1&&&=&==&d=%%")
		}},
		{name: "non-UTF-8 query", mk: func() *http.Request { return rawReq("GET", "api.example.test", "/m/q-bin", "q=\xff\xfe\x80&r=\xc3") }},
		{name: "non-UTF-8 path", mk: func() *http.Request { return rawReq("GET", "api.example.test", "/m/\xff\xfe\x80", "") }},
		{name: "dot segments and encoded slash", mk: func() *http.Request { return get("/m/a%2Fb/./../c//d") }},
		{name: "64 KiB path", mk: func() *http.Request { return rawReq("GET", "api.example.test", "/m/"+big, "") }},
		{name: "64 KiB query", mk: func() *http.Request { return rawReq("GET", "api.example.test", "/m/bigq", "q="+big) }},
		{name: "empty Host", mk: func() *http.Request { return rawReq("GET", "", "/m/nohost", "") }},
		{name: "non-UTF-8 Host", mk: func() *http.Request { return rawReq("GET", "h\xffst.example", "/m/host-bin", "") }},
		{name: "Host with port and capitals", mk: func() *http.Request { return rawReq("GET", "API.Example.test:8443", "/m/host-port", "") }},
		{name: "64 KiB Host", mk: func() *http.Request { return rawReq("GET", big, "/m/host-big", "") }},
		{name: "garbage Range", noHit: true, mk: func() *http.Request { return get("/m/range", "Range", "bytes=abc") }},
		{name: "garbage conditionals", mk: func() *http.Request {
			return get("/m/cond", "If-None-Match", `"unterminated`, "If-Modified-Since", "garbage", "If-Match", ",,,")
		}},
		{name: "lowercase method get", want: "BYPASS", mk: func() *http.Request { return mkreq("get", "/m/lower") }},
		{name: "unknown method", want: "BYPASS", mk: func() *http.Request { return mkreq("PURGE", "/m/purge") }},
		{name: "HTTP/1.0", mk: func() *http.Request {
			r := get("/m/http10")
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
			return r
		}},
		{name: "GET with a body", mk: func() *http.Request {
			r := get("/m/body")
			r.Body = io.NopCloser(strings.NewReader("abc"))
			r.ContentLength = 3
			return r
		}},
	}
	for _, c := range cases {
		for round := 1; round <= 3; round++ {
			r := c.mk()
			res := h.Do(r)
			what := fmt.Sprintf("%s (round %d)", c.name, round)
			ok := sane(t, what, res, 200, []byte("path="+r.URL.Path))
			if c.noHit && (res.CacheStatus() == "HIT" || res.BackendCalls != 1) {
				t.Errorf("%s: must be answered by the backend, got %s", what, res)
				ok = false
			}
			if c.want != "" && res.CacheStatus() != c.want {
				t.Errorf("%s: X-Cache-Status %q, want %q", what, res.CacheStatus(), c.want)
				ok = false
			}
			if !ok {
				break // one report per case
			}
		}
	}
	// The query is sorted in the key, so the reversed 200 parameters hit what the first stored.
	if r := h.Do(get("/m/params?" + strings.Join(reversed, "&"))); r.CacheStatus() != "HIT" {
		t.Errorf("200 query parameters in another order: want HIT, got %s", r)
	}
	if l := h.Log.Problems(); len(l) > 0 {
		t.Errorf("malformed requests logged warnings/errors (nothing is logged per request above debug):%s", Dump(l, 10))
	}
}

// Odd backend responses never trap, are passed through intact, and are only stored when the
// README's rules say so.
func TestMalformedResponsesNeverTrap(t *testing.T) {
	oneInstance(t)
	now := time.Now().UTC()
	huge := strings.Repeat("h", 200<<10)
	type tc struct {
		path   string
		status int
		hdr    http.Header
		expect string // "any", "hit" (second request HIT), "nohit" (never from the cache)
	}
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = fmt.Sprintf("line-%02d", i)
	}
	manyNames := http.Header{"Cache-Control": {"max-age=60"}}
	for i := 0; i < 300; i++ {
		manyNames[fmt.Sprintf("X-Name-%03d", i)] = []string{strconv.Itoa(i)}
	}
	cases := []tc{
		{"/r/cc-garbage", 200, http.Header{"Cache-Control": {`max-age=, no-store=="x", ,,,;;; max-age=99999999999999999999`}}, "any"},
		{"/r/cc-huge-max-age", 200, http.Header{"Cache-Control": {"max-age=99999999999999999999"}}, "any"},
		{"/r/cc-negative", 200, http.Header{"Cache-Control": {"max-age=-5"}}, "nohit"},
		{"/r/cc-non-utf8", 200, http.Header{"Cache-Control": {"max-age=60, \xff\xfe=\x80"}}, "any"},
		{"/r/cc-64k", 200, http.Header{"Cache-Control": {"max-age=60, " + strings.Repeat("x-ext=1, ", 7000)}}, "any"},
		{"/r/cc-quoted", 200, http.Header{"Cache-Control": {`max-age="60"`}}, "any"},
		{"/r/cc-upper", 200, http.Header{"Cache-Control": {"MAX-AGE=60"}}, "any"},
		{"/r/cc-no-store-upper", 200, http.Header{"Cache-Control": {"NO-STORE, max-age=60"}}, "nohit"},
		{"/r/cc-two-lines", 200, http.Header{"Cache-Control": {"max-age=60", "no-store"}}, "nohit"},
		{"/r/cc-no-cache", 200, http.Header{"Cache-Control": {"no-cache, max-age=60"}}, "nohit"},
		{"/r/s-maxage-zero", 200, http.Header{"Cache-Control": {"s-maxage=0, max-age=60"}}, "nohit"},
		{"/r/public-only", 200, http.Header{"Cache-Control": {"public"}}, "nohit"},
		{"/r/private-qualified", 200, http.Header{"Cache-Control": {`private="Set-Cookie", max-age=60`}}, "any"},
		{"/r/expires-garbage", 200, http.Header{"Expires": {"garbage"}}, "nohit"},
		{"/r/expires-zero", 200, http.Header{"Expires": {"0"}}, "nohit"},
		{"/r/expires-past", 200, http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}, "Date": {now.Format(http.TimeFormat)}}, "nohit"},
		{"/r/expires-garbage-max-age", 200, http.Header{"Expires": {"garbage"}, "Cache-Control": {"max-age=60"}}, "hit"},
		{"/r/expires-future", 200, http.Header{"Expires": {now.Add(time.Hour).Format(http.TimeFormat)}, "Date": {now.Format(http.TimeFormat)}}, "hit"},
		{"/r/date-garbage", 200, http.Header{"Date": {"garbage"}, "Cache-Control": {"max-age=60"}}, "any"},
		{"/r/date-garbage-expires", 200, http.Header{"Date": {"garbage"}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, "any"},
		{"/r/age-negative", 200, http.Header{"Age": {"-5"}, "Cache-Control": {"max-age=60"}}, "any"},
		{"/r/age-fraction", 200, http.Header{"Age": {"1.5"}, "Cache-Control": {"max-age=60"}}, "any"},
		{"/r/age-garbage", 200, http.Header{"Age": {"abc"}, "Cache-Control": {"max-age=60"}}, "any"},
		{"/r/age-huge", 200, http.Header{"Age": {"99999999999999999999"}, "Cache-Control": {"max-age=60"}}, "nohit"},
		{"/r/age-over-max-age", 200, http.Header{"Age": {"120"}, "Cache-Control": {"max-age=60"}}, "nohit"},
		{"/r/100-lines", 200, http.Header{"X-Line": lines, "Cache-Control": {"max-age=60"}}, "hit"},
		{"/r/200k-header", 200, http.Header{"X-Huge": {huge}, "Cache-Control": {"max-age=60"}}, "any"},
		{"/r/300-names", 200, manyNames, "any"},
		{"/r/non-utf8-header", 200, http.Header{"X-Bin": {"\xff\xfe\x80"}, "Cache-Control": {"max-age=60"}}, "hit"},
		{"/r/status-599", 599, http.Header{"Cache-Control": {"max-age=60"}}, "any"},
		{"/r/status-500", 500, http.Header{"Cache-Control": {"max-age=60"}}, "any"},
	}
	byPath := map[string]tc{}
	for _, c := range cases {
		byPath[c.path] = c
	}
	h := newHost(t, nil, func(w http.ResponseWriter, r *http.Request) {
		c := byPath[r.URL.Path]
		for k, v := range c.hdr {
			w.Header()[k] = append([]string(nil), v...)
		}
		w.WriteHeader(c.status)
		io.WriteString(w, "response for "+r.URL.Path)
	})
	for _, c := range cases {
		want := []byte("response for " + c.path)
		res1 := h.Do(get(c.path))
		if !sane(t, "GET "+c.path+" (first)", res1, c.status, want) {
			continue
		}
		res2 := h.Do(get(c.path))
		if !sane(t, "GET "+c.path+" (second)", res2, c.status, want) {
			continue
		}
		switch {
		case c.expect == "nohit" && (res2.CacheStatus() == "HIT" || res2.BackendCalls != 1):
			t.Errorf("GET %s twice (response %q): the second must not come from the cache, got %s", c.path, c.hdr, res2)
		case c.expect == "hit" && (res2.CacheStatus() != "HIT" || res2.BackendCalls != 0):
			t.Errorf("GET %s twice (response %.200q): the second must be a HIT, got %s", c.path, c.hdr, res2)
		case c.expect == "any":
			t.Logf("GET %s twice: %s then %s", c.path, res1.CacheStatus(), res2.CacheStatus())
		}
		if c.path == "/r/expires-garbage" && res2.CacheStatus() != "MISS" {
			t.Errorf("GET %s (invalid Expires = already expired, not stored): second X-Cache-Status %q, want MISS", c.path, res2.CacheStatus())
		}
		if res2.CacheStatus() == "HIT" {
			wantHdr := http.Header{}
			for k, v := range c.hdr {
				if k != "Age" {
					wantHdr[k] = v
				}
			}
			sameHeaders(t, "HIT "+c.path, res2.Header, wantHdr)
		}
	}
	if l := h.Log.Problems(); len(l) > 0 {
		t.Errorf("malformed responses logged warnings/errors (nothing is logged per request above debug):%s", Dump(l, 10))
	}
}

// Any plugin configuration, however broken, instantiates without a trap. Valid ones cache;
// invalid ones answer every request with 500 "httpcache: invalid configuration: ..." naming the
// key, log it at error level, and never call the backend.
func TestMalformedConfigsNeverTrap(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObj := strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000)
	type tc struct {
		config string
		nilCfg bool
		valid  string // "yes", "no", "either"
		key    string // the key an error must name
	}
	cases := []tc{
		{nilCfg: true, valid: "yes"},
		{config: "", valid: "yes"},
		{config: "null", valid: "yes"},
		{config: "{}", valid: "yes"},
		{config: " \n\t{ } \n", valid: "yes"},
		{config: `{"maxTtl":"300s","defaultTtl":"0","methods":["GET","HEAD"],"excludedResponseCodes":["500-599",404],"maxObjectSize":"64Ki",` +
			`"store":{"memory":{"limit":"1Mi"}},"key":{"ignoreQuery":"false","ignoredQueryParams":["utm_source"],"headers":["Accept-Language"]},` +
			`"setCookie":"strip","cacheName":"edge","disableCacheStatusHeader":"false","logLevel":"error"}`, valid: "yes"},
		{config: `{"maxTtl":300,"defaultTtl":0,"maxObjectSize":65536,"store":{"memory":{"limit":1048576}},"key":{"ignoreQuery":true},` +
			`"disableCacheStatusHeader":false,"logLevel":"debug"}`, valid: "yes"},
		{config: `{"maxTtl":"5m","defaultTtl":"1d","maxObjectSize":"1M","store":{"memory":{"limit":"4M"}}}`, valid: "yes"},
		{config: `{"disableCacheStatusHeader":true}`, valid: "yes"},
		{config: `[]`, valid: "no"},
		{config: `"str"`, valid: "no"},
		{config: `42`, valid: "no"},
		{config: `true`, valid: "no"},
		{config: `{"maxTtl":"abc"}`, valid: "no", key: "maxTtl"},
		{config: `{"maxTtl":{"nested":1}}`, valid: "no", key: "maxTtl"},
		{config: `{"maxTtl":` + deep + `}`, valid: "no"}, // a JSON-level error: no key to name
		{config: `{"unknownKey":1}`, valid: "no", key: "unknownKey"},
		{config: `{"store":{"memory":{"limit":"-1"}}}`, valid: "no", key: "store.memory.limit"},
		{config: `{"store":{"memory":{"limit":"512Ki"}},"maxObjectSize":"64Ki"}`, valid: "no", key: "store.memory.limit"},
		{config: `{"store":{"memory":{"limit":"64Xi"}}}`, valid: "no", key: "store.memory.limit"},
		{config: `{"store":{"disk":{}}}`, valid: "no", key: "disk"},
		{config: `{"methods":["POST"]}`, valid: "no", key: "methods"},
		{config: `{"excludedResponseCodes":["abc"]}`, valid: "no", key: "excludedResponseCodes"},
		{config: `{"excludedResponseCodes":["599-500x"]}`, valid: "no", key: "excludedResponseCodes"},
		{config: `{"maxObjectSize":"1Mi","store":{"memory":{"limit":"1Mi"}}}`, valid: "no", key: "maxObjectSize"},
		{config: `{"maxObjectSize":-1}`, valid: "no", key: "maxObjectSize"},
		{config: `{"setCookie":"keep"}`, valid: "no", key: "setCookie"},
		{config: `{"logLevel":"trace"}`, valid: "no", key: "logLevel"},
		{config: `{"disableCacheStatusHeader":"yes"}`, valid: "no", key: "disableCacheStatusHeader"},
		{config: `{"defaultTtl":"-5s"}`, valid: "no", key: "defaultTtl"},
		{config: `{"key":{"ignoreQuery":"maybe"}}`, valid: "no", key: "key.ignoreQuery"},
		{config: deep, valid: "no"},
		{config: deepObj, valid: "no", key: "a"},
		{config: `{"maxTtl":"30`, valid: "no"},
		{config: `{"store":{"memory":{"limit":"1Mi"}}`, valid: "no"},
		{config: `{`, valid: "no"},
		{config: `{"a`, valid: "no"},
		{config: `{"maxTtl":"300s",}`, valid: "no"},
		{config: "{\"cacheName\":\"\xff\xfe\"}", valid: "either"}, // not UTF-8, so not JSON (Traefik never sends it)
		{config: `{"maxTtl":1e400}`, valid: "either", key: "maxTtl"},
		{config: `{"maxTtl":99999999999999999999999999}`, valid: "either", key: "maxTtl"},
		{config: `{"maxTtl":"99999999999999999999999999s"}`, valid: "either", key: "maxTtl"},
		{config: `{"store":{"memory":{"limit":1e30}}}`, valid: "either", key: "store.memory.limit"},
		{config: `{"store":{"memory":{"limit":"99999999999Gi"}}}`, valid: "either", key: "store.memory.limit"},
		{config: `{"maxTtl":"300s","maxTtl":"abc"}`, valid: "either", key: "maxTtl"},
	}
	const prefix = "httpcache: invalid configuration:"
	for i, c := range cases {
		var cfg []byte
		if !c.nilCfg {
			cfg = []byte(c.config)
		}
		name := short(cfg)
		t.Run(fmt.Sprintf("%02d_%s", i, subtestName(cfg)), func(t *testing.T) {
			oneInstance(t)
			h := newHost(t, cfg, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				io.WriteString(w, "ok "+r.URL.Path)
			})
			var res [2]*Result
			for i := range res {
				res[i] = h.Do(get("/cfg"))
				if res[i].Trapped() {
					t.Fatalf("config %s: request %d trapped: %s", name, i+1, res[i])
				}
			}
			isValid := res[0].Status == 200
			if c.valid == "either" {
				t.Logf("config %s: valid=%v, first answer %s", name, isValid, res[0])
			}
			switch {
			case c.valid == "yes" && !isValid, c.valid == "no" && isValid:
				t.Fatalf("config %s: want valid=%s, got %s", name, c.valid, res[0])
			}
			if isValid {
				if string(res[0].Body) != "ok /cfg" || res[0].BackendCalls != 1 {
					t.Errorf("config %s: first request: want the backend's answer, got %s", name, res[0])
				}
				if string(res[1].Body) != "ok /cfg" || res[1].BackendCalls != 0 {
					t.Errorf("config %s: second request: want a hit, got %s", name, res[1])
				}
				if strings.Contains(c.config, `"disableCacheStatusHeader":true`) {
					if res[1].Header.Get("X-Cache-Status") != "" || len(res[1].Header.Values("Cache-Status")) != 0 {
						t.Errorf("config %s: status headers still sent: %s", name, res[1])
					}
				} else if res[1].CacheStatus() != "HIT" {
					t.Errorf("config %s: second request X-Cache-Status %q, want HIT", name, res[1].CacheStatus())
				}
				if strings.Contains(c.config, `"cacheName":"edge"`) && !strings.HasPrefix(cacheStatusField(res[1].Header), "edge; hit") {
					t.Errorf("config %s: Cache-Status %q, want it to start with %q", name, cacheStatusField(res[1].Header), "edge; hit")
				}
				if l := h.Log.Problems(); len(l) > 0 {
					t.Errorf("config %s is valid but the guest logged:%s", name, Dump(l, 5))
				}
				return
			}
			for i, r := range res {
				body := string(r.Body)
				if r.Status != 500 || !strings.HasPrefix(body, prefix) {
					t.Errorf("config %s, request %d: want 500 with a body starting %q, got %s", name, i+1, prefix, r)
				}
				if c.key != "" && !strings.Contains(body, c.key) {
					t.Errorf("config %s, request %d: the error %q does not name the key %q", name, i+1, body, c.key)
				}
			}
			if calls := h.Next.Calls(); calls != 0 {
				t.Errorf("config %s is invalid but the backend was called %d times", name, calls)
			}
			found := false
			for _, e := range h.Log.Entries() {
				if e.Level == api.LogLevelError && (c.key == "" || strings.Contains(e.Message, c.key)) {
					found = true
				}
			}
			if !found {
				t.Errorf("config %s is invalid but nothing naming %q was logged at error level; logs:%s", name, c.key, Dump(h.Log.Entries(), 5))
			}
		})
	}
}

func subtestName(cfg []byte) string {
	if cfg == nil {
		return "no_config"
	}
	var b strings.Builder
	for _, c := range string(cfg) {
		if b.Len() >= 40 {
			break
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteRune(c)
		} else if s := b.String(); len(s) > 0 && s[len(s)-1] != '_' {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "empty_or_punctuation"
	}
	return b.String()
}
