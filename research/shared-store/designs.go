package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	slabSlotSize = 68 << 10 // fits a 64 KiB body + header + key
	slabSlots    = 4096     // 272 MiB slab (sparse until written)
	aReadCap     = 1<<20 + 4096
)

func key(k int) string { return fmt.Sprintf("api.example.com/v1/items/%d?fields=all", k) }

// designs measures the two prototype stores of probe.ts: per-op latency from the host (one export
// call per operation, like one request) and WASI calls per op, then a concurrent stress run.
func designs(wasm []byte, dir string) {
	const K = 1000
	t := &table{title: fmt.Sprintf("4. Prototype stores: µs per operation (median of %d runs over %d keys; includes one host→guest call and xxh64 of the record)", *reps, K),
		head: []string{"design", "op", "1 KiB body", "64 KiB body", "WASI calls"}}

	// ---- A: one file per entry ----
	aDir := filepath.Join(dir, "a")
	must(os.Mkdir(aDir, 0o700))
	ha := newHost(wasm, aDir+":/cache")
	defer ha.Close()
	ia := ha.inst()
	seq := uint64(0)
	perKey := func(i *Inst, f func(k int)) func() (time.Duration, int) {
		return func() (time.Duration, int) {
			return timed(func() {
				for k := 0; k < K; k++ {
					f(k)
				}
			}), K
		}
	}
	row := func(design, op string, calls *uint32, f func(size int) func() (time.Duration, int)) {
		r := []string{design, op}
		var c []string
		for _, size := range []int{1 << 10, 64 << 10} {
			r = append(r, us(median(*reps, f(size))))
			c = append(c, fmt.Sprint(*calls))
		}
		if c[0] == c[1] {
			c = c[:1]
		}
		t.add(append(r, strings.Join(c, " / "))...)
	}
	var calls uint32
	aStore := func(size int) func() (time.Duration, int) {
		return perKey(ia, func(k int) {
			seq++
			l := ia.setIn(0, key(k))
			check("a_store", ia.i32("a_store", l, uint64(size), seq, 1))
			calls = uint32(ia.call("calls"))
		})
	}
	var hits, lookups atomic.Int64
	aLookup := func(miss bool) func(size int) func() (time.Duration, int) {
		return func(size int) func() (time.Duration, int) {
			// make sure the entries have this size
			aStore(size)()
			return perKey(ia, func(k int) {
				kk := key(k)
				if miss {
					kk = "absent/" + kk
				}
				l := ia.setIn(0, kk)
				r := ia.i32("a_lookup", l, aReadCap)
				calls = uint32(ia.call("calls"))
				lookups.Add(1)
				if r > 0 {
					hits.Add(1)
				} else if !miss {
					panic(fmt.Sprintf("A: lookup of stored key gave %d", r))
				}
			})
		}
	}
	row("A file per entry", "store (create tmp, pwrite, close, rename)", &calls, aStore)
	row("A file per entry", "hit (open, pread, close)", &calls, aLookup(false))
	row("A file per entry", "miss (open → ENOENT)", &calls, aLookup(true))
	// sweep: list + stat every entry (what a size bound without an index costs)
	sl := ia.setIn(0, ".")
	var n int32
	sweep := median(*reps, func() (time.Duration, int) {
		return timed(func() { n = ia.i32("a_sweep", sl); check("a_sweep", n) }), 1
	})
	total := int64(ia.call("stat_total"))

	// ---- B: slab ----
	bDir := filepath.Join(dir, "b")
	must(os.Mkdir(bDir, 0o700))
	hb := newHost(wasm, bDir+":/cache")
	defer hb.Close()
	ib := hb.inst()
	bl := ib.setIn(2048, "slab")
	check("b_open", ib.i32("b_open", bl, slabSlots, slabSlotSize, 4096, 1))
	bStore := func(size int) func() (time.Duration, int) {
		return perKey(ib, func(k int) {
			seq++
			l := ib.setIn(0, key(k))
			check("b_store", ib.i32("b_store", l, uint64(size), seq))
			calls = uint32(ib.call("calls"))
		})
	}
	bLookup := func(variant string) func(size int) func() (time.Duration, int) {
		return func(size int) func() (time.Duration, int) {
			bStore(size)()
			return perKey(ib, func(k int) {
				kk := key(k)
				if variant == "miss" {
					kk = "absent/" + kk
				}
				l := ib.setIn(0, kk)
				var r int32
				if variant == "open" {
					r = ib.i32("b_lookup_open", bl, l)
				} else {
					r = ib.i32("b_lookup", l)
				}
				check("b_lookup", r)
				calls = uint32(ib.call("calls"))
			})
		}
	}
	row("B slab, cached fd", "store (one pwrite)", &calls, bStore)
	row("B slab, cached fd", "hit (pread 4 KiB [+ pread rest])", &calls, bLookup("hit"))
	row("B slab, cached fd", "miss (pread 4 KiB, empty or other key)", &calls, bLookup("miss"))
	row("B slab, fd opened per request", "hit (open, pread [+ pread], close)", &calls, bLookup("open"))
	ib.call("b_close")
	check("b_open", ib.i32("b_open", bl, slabSlots, slabSlotSize, slabSlotSize, 0))
	row("B slab, cached fd", "hit, one pread of the whole 68 KiB slot", &calls, bLookup("hit"))
	bHits := 0
	for k := 0; k < K; k++ {
		if ib.i32("b_lookup", ib.setIn(0, key(k))) > 0 {
			bHits++
		}
	}
	t.print()
	fmt.Printf("\nA: sweep of the entry directory (open dir, fd_readdir to the end, path_filestat_get per file): %s µs for %d entries (%d bytes) — %.2f µs per entry.\n",
		us(sweep), n, total, sweep/1000/float64(max(1, n-2)))
	fmt.Printf("B: %d of %d keys hit in a %d-slot direct-mapped slab (the rest lost their slot to a colliding key: eviction by overwrite).\n",
		bHits, K, slabSlots)
	designStress(wasm, dir)
}

// designStress: 8 instances do random stores and lookups on few keys at once; a record is only
// counted as served if its checksum and content check pass.
func designStress(wasm []byte, dir string) {
	t := &table{title: fmt.Sprintf("4b. Prototype stores under concurrency (8 instances, 32 keys, 50%% stores, bodies 1–60 KiB, %v)", *stressD),
		head: []string{"design", "ops", "hits", "misses", "detected corrupt (→ miss)", "served wrong", "errors", "leftovers"}}
	for _, design := range []string{"A", "B"} {
		sub := filepath.Join(dir, "stress-"+design)
		must(os.Mkdir(sub, 0o700))
		h := newHost(wasm, sub+":/cache")
		var ops, hit, miss, corrupt, wrong, errs atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(*stressD)
		for w := 0; w < 8; w++ {
			i := h.inst()
			bl := i.setIn(2048, "slab")
			if design == "B" {
				// 16 slots for 32 keys: different keys fight over the same slot too
				check("b_open", i.i32("b_open", bl, 16, slabSlotSize, 4096, 1))
			}
			wg.Add(1)
			go func(w int, i *Inst) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(w)))
				for s := uint64(1); time.Now().Before(end); s++ {
					l := i.setIn(0, key(rng.Intn(32)))
					var r int32
					if rng.Intn(2) == 0 {
						size := uint64(1024 + rng.Intn(59<<10))
						if design == "A" {
							r = i.i32("a_store", l, size, s, uint64(w))
						} else {
							r = i.i32("b_store", l, size, s)
						}
						if r < 0 {
							errs.Add(1)
						}
					} else {
						if design == "A" {
							r = i.i32("a_lookup", l, aReadCap)
						} else {
							r = i.i32("b_lookup", l)
						}
						switch {
						case r > 0:
							hit.Add(1)
						case r == 0:
							miss.Add(1)
						case r == -1:
							corrupt.Add(1)
						case r == -2:
							wrong.Add(1)
						default:
							errs.Add(1)
						}
					}
					ops.Add(1)
				}
			}(w, i)
		}
		wg.Wait()
		left, _ := os.ReadDir(sub)
		tmp := 0
		for _, e := range left {
			if strings.HasPrefix(e.Name(), "t") {
				tmp++
			}
		}
		h.Close()
		leftovers := fmt.Sprintf("%d tmp files", tmp)
		if design == "B" {
			leftovers = "–"
		}
		name := map[string]string{"A": "A file per entry", "B": "B slab (16 slots)"}[design]
		t.add(name, fmt.Sprint(ops.Load()), fmt.Sprint(hit.Load()), fmt.Sprint(miss.Load()), fmt.Sprint(corrupt.Load()),
			fmt.Sprint(wrong.Load()), fmt.Sprint(errs.Load()), leftovers)
	}
	t.print()
}
