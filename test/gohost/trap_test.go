package gohost

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two ways to make the guest trap at a chosen point:
//
//   - hostCallFault: the http_handler host module is wrapped (see host.go) so the n-th host
//     function call of a request panics before doing anything, as a failing host would; the guest
//     traps inside that call. Sweeping n over every call of a request puts a trap at each one
//     (read_body, set_header_value, write_body, log, ...).
//   - writerFault: nethttp's buffering ResponseWriter delegates Header() to the writer given to
//     ServeHTTP, and on a hit the guest writes straight to it: a Recorder with FailAt = n panics on
//     its n-th call, so whatever touches the response at that moment fails (a host function -> the
//     guest traps; the backend -> nethttp reports an error to handle_response; nethttp after the
//     guest returned -> ServeHTTP panics).
//
// After each fault, normal requests for the same URL on the same (pooled) instance must be a MISS
// that reaches the backend or a HIT with exactly the backend's body and headers.

type faultMode int

const (
	hostCallFault faultMode = iota
	writerFault
)

func (m faultMode) String() string { return [...]string{"host-call", "writer"}[m] }

var faultModes = []faultMode{hostCallFault, writerFault}

// inject serves r with a fault at call n (0: none) and returns the result, the fault if it fired,
// and the calls made (host function names, or writer calls).
func inject(h *Host, r *http.Request, m faultMode, n int) (*Result, *Fault, []string) {
	plan := &FaultPlan{}
	w := NewRecorder(r)
	if m == hostCallFault {
		plan.FailAt = n
		r = WithFaultPlan(r, plan)
	} else {
		w.FailAt = n
	}
	res := h.DoWith(w, r)
	if m == hostCallFault {
		return res, plan.Fired, plan.Calls
	}
	calls := make([]string, w.Ops)
	for i := range calls {
		calls[i] = "writer"
	}
	return res, w.Fired, calls
}

// guestTrapped: the guest trapped (not our fault value bubbling up through nethttp).
func guestTrapped(res *Result) bool {
	if res.Panic != nil {
		_, injected := res.Panic.(*Fault)
		return !injected
	}
	return res.Trapped()
}

func trapBody(path string) []byte {
	f := fnv.New64a()
	f.Write([]byte(path))
	x := f.Sum64()
	n := 3000 + int(x%500)
	if strings.Contains(path, "/big/") {
		n += 300 << 10 // several read_body calls
	}
	return pseudoRandomBytes(x, n)
}

func trapHeaders(path string, bodyLen int) http.Header {
	return http.Header{
		"Content-Type":   {"application/octet-stream"},
		"Cache-Control":  {"max-age=300"},
		"X-Multi":        {"one", "two, three"},
		"Etag":           {strconv.Quote(path)},
		"Content-Length": {strconv.Itoa(bodyLen)},
	}
}

func trapBackend(w http.ResponseWriter, r *http.Request) {
	body := trapBody(r.URL.Path)
	hd := w.Header()
	for k, v := range trapHeaders(r.URL.Path, len(body)) {
		hd[k] = v
	}
	w.Write(body)
}

// followUps sends normal requests for path on the same (pooled) instance: each must be a MISS
// that reaches the backend or a HIT with exactly the backend's body and headers; the last must be
// a HIT (the instance still caches after the trap).
func followUps(t *testing.T, h *Host, path, what string) {
	t.Helper()
	body := trapBody(path)
	hdr := trapHeaders(path, len(body))
	var seen []string
	for i := 1; i <= 3; i++ {
		res := h.Do(get(path))
		seen = append(seen, res.CacheStatus())
		w := fmt.Sprintf("%s: follow-up GET %s #%d", what, path, i)
		if res.Trapped() {
			t.Errorf("%s trapped: %s", w, res)
			return
		}
		if !sane(t, w, res, 200, body) {
			return
		}
		switch res.CacheStatus() {
		case "HIT":
			if res.BackendCalls != 0 {
				t.Errorf("%s: HIT but the backend was called", w)
			}
			if !sameHeaders(t, w+" (HIT)", res.Header, hdr) {
				return
			}
		case "MISS", "EXPIRED":
			if res.BackendCalls != 1 {
				t.Errorf("%s: %s but the backend was called %d times", w, res.CacheStatus(), res.BackendCalls)
			}
		default:
			t.Errorf("%s: X-Cache-Status %q", w, res.CacheStatus())
		}
	}
	if seen[2] != "HIT" {
		t.Errorf("%s: follow-ups were %v; the third should be a HIT (the instance must keep caching after a trap)", what, seen)
	}
}

// measure serves path normally and returns the calls it made.
func measure(t *testing.T, h *Host, m faultMode, path, wantStatus string) []string {
	t.Helper()
	res, _, calls := inject(h, get(path), m, 0)
	if res.Trapped() || res.CacheStatus() != wantStatus || string(res.Body) != string(trapBody(path)) {
		t.Fatalf("reference GET %s: want %s with the backend's body, got %s", path, wantStatus, res)
	}
	return calls
}

func instanceNote(t *testing.T, h *Host) {
	if created, live := h.Instances(); created != 1 || live != 1 {
		t.Logf("note: %d instances were created (%d live); the sweep meant to reuse one", created, live)
	}
}

// A trap at any host call while a miss is being stored never leaves a visible half-written entry:
// a small body (read at once) on one instance; and a 300 KiB body, which a fresh instance reads in
// several read_body calls (its buffers then keep their size, so each fault point gets a fresh
// instance).
func TestTrapWhileStoringLeavesNoPartialEntry(t *testing.T) {
	cfg := []byte(`{"store":{"memory":{"limit":"4Mi"}}}`)
	for _, m := range faultModes {
		for _, size := range []string{"small", "big"} {
			t.Run(m.String()+"/"+size, func(t *testing.T) {
				oneInstance(t)
				h := newHost(t, cfg, trapBackend)
				calls := measure(t, h, m, "/trap/"+size+"/ref", "MISS")
				measure(t, h, m, "/trap/"+size+"/ref", "HIT")
				t.Logf("a storing miss makes %d %s calls: %s", len(calls), m, strings.Join(calls, " "))
				traps := 0
				for n := 1; n <= len(calls); n++ {
					if size == "big" {
						h = newHost(t, cfg, trapBackend)
					}
					path := fmt.Sprintf("/trap/%s/miss/%d", size, n)
					res, fired, made := inject(h, get(path), m, n)
					if fired == nil {
						t.Errorf("fault at call %d never fired (this miss made %d calls)", n, len(made))
						continue
					}
					if guestTrapped(res) {
						traps++
					}
					followUps(t, h, path, fmt.Sprintf("%s fault at call %d (%s) of a storing miss", m, n, fired.Op))
				}
				t.Logf("%d faults, %d guest traps", len(calls), traps)
				if traps == 0 {
					t.Errorf("no fault made the guest trap")
				}
				instanceNote(t, h)
			})
		}
	}
}

// A trap while a hit is being written never corrupts or loses the entry for later requests.
func TestTrapWhileServingHitKeepsEntryIntact(t *testing.T) {
	for _, m := range faultModes {
		t.Run(m.String(), func(t *testing.T) {
			oneInstance(t)
			h := newHost(t, nil, trapBackend)
			const path = "/trap/hit"
			measure(t, h, m, path, "MISS")
			calls := measure(t, h, m, path, "HIT")
			t.Logf("a hit makes %d %s calls: %s", len(calls), m, strings.Join(calls, " "))
			traps := 0
			for n := 1; n <= len(calls); n++ {
				res, fired, made := inject(h, get(path), m, n)
				if fired == nil {
					t.Errorf("fault at call %d never fired (this hit made %d calls)", n, len(made))
					continue
				}
				if guestTrapped(res) {
					traps++
				}
				followUps(t, h, path, fmt.Sprintf("%s fault at call %d (%s) of a hit", m, n, fired.Op))
			}
			t.Logf("%d faults, %d guest traps", len(calls), traps)
			instanceNote(t, h)
		})
	}
}

// Hundreds of traps on one instance (each abandoning a call stack mid-way) leave it working.
func TestManyTrapsOnOneInstance(t *testing.T) {
	oneInstance(t)
	h := newHost(t, nil, trapBackend)
	kMiss := len(measure(t, h, hostCallFault, "/many/ref", "MISS"))
	kHit := len(measure(t, h, hostCallFault, "/many/ref", "HIT"))
	for i := 0; i < 300; i++ {
		inject(h, get(fmt.Sprintf("/many/miss/%d", i)), hostCallFault, 1+i%kMiss)
		inject(h, get("/many/ref"), hostCallFault, 1+i%kHit)
	}
	followUps(t, h, "/many/ref", "after 600 traps")
	for i := 0; i < 5; i++ {
		followUps(t, h, fmt.Sprintf("/many/miss/%d", i), "after 600 traps")
		followUps(t, h, fmt.Sprintf("/many/fresh/%d", i), "after 600 traps")
	}
	instanceNote(t, h)
}

// versioned is a backend whose every answer for a path is a new, self-consistent version: the
// body, ETag and X-Version all name it, so a replayed mix of two versions is visible.
type versioned struct {
	mu       sync.Mutex
	versions map[string]int
	maxAge   func(path string, version int) int
}

func (v *versioned) body(path string, version int) []byte {
	return trapBody(path + "#" + strconv.Itoa(version))
}

func (v *versioned) headers(path string, version int) http.Header {
	b := v.body(path, version)
	return http.Header{
		"Content-Type":   {"application/octet-stream"},
		"Cache-Control":  {"max-age=" + strconv.Itoa(v.maxAge(path, version))},
		"X-Version":      {strconv.Itoa(version)},
		"X-Multi":        {"v" + strconv.Itoa(version), "second line"},
		"Etag":           {strconv.Quote(path + "#" + strconv.Itoa(version))},
		"Content-Length": {strconv.Itoa(len(b))},
	}
}

func (v *versioned) serve(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	v.versions[r.URL.Path]++
	version := v.versions[r.URL.Path]
	v.mu.Unlock()
	hd := w.Header()
	for k, vals := range v.headers(r.URL.Path, version) {
		hd[k] = vals
	}
	w.Write(v.body(r.URL.Path, version))
}

func (v *versioned) latest(path string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.versions[path]
}

// versionFollowUps: every answer must be one complete version the backend produced (a HIT
// carries the headers and the body of one and the same version, at least minHit: older ones are
// stale); the last must be a HIT.
func versionFollowUps(t *testing.T, h *Host, v *versioned, path, what string, minHit int) {
	t.Helper()
	var seen []string
	for i := 1; i <= 3; i++ {
		res := h.Do(get(path))
		seen = append(seen, res.CacheStatus())
		w := fmt.Sprintf("%s: follow-up GET %s #%d", what, path, i)
		if res.Trapped() || !sane(t, w, res, 200, nil) {
			t.Errorf("%s: %s", w, res)
			return
		}
		version, err := strconv.Atoi(res.Header.Get("X-Version"))
		if err != nil || version < 1 || version > v.latest(path) {
			t.Errorf("%s: X-Version %q is not a version the backend produced (latest %d): %s", w, res.Header.Get("X-Version"), v.latest(path), res)
			return
		}
		if string(res.Body) != string(v.body(path, version)) {
			t.Errorf("%s: %s carries X-Version %d but not that version's body (%d bytes, first diff at %d)",
				w, res.CacheStatus(), version, len(res.Body), firstDiff(res.Body, v.body(path, version)))
			return
		}
		switch res.CacheStatus() {
		case "HIT":
			if version < minHit {
				t.Errorf("%s: HIT with version %d, which is stale", w, version)
				return
			}
			if res.BackendCalls != 0 || !sameHeaders(t, w+" (HIT)", res.Header, v.headers(path, version)) {
				return
			}
		case "MISS", "EXPIRED":
			if res.BackendCalls != 1 || version != v.latest(path) {
				t.Errorf("%s: %s should carry the backend's new version %d, got %s", w, res.CacheStatus(), v.latest(path), res)
			}
		default:
			t.Errorf("%s: X-Cache-Status %q", w, res.CacheStatus())
		}
	}
	if seen[2] != "HIT" {
		t.Errorf("%s: follow-ups were %v; the third should be a HIT", what, seen)
	}
}

// A trap while an existing entry is being replaced (a no-cache request refreshing it, or a stale
// entry being refetched) leaves either the old version or the new one, complete, or nothing.
func TestTrapWhileReplacingEntry(t *testing.T) {
	v := &versioned{versions: map[string]int{}, maxAge: func(path string, version int) int {
		if strings.Contains(path, "/stale/") && version == 1 {
			return 1 // goes stale during the test's sleep
		}
		return 300
	}}
	oneInstance(t)
	h := newHost(t, nil, v.serve)
	refresh := func(path string) *http.Request { return get(path, "Cache-Control", "no-cache") }

	// Stale entries for the EXPIRED sweeps, stored first so that one sleep serves all.
	const kStaleMax = 60
	for _, m := range faultModes {
		for n := 0; n <= kStaleMax; n++ {
			if res := h.Do(get(fmt.Sprintf("/%s/stale/%d", m, n))); res.CacheStatus() != "MISS" {
				t.Fatalf("storing /%s/stale/%d: %s", m, n, res)
			}
		}
	}
	start := time.Now()

	for _, m := range faultModes {
		h.Do(get("/" + m.String() + "/refresh/ref"))
		res, _, calls := inject(h, refresh("/"+m.String()+"/refresh/ref"), m, 0)
		if res.Trapped() || res.BackendCalls != 1 || !strings.HasSuffix(cacheStatusField(res.Header), "stored") {
			t.Logf("note: a no-cache request did not refresh the entry (allowed: \"may refresh\"): %s", res)
		}
		t.Logf("a no-cache refresh makes %d %s calls: %s", len(calls), m, strings.Join(calls, " "))
		for n := 1; n <= len(calls); n++ {
			path := fmt.Sprintf("/%s/refresh/%d", m, n)
			if res := h.Do(get(path)); res.CacheStatus() != "MISS" {
				t.Fatalf("storing %s: %s", path, res)
			}
			_, fired, made := inject(h, refresh(path), m, n)
			if fired == nil {
				t.Errorf("%s fault at call %d of a refresh never fired (%d calls)", m, n, len(made))
				continue
			}
			versionFollowUps(t, h, v, path, fmt.Sprintf("%s fault at call %d (%s) of a no-cache refresh", m, n, fired.Op), 1)
		}
	}

	time.Sleep(time.Until(start.Add(2100 * time.Millisecond)))
	for _, m := range faultModes {
		res, _, calls := inject(h, get("/"+m.String()+"/stale/0"), m, 0)
		if res.CacheStatus() != "EXPIRED" || res.BackendCalls != 1 || cacheStatusField(res.Header) != "httpcache; fwd=stale; stored" {
			t.Errorf("GET /stale/0 two seconds after a max-age=1 response: want EXPIRED, Cache-Status %q; got %s",
				"httpcache; fwd=stale; stored", res)
		}
		t.Logf("a stale refetch makes %d %s calls: %s", len(calls), m, strings.Join(calls, " "))
		if len(calls) > kStaleMax {
			t.Errorf("a stale refetch makes %d calls; the sweep only prepared %d stale entries", len(calls), kStaleMax)
		}
		for n := 1; n <= min(len(calls), kStaleMax); n++ {
			path := fmt.Sprintf("/%s/stale/%d", m, n)
			_, fired, made := inject(h, get(path), m, n)
			if fired == nil {
				t.Errorf("%s fault at call %d of a stale refetch never fired (%d calls)", m, n, len(made))
				continue
			}
			versionFollowUps(t, h, v, path, fmt.Sprintf("%s fault at call %d (%s) of a stale refetch", m, n, fired.Op), 2)
		}
	}
	instanceNote(t, h)
}
