package gohost

// The RFC 5861 / RFC 9111 §4.4 flows across many instances of the shared store:
//
//   - stale-while-revalidate: 64 requests at once, on 64 instances, for a stale entry
//     (max-age=1, stale-while-revalidate=30) with a backend that takes 200 ms: one request
//     refreshes (the lease in the file), the 63 others are answered UPDATING from the stale entry;
//   - a POST through one instance invalidates an entry that other instances (of this middleware and
//     of another on the same file) hold in their memory fronts: the next GET on any instance
//     reaches the backend.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRFCSharedStaleWhileRevalidate64Instances(t *testing.T) {
	noGC(t) // keep the 64 instances pooled
	const n, reps = 64, 20
	o := newOrigin(func(string) int { return 2 << 10 })
	o.cacheCtl = "max-age=1, stale-while-revalidate=30"
	h := newHostWith(t, sharedConfig("64Mi", "64Ki", ""), o.Backend, mountOf(t.TempDir()))
	spawnInstances(t, h, o, n)

	keys := make([]string, reps)
	for i := range keys {
		keys[i] = fmt.Sprintf("/swr64/%d", i)
		if res := h.Do(get(keys[i])); res.CacheStatus() != "MISS" {
			t.Fatalf("storing %s: %s", keys[i], res)
		}
	}
	stored := time.Now()
	// The memory fronts of many instances hold version 1 (HITs while it is fresh).
	var bad problems
	parallel(n, func(int) {
		for _, k := range keys {
			res := h.Do(get(k))
			if v, err := o.check(k, res, false); err != nil || v != 1 || res.CacheStatus() != "HIT" {
				bad.add("warm-up HIT %s: version %d, err %v: %s", k, v, err, res)
			}
		}
	})
	bad.report(t, "warm-up")
	if time.Since(stored) > 900*time.Millisecond {
		t.Logf("note: the warm-up took %v; some warm-up requests may have found the entries stale", time.Since(stored))
	}
	time.Sleep(time.Until(stored.Add(1500 * time.Millisecond))) // max-age=1: stale now, well within the window

	callsDist := map[int]int{} // backend calls per burst -> bursts
	statusTotals := map[string]int{}
	var perRep []string
	for rep, k := range keys {
		v2 := o.bump(k) // what a refresh fetches
		o.mu.Lock()
		o.delay = func() time.Duration { return 200 * time.Millisecond }
		o.mu.Unlock()
		before := o.callsFor(k)
		var mu sync.Mutex
		counts := map[string]int{}
		rfcBurst(n, func(int) {
			res := h.Do(get(k))
			v, err := o.check(k, res, false)
			mu.Lock()
			counts[res.CacheStatus()]++
			mu.Unlock()
			if err != nil {
				bad.add("burst %d: %v", rep, err)
				return
			}
			switch res.CacheStatus() {
			case "UPDATING":
				if v != 1 || !rfcUpdatingStatus.MatchString(cacheStatusField(res.Header)) {
					bad.add("burst %d: UPDATING of version %d (want the stale 1), Cache-Status %q", rep, v, cacheStatusField(res.Header))
				}
			case "EXPIRED", "HIT", "MISS":
				if v != v2 {
					bad.add("burst %d: %s of version %d, want the refreshed %d", rep, res.CacheStatus(), v, v2)
				}
			default:
				bad.add("burst %d: X-Cache-Status %q: %s", rep, res.CacheStatus(), res)
			}
		})
		o.mu.Lock()
		o.delay = nil
		o.mu.Unlock()
		calls := o.callsFor(k) - before
		callsDist[calls]++
		for s, c := range counts {
			statusTotals[s] += c
		}
		perRep = append(perRep, fmt.Sprintf("%d:%s", calls, statusSummary(counts)))
		// The lease is claimed under its bucket's lock: exactly one refresher, in any instance.
		if calls != 1 {
			t.Errorf("burst %d (%s): %d backend calls for one stale entry, want 1: %v", rep, k, calls, counts)
		}
		if counts["UPDATING"] != n-1 {
			t.Errorf("burst %d (%s): only %d UPDATING answers of %d: %v", rep, k, counts["UPDATING"], n, counts)
		}
		// Afterwards every instance hits the refreshed version.
		if res := h.Do(get(k)); res.CacheStatus() != "HIT" {
			bad.add("burst %d: the GET after it: want a HIT of version %d: %s", rep, v2, res)
		} else if v, err := o.check(k, res, false); err != nil || v != v2 {
			bad.add("burst %d: the GET after it: version %d, err %v", rep, v, err)
		}
	}
	bad.report(t, "stale-while-revalidate bursts")
	t.Logf("SWR64 backend calls per burst of %d (calls -> bursts): %v; X-Cache-Status totals over %d bursts: %v", n, callsDist, reps, statusTotals)
	t.Logf("SWR64 per burst (calls:statuses): %s", strings.Join(perRep, " "))
	created, live := h.Instances()
	t.Logf("instances: created %d, live %d", created, live)
}

func statusSummary(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func TestRFCSharedPostInvalidatesOtherInstancesFronts(t *testing.T) {
	noGC(t) // keep the warmed instances (and their memory fronts) pooled
	dir := t.TempDir()
	o := newOrigin(func(string) int { return 4 << 10 })
	cfg := sharedConfig("16Mi", "64Ki", "")
	a := newHostWith(t, cfg, o.Backend, mountOf(dir))
	b := newHostWith(t, cfg, o.Backend, mountOf(dir)) // another router on the same file
	hosts := []*Host{a, b}
	spawnInstances(t, a, o, 32)
	spawnInstances(t, b, o, 32)

	var bad problems
	keys := []string{"/inv/0", "/inv/1", "/inv/2", "/inv/3"}
	for _, k := range keys {
		if res := a.Do(get(k)); res.CacheStatus() != "MISS" {
			t.Fatalf("storing %s: %s", k, res)
		}
	}
	parallel(64, func(i int) {
		for r := 0; r < 4; r++ {
			for _, k := range keys {
				res := hosts[i%2].Do(get(k))
				if v, err := o.check(k, res, false); err != nil || v != 1 || res.CacheStatus() != "HIT" {
					bad.add("warm HIT %s: version %d, err %v: %s", k, v, err, res)
				}
			}
		}
	})
	bad.report(t, "warm-up")

	for _, k := range keys {
		o.bump(k) // version 2 at the origin; every front still holds version 1
	}
	// POST /inv/0 through a, /inv/1 through b, /inv/2 through a; /inv/3 is left alone.
	for i, k := range keys[:3] {
		res := hosts[i%2].Do(mkreq("POST", k))
		if res.Trapped() || res.Status != 200 || res.CacheStatus() != "BYPASS" || cacheStatusField(res.Header) != "httpcache; fwd=method" ||
			res.BackendCalls != 1 {
			t.Fatalf("POST %s: want the backend's 200, BYPASS fwd=method: %s", k, res)
		}
	}

	// /inv/0: the next GET, through the other middleware, reaches the backend; then all hit version 2.
	before := o.callsFor(keys[0])
	res := b.Do(get(keys[0]))
	if v, err := o.check(keys[0], res, false); err != nil || v != 2 || res.CacheStatus() != "MISS" || o.callsFor(keys[0]) != before+1 {
		bad.add("first GET %s after the POST (other router): want a MISS of version 2 from the backend; version %d, err %v, backend calls %d: %s",
			keys[0], v, err, o.callsFor(keys[0])-before, res)
	}
	// /inv/1: sequential GETs on whatever pooled instances: none may answer version 1; the first
	// reaches the backend.
	before = o.callsFor(keys[1])
	for i := 0; i < 16; i++ {
		res := hosts[i%2].Do(get(keys[1]))
		if v, err := o.check(keys[1], res, false); err != nil || v != 2 {
			bad.add("sequential GET %s #%d after the POST: INVALIDATED VERSION SERVED? version %d, err %v: %s", keys[1], i, v, err, res)
		}
		if i == 0 && o.callsFor(keys[1]) != before+1 {
			bad.add("the first GET %s after the POST did not reach the backend: %s", keys[1], res)
		}
	}
	// /inv/2: a concurrent storm straight after the POST over both routers' instances.
	before = o.callsFor(keys[2])
	rfcBurst(64, func(i int) {
		res := hosts[i%2].Do(get(keys[2]))
		if v, err := o.check(keys[2], res, false); err != nil || v != 2 {
			bad.add("storm GET %s after the POST: INVALIDATED VERSION SERVED? version %d, err %v (X-Cache-Status %q)", keys[2], v, err, res.CacheStatus())
		}
	})
	if d := o.callsFor(keys[2]) - before; d < 1 {
		bad.add("storm GET %s after the POST: no backend call", keys[2])
	}
	bad.report(t, "after the POSTs")

	// Settled: every instance hits version 2 of the posted URLs, version 1 of the other.
	callsBefore := map[string]int{}
	for _, k := range keys {
		callsBefore[k] = o.callsFor(k)
	}
	parallel(64, func(i int) {
		for r := 0; r < 2; r++ {
			for j, k := range keys {
				want := 2
				if j == 3 {
					want = 1 // not posted: its version 1 is still fresh (max-age=300)
				}
				res := hosts[i%2].Do(get(k))
				if v, err := o.check(k, res, false); err != nil || v != want || res.CacheStatus() != "HIT" {
					bad.add("GET %s settled: version %d (want %d), X-Cache-Status %q, err %v", k, v, want, res.CacheStatus(), err)
				}
			}
		}
	})
	for _, k := range keys {
		if d := o.callsFor(k) - callsBefore[k]; d != 0 {
			bad.add("GET %s settled: %d backend calls, want 0", k, d)
		}
	}
	bad.report(t, "settled")
	if m := o.methodCounts(); m["POST"] != 3 {
		t.Errorf("POSTs reaching the origin: %d, want 3 (%v)", m["POST"], m)
	}
}
