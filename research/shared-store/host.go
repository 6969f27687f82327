package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

var ctx = context.Background()

// Host is one wazero runtime with the probe compiled, like one Traefik router's middleware:
// http-wasm-host-go v0.7.0 instantiates WASI once per runtime and every pooled guest with
// moduleConfig.WithName(counter) (handler/middleware.go newGuest).
type Host struct {
	rt    wazero.Runtime
	code  wazero.CompiledModule
	cfg   wazero.ModuleConfig
	count atomic.Uint64
}

// traefikFSConfig mirrors traefik v3.7.10 pkg/plugins/middlewarewasm.go buildMiddleware.
func traefikFSConfig(mounts []string) (wazero.FSConfig, error) {
	fsConfig := wazero.NewFSConfig()
	for _, mount := range mounts {
		withDir := fsConfig.WithDirMount
		prefix, readOnly := strings.CutSuffix(mount, ":ro")
		if readOnly {
			withDir = fsConfig.WithReadOnlyDirMount
		}
		parts := strings.Split(prefix, ":")
		switch {
		case len(parts) == 1:
			fsConfig = withDir(parts[0], parts[0])
		case len(parts) == 2:
			fsConfig = withDir(parts[0], parts[1])
		default:
			return nil, fmt.Errorf("invalid directory %q", mount)
		}
	}
	return fsConfig, nil
}

func newHost(wasm []byte, mounts ...string) *Host {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig())
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	code, err := rt.CompileModule(ctx, wasm)
	must(err)
	cfg := wazero.NewModuleConfig().WithSysWalltime().WithStartFunctions("_start", "_initialize")
	if len(mounts) > 0 {
		fsc, err := traefikFSConfig(mounts)
		must(err)
		cfg = cfg.WithFSConfig(fsc)
	}
	return &Host{rt: rt, code: code, cfg: cfg}
}

func (h *Host) Close() { _ = h.rt.Close(ctx) }

// Inst is one guest instance (one pooled plugin instance in Traefik).
type Inst struct {
	m     api.Module
	in    uint32
	fns   map[string]api.Function
	stack []uint64
}

func (h *Host) inst() *Inst {
	name := strconv.FormatUint(h.count.Add(1), 10)
	m, err := h.rt.InstantiateModule(ctx, h.code, h.cfg.WithName(name))
	must(err)
	i := &Inst{m: m, fns: map[string]api.Function{}, stack: make([]uint64, 8)}
	i.in = uint32(i.call("init", 3))
	return i
}

func (i *Inst) fn(name string) api.Function {
	f, ok := i.fns[name]
	if !ok {
		f = i.m.ExportedFunction(name)
		if f == nil {
			panic("no export " + name)
		}
		i.fns[name] = f
	}
	return f
}

// call runs an export without allocating (CallWithStack) and returns its first result.
func (i *Inst) call(name string, args ...uint64) uint64 {
	f := i.fn(name)
	copy(i.stack, args)
	if err := f.CallWithStack(ctx, i.stack); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	return i.stack[0]
}
func (i *Inst) i32(name string, args ...uint64) int32 { return int32(uint32(i.call(name, args...))) }

// setIn writes b into the guest's input area at offset off (paths at 0, targets at 1024,
// slab name at 2048).
func (i *Inst) setIn(off uint32, b string) uint64 {
	if !i.m.Memory().Write(i.in+off, []byte(b)) {
		panic("setIn")
	}
	return uint64(len(b))
}
func (i *Inst) readIn(n uint32) string {
	b, _ := i.m.Memory().Read(i.in, n)
	return string(b)
}
func (i *Inst) Close() { _ = i.m.Close(ctx) }

// ---- small utilities ------------------------------------------------------------------

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func check(what string, r int32) {
	if r < 0 {
		panic(fmt.Sprintf("%s: errno %d (%s)", what, -r, errnoName(-r)))
	}
}

// WASI preview1 errno names for the codes we meet.
func errnoName(e int32) string {
	names := map[int32]string{0: "SUCCESS", 2: "EACCES", 8: "EBADF", 20: "EEXIST", 28: "EINVAL", 29: "EIO",
		31: "EISDIR", 44: "ENOENT", 52: "ENOSYS", 54: "ENOTDIR", 58: "ENOTSUP", 63: "EPERM", 69: "EROFS", 76: "ENOTCAPABLE", 37: "ENAMETOOLONG"}
	if n, ok := names[e]; ok {
		return n
	}
	return "errno" + strconv.Itoa(int(e))
}

// median of repeated measurements of f, which returns (elapsed, ops).
func median(reps int, f func() (time.Duration, int)) float64 {
	v := make([]float64, 0, reps)
	for r := 0; r < reps; r++ {
		d, n := f()
		v = append(v, float64(d.Nanoseconds())/float64(n))
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func timed(f func()) time.Duration {
	t := time.Now()
	f()
	return time.Since(t)
}

func openFDs() int {
	e, err := os.ReadDir("/proc/self/fd")
	must(err)
	return len(e)
}

func us(ns float64) string { return fmt.Sprintf("%.2f", ns/1000) }

type table struct {
	title string
	head  []string
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }
func (t *table) print() {
	fmt.Printf("\n### %s\n\n| %s |\n|%s\n", t.title, strings.Join(t.head, " | "), strings.Repeat(" --- |", len(t.head)))
	for _, r := range t.rows {
		fmt.Printf("| %s |\n", strings.Join(r, " | "))
	}
}
