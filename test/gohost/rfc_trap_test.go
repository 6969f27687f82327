package gohost

// Fault sweeps over the RFC 9111 / RFC 5861 flows (like TestTrapWhileReplacingEntry in
// trap_test.go): a trap at every http_handler host call, and a failure at every ResponseWriter
// call, of
//
//	(a) the revalidation of a stale entry answered 304 (freshen, store again, rewrite to 200);
//	(b) the stale-if-error rewrite after a backend 503;
//	(c) storing a Vary response: the first variant (variant + new marker), and a second variant
//	    (variant + marker update);
//	(d) a POST answered 200 that invalidates the URL and its Location;
//	(e) stale-while-revalidate: the request that claims the refresh lease and refreshes, and the
//	    UPDATING answers while the lease is held,
//
// each with the memory store and with the shared store, on one pooled instance. After each fault,
// normal requests on the same instance must get a correct MISS/HIT/REVALIDATED/... answer with
// exactly a body the backend sent for that key (its current one, unless the answer is legitimately
// stale: UPDATING, STALE), never a wrong body, a 5xx from the cache, or a trap; and the guest
// never traps by itself (only in the injected fault).
//
// For the POST, a HIT of the pre-POST version afterwards is tolerated (and logged) only where the
// guest could not have invalidated: the fault came before the backend's whole 200 reached it
// (before the backend, in the backend's own writes, or at handle_response's reading of the status,
// which §4.4 makes the condition). Once handle_response is past that, the request URL must be
// gone ("INVALIDATION LOST" otherwise: its key is known from the request, nothing more has to be
// read to remove it); the Location URL must be gone once the guest read Location.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rfcSweep is one store's middleware and origin, swept in one fault mode.
type rfcSweep struct {
	t     *testing.T
	h     *Host
	o     *rfcOrigin
	m     faultMode
	store string
	// seen counts the X-Cache-Status of follow-ups after a fault (nil: not counting).
	seen map[string]int
}

// rfcFault is what an injected fault left: the fault (nil: none injected), the host calls the
// guest made up to it (the faulted one last), and how many of them came before the request
// reached the backend (-1: it never did).
type rfcFault struct {
	fired     *Fault
	hostCalls []string
	backendAt int
	// answered: the backend wrote its whole (2xx) answer; a backend stopped by a writer fault
	// is an error for the guest (isError), which invalidates nothing.
	answered bool
}

// guestActedOnResponse says whether the guest ran handle_response past the point where it could
// know the write happened: it made a host call after the backend answered that returned, or whose
// failure was not the reading of the status (the guest may need the status to decide, §4.4 asks
// for a non-error one; everything else, such as reading Location, can come after the request
// URL's invalidation).
func (f rfcFault) guestActedOnResponse() bool {
	if !f.answered || f.backendAt < 0 || f.backendAt >= len(f.hostCalls) {
		return false // the backend never answered, or handle_response made no host call
	}
	after := f.hostCalls[f.backendAt:]
	if f.fired != nil && len(after) == 1 {
		// handle_response's first call was the faulted one: only a status read excuses it.
		return after[0] != "get_status_code"
	}
	return true
}

// locationRead says whether the guest read the response's Location before the fault: a
// get_header_values after the backend answered that returned (the guest reads Location before
// Content-Location). Before that, invalidating the URL Location names was impossible.
func (f rfcFault) locationRead() bool {
	if !f.answered || f.backendAt < 0 || f.backendAt >= len(f.hostCalls) {
		return false
	}
	after := f.hostCalls[f.backendAt:]
	for i, c := range after {
		if c == "get_header_values" {
			return f.fired == nil || i < len(after)-1
		}
	}
	return false
}

type rfcFlow struct {
	kind string
	// prepare makes the state the flow's request starts from.
	prepare func(s *rfcSweep, path string)
	request func(path string) *http.Request
	// check judges the flow without a fault.
	check func(s *rfcSweep, path string, res *Result)
	// after sends normal follow-up requests once the flow's request is done (with a fault or not).
	after func(s *rfcSweep, path, what string, f rfcFault)
}

// sweep runs the flow without a fault (path .../ref), then with a fault at each of its calls, in
// both modes. It returns the paths used.
func (flow rfcFlow) sweep(t *testing.T, h *Host, o *rfcOrigin, store string) []string {
	var paths []string
	for _, m := range faultModes {
		s := &rfcSweep{t: t, h: h, o: o, m: m, store: store}
		prefix := fmt.Sprintf("/%s/%s/%s", flow.kind, store, m)
		ref := prefix + "/ref"
		paths = append(paths, ref)
		flow.prepare(s, ref)
		res, fired, calls, hostCalls, plan := rfcInject(h, flow.request(ref), m, 0)
		rfcNoSelfTrap(t, fmt.Sprintf("%s %s without a fault", store, flow.kind), res, fired)
		flow.check(s, ref, res)
		flow.after(s, ref, fmt.Sprintf("%s %s without a fault", store, flow.kind),
			rfcFault{hostCalls: hostCalls, backendAt: o.backendCallIndex(plan), answered: o.backendAnswered(plan)})
		t.Logf("%s store: a %s flow makes %d %s calls: %s", store, flow.kind, len(calls), m, strings.Join(calls, " "))
		traps := 0
		following := map[string]int{}
		for n := 1; n <= len(calls); n++ {
			path := fmt.Sprintf("%s/%d", prefix, n)
			paths = append(paths, path)
			flow.prepare(s, path)
			res, fired, made, hostCalls, plan := rfcInject(h, flow.request(path), m, n)
			if fired == nil {
				t.Errorf("%s %s: %s fault at call %d never fired (this time %d calls)", store, flow.kind, m, n, len(made))
				continue
			}
			what := fmt.Sprintf("%s store, %s fault at call %d (%s) of a %s flow", store, m, n, fired.Op, flow.kind)
			rfcNoSelfTrap(t, what, res, fired)
			if guestTrapped(res) {
				traps++
			}
			s.seen = map[string]int{}
			flow.after(s, path, what, rfcFault{fired: fired, hostCalls: hostCalls, backendAt: o.backendCallIndex(plan),
				answered: o.backendAnswered(plan)})
			for k, c := range s.seen {
				following[k] += c
			}
			s.seen = nil
		}
		t.Logf("%s store, %s: %d faults, %d guest traps; follow-ups after them: %v", store, m, len(calls), traps, following)
	}
	return paths
}

// do serves a normal request and checks that it did not trap.
func (s *rfcSweep) do(r *http.Request, what string) *Result {
	s.t.Helper()
	res := s.h.Do(r)
	rfcNoSelfTrap(s.t, what, res, nil)
	if s.seen != nil {
		s.seen[res.CacheStatus()]++
	}
	return res
}

// --- (a) and (b): entries validated with the backend ---

// validatedFollowUps: /reval/ and /sie/ entries (one version, validated on every use until a 304
// made them fresh): REVALIDATED (freshened headers), HIT (freshened headers), or MISS/EXPIRED
// (the backend's 200). The third must be a HIT.
func (s *rfcSweep) validatedFollowUps(path, what string) {
	s.t.Helper()
	kind := rfcKind(path)
	var seen []string
	for i := 1; i <= 3; i++ {
		w := fmt.Sprintf("%s: follow-up GET %s #%d", what, path, i)
		res := s.do(get(path), w)
		seen = append(seen, res.CacheStatus())
		v, err := rfcAnswer(res, path)
		if err != nil {
			s.t.Errorf("%s: %v", w, err)
			return
		}
		var want http.Header
		var calls int64
		switch res.CacheStatus() {
		case "HIT":
			want, calls = rfcFreshened(kind, path, v), 0
		case "REVALIDATED":
			want, calls = rfcFreshened(kind, path, v), 1
		case "MISS", "EXPIRED":
			want, calls = rfcHeaders(kind, path, v), 1
		default:
			s.t.Errorf("%s: X-Cache-Status %q: %s", w, res.CacheStatus(), res)
			return
		}
		if v != s.o.current(path) || res.BackendCalls != calls {
			s.t.Errorf("%s: %s of version %d (current %d) with %d backend calls (want %d): %s",
				w, res.CacheStatus(), v, s.o.current(path), res.BackendCalls, calls, res)
		}
		if d := rfcHeaderDiff(res.Header, want); d != "" {
			s.t.Errorf("%s: %s headers differ: %s", w, res.CacheStatus(), d)
		}
	}
	if seen[2] != "HIT" {
		s.t.Errorf("%s: follow-ups of %s were %v; the third should be a HIT", what, path, seen)
	}
}

func (s *rfcSweep) storeOnce(r *http.Request, key, wantStatus, what string) {
	s.t.Helper()
	res := s.do(r, what)
	if _, err := rfcAnswer(res, key); err != nil || res.CacheStatus() != wantStatus || !strings.HasSuffix(cacheStatusField(res.Header), "; stored") {
		s.t.Fatalf("%s: want a %s that is stored; err %v: %s", what, wantStatus, err, res)
	}
}

var flowRevalidate = rfcFlow{
	kind: "reval",
	prepare: func(s *rfcSweep, path string) {
		s.storeOnce(get(path), path, "MISS", "storing "+path)
	},
	request: func(path string) *http.Request { return get(path) },
	check: func(s *rfcSweep, path string, res *Result) {
		v, err := rfcAnswer(res, path)
		if err != nil || res.CacheStatus() != "REVALIDATED" || res.BackendCalls != 1 ||
			cacheStatusField(res.Header) != "httpcache; fwd=stale; fwd-status=304; stored" {
			s.t.Errorf("%s store: a stale entry answered 304: want REVALIDATED, Cache-Status %q; err %v: %s",
				s.store, "httpcache; fwd=stale; fwd-status=304; stored", err, res)
			return
		}
		if d := rfcHeaderDiff(res.Header, rfcFreshened("reval", path, v)); d != "" {
			s.t.Errorf("%s store: REVALIDATED headers are not the freshened ones: %s", s.store, d)
		}
	},
	after: func(s *rfcSweep, path, what string, f rfcFault) { s.validatedFollowUps(path, what) },
}

var flowStaleIfError = rfcFlow{
	kind: "sie",
	prepare: func(s *rfcSweep, path string) {
		s.storeOnce(get(path), path, "MISS", "storing "+path)
		s.o.setFailing(path, true)
	},
	request: func(path string) *http.Request { return get(path) },
	check: func(s *rfcSweep, path string, res *Result) {
		v, err := rfcAnswer(res, path)
		if err != nil || res.CacheStatus() != "STALE" || res.BackendCalls != 1 || !rfcStaleIfError.MatchString(cacheStatusField(res.Header)) {
			s.t.Errorf("%s store: a backend 503 for a stale-if-error entry: want STALE, Cache-Status %s; err %v: %s",
				s.store, rfcStaleIfError, err, res)
			return
		}
		if d := rfcHeaderDiff(res.Header, rfcHeaders("sie", path, v)); d != "" {
			s.t.Errorf("%s store: STALE headers are not the stored ones: %s", s.store, d)
		}
	},
	after: func(s *rfcSweep, path, what string, f rfcFault) {
		// Nothing in this flow writes to the store: the entry is still there for the next failure.
		w := fmt.Sprintf("%s: follow-up GET %s while the backend still fails", what, path)
		res := s.do(get(path), w)
		v, err := rfcAnswer(res, path)
		if err != nil || res.CacheStatus() != "STALE" || res.BackendCalls != 1 {
			s.t.Errorf("%s: want STALE from the stored entry; err %v: %s", w, err, res)
		} else if d := rfcHeaderDiff(res.Header, rfcHeaders("sie", path, v)); d != "" {
			s.t.Errorf("%s: STALE headers differ: %s", w, d)
		}
		s.o.setFailing(path, false)
		s.validatedFollowUps(path, what+" (backend back)")
	},
}

func TestRFCTrapRevalidated304(t *testing.T) {
	rfcSweepStores(t, flowRevalidate)
}

func TestRFCTrapStaleIfError(t *testing.T) {
	rfcSweepStores(t, flowStaleIfError)
}

func rfcSweepStores(t *testing.T, flows ...rfcFlow) {
	for _, store := range rfcStoreNames {
		t.Run(store, func(t *testing.T) {
			oneInstance(t)
			o := newRFCOrigin()
			h := newRFCHost(t, store, o)
			for _, flow := range flows {
				flow.sweep(t, h, o, store)
			}
			instanceNote(t, h)
		})
	}
}

// --- (c): storing a Vary response ---

// The Accept-Encoding values the follow-ups send: the first two are one variant.
var rfcVaryValues = []string{"gzip, br", "br", "", "gzip,  br"}

// varyFollowUps: every variant gets its own body, from the store (HIT) or the backend (MISS);
// never another variant's. The third round is all HITs.
func (s *rfcSweep) varyFollowUps(path, what string) {
	s.t.Helper()
	for round := 1; round <= 3; round++ {
		for _, ae := range rfcVaryValues {
			key := rfcVaryKey(path, ae)
			w := fmt.Sprintf("%s: follow-up GET %s Accept-Encoding %q round %d", what, path, ae, round)
			res := s.do(rfcGetAE(path, ae), w)
			v, err := rfcAnswer(res, key)
			if err != nil {
				s.t.Errorf("%s: %v", w, err)
				return
			}
			var calls int64
			switch res.CacheStatus() {
			case "HIT":
			case "MISS":
				calls = 1
			default:
				s.t.Errorf("%s: X-Cache-Status %q: %s", w, res.CacheStatus(), res)
				return
			}
			if round == 3 && res.CacheStatus() != "HIT" {
				s.t.Errorf("%s: %s in the third round, want HIT: %s", w, res.CacheStatus(), res)
			}
			if res.BackendCalls != calls {
				s.t.Errorf("%s: %s with %d backend calls: %s", w, res.CacheStatus(), res.BackendCalls, res)
			}
			if d := rfcHeaderDiff(res.Header, rfcHeaders("vary", key, v)); d != "" {
				s.t.Errorf("%s: headers differ: %s", w, d)
			}
		}
	}
}

func varyFlow(second bool) rfcFlow {
	kind, wantStatus := "vary", "httpcache; fwd=uri-miss; stored"
	if second {
		wantStatus = "httpcache; fwd=vary-miss; stored"
	}
	return rfcFlow{
		kind: kind,
		prepare: func(s *rfcSweep, path string) {
			if second {
				s.storeOnce(rfcGetAE(path, "br"), rfcVaryKey(path, "br"), "MISS", "storing the first variant of "+path)
			}
		},
		request: func(path string) *http.Request { return rfcGetAE(path, "gzip, br") },
		check: func(s *rfcSweep, path string, res *Result) {
			key := rfcVaryKey(path, "gzip, br")
			v, err := rfcAnswer(res, key)
			if err != nil || res.CacheStatus() != "MISS" || cacheStatusField(res.Header) != wantStatus {
				s.t.Errorf("%s store: storing a Vary response: want MISS, Cache-Status %q; err %v: %s", s.store, wantStatus, err, res)
				return
			}
			if d := rfcHeaderDiff(res.Header, rfcHeaders("vary", key, v)); d != "" {
				s.t.Errorf("%s store: MISS headers differ: %s", s.store, d)
			}
		},
		after: func(s *rfcSweep, path, what string, f rfcFault) { s.varyFollowUps(path, what) },
	}
}

// The first variant of a URL (variant + a new marker), then a second one (variant + the marker
// rewritten to name both). The two sweeps use distinct paths (/vary/<store>/<mode>/... for the
// first, the same with "2nd" for the second).
func TestRFCTrapStoringVary(t *testing.T) {
	first := varyFlow(false)
	second := varyFlow(true)
	for _, store := range rfcStoreNames {
		t.Run(store, func(t *testing.T) {
			oneInstance(t)
			o := newRFCOrigin()
			h := newRFCHost(t, store, o)
			first.sweep(t, h, o, store)
			second.sweep(t, h, o, store+"-2nd")
			instanceNote(t, h)
		})
	}
}

// --- (d): a POST that invalidates ---

var flowPost = rfcFlow{
	kind: "post",
	prepare: func(s *rfcSweep, path string) {
		for _, p := range []string{path, path + "/loc"} {
			s.storeOnce(get(p), p, "MISS", "storing "+p)
			if res := s.do(get(p), "hit "+p); res.CacheStatus() != "HIT" {
				s.t.Fatalf("GET %s after storing it: want HIT: %s", p, res)
			}
		}
	},
	request: func(path string) *http.Request { return mkreq(http.MethodPost, path) },
	check: func(s *rfcSweep, path string, res *Result) {
		want := fmt.Sprintf("posted %s version=%d\n", path, s.o.current(path))
		if res.Status != 200 || string(res.Body) != want || res.CacheStatus() != "BYPASS" || res.BackendCalls != 1 ||
			cacheStatusField(res.Header) != "httpcache; fwd=method" || res.Header.Get("Location") != path+"/loc" {
			s.t.Errorf("%s store: POST: want 200 %q BYPASS, Cache-Status %q, with its Location: %s",
				s.store, want, "httpcache; fwd=method", res)
		}
	},
	after: func(s *rfcSweep, path, what string, f rfcFault) {
		posted := s.o.current(path) > 1 // the backend took the write
		for _, p := range []string{path, path + "/loc"} {
			var seen []string
			reported := false // an outdated HIT is reported once per URL
			for i := 1; i <= 3; i++ {
				w := fmt.Sprintf("%s: follow-up GET %s #%d", what, p, i)
				res := s.do(get(p), w)
				seen = append(seen, res.CacheStatus())
				v, err := rfcAnswer(res, p)
				if err != nil {
					s.t.Errorf("%s: %v", w, err)
					break
				}
				cur := s.o.current(p)
				switch res.CacheStatus() {
				case "HIT":
					if res.BackendCalls != 0 {
						s.t.Errorf("%s: HIT with a backend call", w)
					}
					if v != cur && !reported {
						mustHave := f.guestActedOnResponse()
						if p != path {
							mustHave = f.locationRead()
						}
						if mustHave {
							s.t.Errorf("%s: INVALIDATION LOST: HIT of version %d though the backend took the POST (now version %d) "+
								"and the guest was already handling its 200 (host calls: %s | %s)", w, v, cur,
								strings.Join(f.hostCalls[:f.backendAt], " "), strings.Join(f.hostCalls[f.backendAt:], " "))
							reported = true
						} else {
							s.t.Logf("%s: HIT of the pre-POST version %d (current %d): the fault came before the guest could act on the answer "+
								"(host calls: %s; %d before the backend)", w, v, cur, strings.Join(f.hostCalls, " "), f.backendAt)
							reported = true
						}
					}
				case "MISS":
					if res.BackendCalls != 1 || v != cur {
						s.t.Errorf("%s: MISS of version %d (current %d) with %d backend calls", w, v, cur, res.BackendCalls)
					}
					if !posted {
						s.t.Errorf("%s: the POST never reached the backend, yet the entry was gone", w)
					}
				default:
					s.t.Errorf("%s: X-Cache-Status %q: %s", w, res.CacheStatus(), res)
				}
				if d := rfcHeaderDiff(res.Header, rfcHeaders("post", p, v)); d != "" {
					s.t.Errorf("%s: headers differ: %s", w, d)
				}
			}
			if seen[2] != "HIT" {
				s.t.Errorf("%s: follow-ups of %s were %v; the third should be a HIT", what, p, seen)
			}
		}
	},
}

func TestRFCTrapInvalidatingPost(t *testing.T) {
	rfcSweepStores(t, flowPost)
}

// --- (e): stale-while-revalidate ---

// swrFollowUps: right after a refresh flow. UPDATING (the stale version 1, while a lease is held),
// HIT of the latest version, or EXPIRED/MISS fetching the latest version.
func (s *rfcSweep) swrFollowUps(path, what string, requireHit bool) {
	s.t.Helper()
	var seen []string
	for i := 1; i <= 3; i++ {
		w := fmt.Sprintf("%s: follow-up GET %s #%d", what, path, i)
		res := s.do(get(path), w)
		seen = append(seen, res.CacheStatus())
		v, err := rfcAnswer(res, path)
		if err != nil {
			s.t.Errorf("%s: %v", w, err)
			return
		}
		latest := s.o.current(path)
		switch res.CacheStatus() {
		case "UPDATING":
			if requireHit || v != 1 || res.BackendCalls != 0 || !rfcUpdatingStatus.MatchString(cacheStatusField(res.Header)) {
				s.t.Errorf("%s: UPDATING of version %d with %d backend calls (want the stale version 1, no call%s): %s",
					w, v, res.BackendCalls, map[bool]string{true: ", and no lease left after 10 s", false: ""}[requireHit], res)
			}
		case "HIT":
			if v != latest || res.BackendCalls != 0 {
				s.t.Errorf("%s: HIT of version %d (latest %d) with %d backend calls: %s", w, v, latest, res.BackendCalls, res)
			}
		case "EXPIRED", "MISS":
			if v != latest || res.BackendCalls != 1 {
				s.t.Errorf("%s: %s of version %d (latest %d) with %d backend calls: %s", w, res.CacheStatus(), v, latest, res.BackendCalls, res)
			}
		default:
			s.t.Errorf("%s: X-Cache-Status %q: %s", w, res.CacheStatus(), res)
			return
		}
		if d := rfcHeaderDiff(res.Header, rfcHeaders(rfcKind(path), path, v)); d != "" {
			s.t.Errorf("%s: headers differ: %s", w, d)
		}
	}
	if requireHit && seen[2] != "HIT" {
		s.t.Errorf("%s: follow-ups of %s were %v; the third should be a HIT", what, path, seen)
	}
}

// The request that finds the entry stale within stale-while-revalidate, claims the lease and
// refreshes it (EXPIRED, version 2 stored).
var flowRefresher = rfcFlow{
	kind: "swr",
	prepare: func(s *rfcSweep, path string) {
		s.storeOnce(get(path), path, "MISS", "storing "+path)
	},
	request: func(path string) *http.Request { return get(path) },
	check: func(s *rfcSweep, path string, res *Result) {
		v, err := rfcAnswer(res, path)
		if err != nil || v != 2 || res.CacheStatus() != "EXPIRED" || res.BackendCalls != 1 ||
			cacheStatusField(res.Header) != "httpcache; fwd=stale; stored" {
			s.t.Errorf("%s store: the first request for a stale-while-revalidate entry: want EXPIRED version 2, Cache-Status %q; err %v: %s",
				s.store, "httpcache; fwd=stale; stored", err, res)
		}
	},
	after: func(s *rfcSweep, path, what string, f rfcFault) { s.swrFollowUps(path, what, false) },
}

// The UPDATING answer: a refresher claimed the lease and failed (503 no-store: the entry stays
// stale, the lease stays 10 s); the next requests are answered stale.
var flowUpdating = rfcFlow{
	kind: "upd",
	prepare: func(s *rfcSweep, path string) {
		s.storeOnce(get(path), path, "MISS", "storing "+path)
		s.o.setFailing(path, true)
		res := s.do(get(path), "failing refresher of "+path)
		if res.Status != 503 || res.CacheStatus() != "EXPIRED" || res.BackendCalls != 1 {
			s.t.Fatalf("the refresher of %s (backend 503 no-store): want the 503, EXPIRED: %s", path, res)
		}
		s.o.setFailing(path, false)
	},
	request: func(path string) *http.Request { return get(path) },
	check: func(s *rfcSweep, path string, res *Result) {
		v, err := rfcAnswer(res, path)
		if err != nil || v != 1 || res.CacheStatus() != "UPDATING" || res.BackendCalls != 0 ||
			!rfcUpdatingStatus.MatchString(cacheStatusField(res.Header)) {
			s.t.Errorf("%s store: while another request holds the lease: want UPDATING version 1, Cache-Status %s; err %v: %s",
				s.store, rfcUpdatingStatus, err, res)
			return
		}
		if d := rfcHeaderDiff(res.Header, rfcHeaders("upd", path, v)); d != "" {
			s.t.Errorf("%s store: UPDATING headers differ: %s", s.store, d)
		}
	},
	after: func(s *rfcSweep, path, what string, f rfcFault) {
		// Nothing in this flow writes: the lease and the stale entry are still there.
		for i := 1; i <= 2; i++ {
			w := fmt.Sprintf("%s: follow-up GET %s #%d (lease still held)", what, path, i)
			res := s.do(get(path), w)
			v, err := rfcAnswer(res, path)
			if err != nil || v != 1 || res.CacheStatus() != "UPDATING" || res.BackendCalls != 0 {
				s.t.Errorf("%s: want UPDATING of version 1 without a backend call; err %v: %s", w, err, res)
				return
			}
			if d := rfcHeaderDiff(res.Header, rfcHeaders("upd", path, v)); d != "" {
				s.t.Errorf("%s: headers differ: %s", w, d)
			}
		}
	},
}

// Both stores are swept first; then, once every lease has expired (10 s), every entry of both
// sweeps must refresh and hit again.
func TestRFCTrapStaleWhileRevalidate(t *testing.T) {
	oneInstance(t)
	type swept struct {
		s     *rfcSweep
		paths []string
	}
	var all []swept
	var lastLease time.Time
	for _, store := range rfcStoreNames {
		o := newRFCOrigin()
		h := newRFCHost(t, store, o)
		t.Run(store, func(t *testing.T) {
			for _, flow := range []rfcFlow{flowUpdating, flowRefresher} {
				paths := flow.sweep(t, h, o, store)
				all = append(all, swept{&rfcSweep{t: t, h: h, o: o, store: store}, paths})
			}
			lastLease = time.Now()
			instanceNote(t, h)
		})
	}
	time.Sleep(time.Until(lastLease.Add(10500 * time.Millisecond)))
	t.Run("after-leases-expired", func(t *testing.T) {
		for _, sw := range all {
			sw.s.t = t
			for _, p := range sw.paths {
				sw.s.swrFollowUps(p, sw.s.store+" store, 10 s later", true)
			}
		}
	})
}
