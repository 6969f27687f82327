package gohost

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/http-wasm/http-wasm-host-go/handler"
	nethttp "github.com/http-wasm/http-wasm-host-go/handler/nethttp"
	"github.com/tetratelabs/wazero"
	wazeroapi "github.com/tetratelabs/wazero/api"
)

// What a request costs when it lands on a new instance (the pool dropped the idle ones after two
// GCs), against a request on a warm instance: the tail of a hit's latency under load is made of
// these. Run with -v to see the figures (COLD_INSTANCE lines); the test checks only that a cold
// instance answers right.
//
//	go -C test/gohost test -count=1 -v -run TestColdInstanceCost ./...
func TestColdInstanceCost(t *testing.T) {
	const rounds = 40
	body := make([]byte, 1024)
	backend := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}
	dir := t.TempDir()
	cases := []struct {
		name   string
		config string
		mounts []string
	}{
		{"memory (default 64Mi)", `{"maxTtl":"1h"}`, nil},
		{"memory 16Mi", `{"maxTtl":"1h","store":{"memory":{"limit":"16Mi"}}}`, nil},
		{"shared (tmpfs-like dir)", `{"maxTtl":"1h","store":{"shared":{"path":"/cache","limit":"256Mi"}}}`, []string{dir + ":/cache"}},
	}
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	for _, c := range cases {
		var opts []Option
		if c.mounts != nil {
			opts = append(opts, WithMounts(c.mounts...))
		}
		h, err := New(context.Background(), wasmOrFail(t), []byte(c.config), NewBackend(backend), opts...)
		if err != nil {
			t.Fatal(err)
		}
		r := get("/fixed/1024")
		w := &benchWriter{h: http.Header{}}
		h.Handler.ServeHTTP(w, r) // store it (for the shared store: in the file)
		var cold, warm []time.Duration
		statuses := map[string]int{}
		var mem []uint32
		for i := 0; i < rounds; i++ {
			dropInstances()
			w.reset()
			t0 := time.Now()
			h.Handler.ServeHTTP(w, r)
			cold = append(cold, time.Since(t0))
			statuses[w.h.Get("X-Cache-Status")]++
			if w.n != len(body) {
				t.Fatalf("%s: cold answer of %d bytes", c.name, w.n)
			}
			w.reset()
			t0 = time.Now()
			h.Handler.ServeHTTP(w, r)
			warm = append(warm, time.Since(t0))
			mem = append(mem, h.MemorySizes()...)
		}
		created, _ := h.Instances()
		maxMem := uint32(0)
		for _, m := range mem {
			if m > maxMem {
				maxMem = m
			}
		}
		t.Logf("COLD_INSTANCE %-24s cold median %7.1f µs p90 %7.1f µs, warm median %5.1f µs; cold answers %v; %d instances created; instance memory %d KiB",
			c.name, coldUS(coldMedian(cold)), coldUS(coldPct(cold, 0.9)), coldUS(coldMedian(warm)), statuses, created, maxMem/1024)
		h.Close()
	}
	// The fixed-answer guest (the bench's ceiling), when it is built.
	if ceiling, err := os.ReadFile("../../build/bench/ceiling.wasm"); err == nil {
		mw, err := nethttp.NewMiddleware(context.Background(), ceiling, handler.ModuleConfig(
			wazero.NewModuleConfig().WithSysWalltime().WithStartFunctions("_start", "_initialize")))
		if err != nil {
			t.Fatal(err)
		}
		hh := mw.NewHandler(context.Background(), http.HandlerFunc(backend))
		r := get("/fixed/1024")
		w := &benchWriter{h: http.Header{}}
		var cold, warm []time.Duration
		for i := 0; i < rounds; i++ {
			dropInstances()
			w.reset()
			t0 := time.Now()
			hh.ServeHTTP(w, r)
			cold = append(cold, time.Since(t0))
			w.reset()
			t0 = time.Now()
			hh.ServeHTTP(w, r)
			warm = append(warm, time.Since(t0))
		}
		t.Logf("COLD_INSTANCE %-24s cold median %7.1f µs p90 %7.1f µs, warm median %5.1f µs", "ceiling guest", coldUS(coldMedian(cold)), coldUS(coldPct(cold, 0.9)), coldUS(coldMedian(warm)))
		_ = mw.Close(context.Background())
	}
}

func coldUS(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

func coldMedian(ds []time.Duration) time.Duration { return coldPct(ds, 0.5) }

func coldPct(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// timingRuntime instantiates without start functions, then runs _start itself, timing both.
type timingRuntime struct {
	wazero.Runtime
	inst, start       []time.Duration
	memInst, memStart uint32
}

func (r *timingRuntime) InstantiateModule(ctx context.Context, c wazero.CompiledModule, cfg wazero.ModuleConfig) (wazeroapi.Module, error) {
	t0 := time.Now()
	m, err := r.Runtime.InstantiateModule(ctx, c, cfg.WithStartFunctions())
	if err != nil {
		return m, err
	}
	r.memInst = m.Memory().Size()
	t1 := time.Now()
	if f := m.ExportedFunction("_start"); f != nil {
		if _, err := f.Call(ctx); err != nil {
			return nil, err
		}
	}
	r.memStart = m.Memory().Size()
	r.inst = append(r.inst, t1.Sub(t0))
	r.start = append(r.start, time.Since(t1))
	return m, nil
}

// Where a cold instance's time goes: wazero's instantiation, the guest's _start, the first request
// (a miss and its store), for the plugin with a few memory limits and for the fixed-answer guest.
// A measurement, not a check: it runs only when asked.
//
//	HTTPCACHE_COLD=1 go -C test/gohost test -count=1 -v -run TestColdInstanceBreakdown ./...
//	COLD_CONFIGS='{"store":{"memory":{"limit":"4Mi"}}}|{}' (configs to try), COLD_GC_OFF=1 (no Go GC but ours)
func TestColdInstanceBreakdown(t *testing.T) {
	if os.Getenv("HTTPCACHE_COLD") == "" {
		t.Skip("a measurement: set HTTPCACHE_COLD=1 to run it")
	}
	if os.Getenv("COLD_GC_OFF") != "" {
		noGC(t) // only the explicit GCs: the guest's own cost, without Go's GC assists
	}
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	body := make([]byte, 1024)
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	wasms := map[string]string{"plugin": WasmPath(), "ceiling": "../../build/bench/ceiling.wasm"}
	for _, name := range []string{"plugin", "ceiling"} {
		wasm, err := os.ReadFile(wasms[name])
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		configs := []string{`{"maxTtl":"1h"}`, `{"maxTtl":"1h","store":{"memory":{"limit":"1Mi"}},"maxObjectSize":"64Ki"}`,
			`{"maxTtl":"1h","store":{"memory":{"limit":"4Mi"}}}`, `{"maxTtl":"1h","maxObjectSize":"64Ki"}`,
			`{"maxTtl":"1h","store":{"memory":{"limit":"16Mi"}}}`}
		if v := os.Getenv("COLD_CONFIGS"); v != "" {
			configs = strings.Split(v, "|")
		}
		for _, config := range configs {
			tr := &timingRuntime{}
			mw, err := nethttp.NewMiddleware(context.Background(), wasm,
				handler.ModuleConfig(wazero.NewModuleConfig().WithSysWalltime().WithStartFunctions("_start", "_initialize")),
				handler.GuestConfig([]byte(config)),
				handler.Runtime(func(ctx context.Context) (wazero.Runtime, error) {
					tr.Runtime = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilationCache))
					return tr, nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			hh := mw.NewHandler(context.Background(), backend)
			w := &benchWriter{h: http.Header{}}
			r := get("/fixed/1024")
			var first []time.Duration
			for i := 0; i < 30; i++ {
				dropInstances()
				n := len(tr.inst)
				w.reset()
				t0 := time.Now()
				hh.ServeHTTP(w, r)
				d := time.Since(t0)
				if len(tr.inst) > n {
					first = append(first, d-tr.inst[len(tr.inst)-1]-tr.start[len(tr.start)-1])
				}
			}
			t.Logf("COLD_BREAKDOWN %-7s %-70s instantiate %6.1f µs (min %6.1f), _start %6.1f µs (min %6.1f), first request %6.1f µs (min %6.1f); medians of %d instances; memory %d KiB at instantiation, %d after _start",
				name, config, coldUS(coldMedian(tr.inst)), coldUS(coldPct(tr.inst, 0)), coldUS(coldMedian(tr.start)), coldUS(coldPct(tr.start, 0)),
				coldUS(coldMedian(first)), coldUS(coldPct(first, 0)), len(tr.inst), tr.memInst/1024, tr.memStart/1024)
			_ = mw.Close(context.Background())
			if name == "ceiling" {
				break
			}
		}
	}
}

// dropInstances empties the pool (two GCs drop idle sync.Pool entries) and gives the finalizers
// that close the dropped modules time to run, so their cost is not timed with the next request.
func dropInstances() {
	runtime.GC()
	runtime.GC()
	runtime.GC()
	time.Sleep(5 * time.Millisecond)
}

// The memory store's index starts small (4 096 slots) and doubles as entries come: through every
// doubling of a 16Mi store (4 096 -> 16 384 slots) and past its entry cap, every answer is
// right, every key still in the store hits, the instance stays within the limit, and a new
// instance's first store leaves it far below the old full-size index plus a segment.
func TestMemoryIndexGrowsWithEntries(t *testing.T) {
	oneInstance(t)
	const (
		limit    = 16 << 20
		size     = 200
		keys     = 14000 // the final index holds 12 288 entries
		overhead = 2 << 20
	)
	h := newHost(t, []byte(`{"maxTtl":"1h","store":{"memory":{"limit":"16Mi"}}}`), func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Path[len("/g/"):])
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(storeBody(i, size))
	})
	first := h.Do(get("/g/0"))
	if first.CacheStatus() != "MISS" {
		t.Fatalf("first: %s", first)
	}
	if sizes := h.MemorySizes(); len(sizes) != 1 || sizes[0] > 1536<<10 {
		t.Errorf("after the first store: instance memory %v, want one instance under 1.5 MiB (index 64 KiB + one segment)", sizes)
	}
	check := func(i int, want string) {
		t.Helper()
		path := "/g/" + strconv.Itoa(i)
		res := h.Do(get(path))
		if res.Status != 200 || string(res.Body) != string(storeBody(i, size)) || res.CacheStatus() != want {
			t.Fatalf("GET %s: want a right %s, got %s", path, want, res)
		}
	}
	check(0, "HIT")
	for i := 1; i < keys; i++ {
		check(i, "MISS")
		// Across each doubling (3 072, 6 144 entries), every key stored so far still hits.
		if i == 3071 || i == 3072 || i == 3073 || i == 6143 || i == 6145 {
			for j := 0; j <= i; j++ {
				check(j, "HIT")
			}
		}
	}
	// Past the cap the oldest go: the newest 12 000 all hit.
	for i := keys - 12000; i < keys; i++ {
		check(i, "HIT")
	}
	for _, m := range h.MemorySizes() {
		if m > limit+overhead {
			t.Errorf("instance memory %d KiB, want at most %d KiB", m>>10, (limit+overhead)>>10)
		}
	}
}
