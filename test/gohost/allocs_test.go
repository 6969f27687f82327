package gohost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/http-wasm/http-wasm-host-go/handler"
	nethttp "github.com/http-wasm/http-wasm-host-go/handler/nethttp"
	"github.com/tetratelabs/wazero"
	wazeroapi "github.com/tetratelabs/wazero/api"
)

// rtraceWasmPath is the release build compiled with ASC_RTRACE=1 (npm run build makes both):
// the guest's allocator then reports every allocation to a host module named "rtrace".
const rtraceWasmPath = "../../build/plugin.rtrace.wasm"

// guestAllocations counts what the guest's own allocator does, per request kind.
type guestAllocations struct{ allocs, frees, moves atomic.Int64 }

func (g *guestAllocations) instantiate(ctx context.Context, rt wazero.Runtime) error {
	count := func(c *atomic.Int64) wazeroapi.GoFunction {
		return wazeroapi.GoFunc(func(ctx context.Context, stack []uint64) { c.Add(1) })
	}
	ignore := wazeroapi.GoFunc(func(ctx context.Context, stack []uint64) {})
	i32 := wazeroapi.ValueTypeI32
	b := rt.NewHostModuleBuilder("rtrace")
	b.NewFunctionBuilder().WithGoFunction(count(&g.allocs), []wazeroapi.ValueType{i32}, nil).Export("onalloc")
	b.NewFunctionBuilder().WithGoFunction(count(&g.frees), []wazeroapi.ValueType{i32}, nil).Export("onfree")
	b.NewFunctionBuilder().WithGoFunction(count(&g.moves), []wazeroapi.ValueType{i32, i32}, nil).Export("onmove")
	b.NewFunctionBuilder().WithGoFunction(count(&g.moves), []wazeroapi.ValueType{i32, i32}, nil).Export("onresize")
	b.NewFunctionBuilder().WithGoFunction(ignore, []wazeroapi.ValueType{i32}, nil).Export("oninit")
	// onvisit and onstore must hand their first argument back (a pointer the GC visits or stores).
	b.NewFunctionBuilder().WithGoFunction(wazeroapi.GoFunc(func(ctx context.Context, stack []uint64) {}),
		[]wazeroapi.ValueType{i32}, []wazeroapi.ValueType{i32}).Export("onvisit")
	b.NewFunctionBuilder().WithGoFunction(wazeroapi.GoFunc(func(ctx context.Context, stack []uint64) {}),
		[]wazeroapi.ValueType{i32, i32, i32, i32}, []wazeroapi.ValueType{i32}).Export("onstore")
	_, err := b.Instantiate(ctx)
	return err
}

// The hit path allocates nothing in the guest: after warm-up, answering from the store uses
// only buffers that already exist (design goal; any allocation here costs on every hit).
func TestHitPathAllocatesNothingInTheGuest(t *testing.T) {
	countHitAllocations(t, nil, Settings{})
}

// The same with the shared store: hits checked against the file, answered from the memory front.
func TestSharedHitPathAllocatesNothingInTheGuest(t *testing.T) {
	config := []byte(`{"store":{"shared":{"path":"/cache","limit":"4Mi"}},"maxObjectSize":"64Ki"}`)
	countHitAllocations(t, config, Settings{Mounts: []string{t.TempDir() + ":/cache"}})
}

// rtraceMiddleware runs the rtrace build at path as Traefik would, counting its allocations.
func rtraceMiddleware(t *testing.T, path string, config []byte, settings Settings) (nethttp.Middleware, *guestAllocations) {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s missing (run npm run build): %v", path, err)
	}
	counts := &guestAllocations{}
	moduleConfig, err := TraefikModuleConfig(settings, nil)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := nethttp.NewMiddleware(context.Background(), wasm, handler.GuestConfig(config),
		handler.ModuleConfig(moduleConfig),
		handler.Runtime(func(ctx context.Context) (wazero.Runtime, error) {
			rt := wazero.NewRuntime(ctx)
			return rt, counts.instantiate(ctx, rt)
		}))
	if err != nil {
		t.Fatal(err)
	}
	return mw, counts
}

func countHitAllocations(t *testing.T, config []byte, settings Settings) {
	oneInstance(t)
	ctx := context.Background()
	mw, counts := rtraceMiddleware(t, rtraceWasmPath, config, settings)
	defer mw.Close(ctx)
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Write([]byte(`{"product":12345,"stock":42}`))
	})
	h := mw.NewHandler(ctx, backend)
	serve := func(target string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	targets := []string{"/stock?productId=12345&warehouse=3", "/products?category=electronics"}
	for _, target := range targets { // miss, then a first hit that may size buffers
		serve(target)
		serve(target, "Accept", "application/json")
	}
	before := counts.allocs.Load()
	movesBefore := counts.moves.Load()
	const hits = 200
	for i := 0; i < hits; i++ {
		w := serve(targets[i%len(targets)], "Accept", "application/json", "Cache-Control", "max-age=600")
		if got := w.Header().Get("X-Cache-Status"); got != "HIT" {
			t.Fatalf("request %d: X-Cache-Status %q, want HIT", i, got)
		}
	}
	if n := counts.allocs.Load() - before; n != 0 {
		t.Errorf("%d guest allocations over %d hits, want 0", n, hits)
	}
	if n := counts.moves.Load() - movesBefore; n != 0 {
		t.Errorf("%d guest reallocations over %d hits, want 0", n, hits)
	}
	t.Logf("guest allocations: %d before the measured hits, 0 per hit", before)
}
