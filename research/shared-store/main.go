// Command shared-store measures what a shared on-disk store for the traefik-httpcache guest can
// rely on in wazero v1.8.0 (the WASI host of Traefik v3.1.6–v3.7.x), and prototypes two designs.
// See README.md for how to run it and for the findings.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

var (
	wasmPath = flag.String("wasm", "build/probe.wasm", "probe guest (see README for the asc command)")
	fsList   = flag.String("fs", "/dev/shm,"+os.TempDir(), "comma-separated parent directories to test (tmpfs, disk)")
	stressD  = flag.Duration("stress", 1500*time.Millisecond, "duration of each stress test")
	reps     = flag.Int("reps", 7, "repetitions per micro-benchmark (the median is reported)")
	only     = flag.String("only", "", "run only sections containing this letter set: p(reopen) m(icro) f(d lifecycle) s(tress) d(esigns)")
)

func want(s string) bool { return *only == "" || strings.Contains(*only, s) }

func main() {
	flag.Parse()
	wasm, err := os.ReadFile(*wasmPath)
	must(err)
	fmt.Printf("# shared-store measurements\n\n%s, %s/%s, GOMAXPROCS=%d, %d CPUs, wazero v1.8.0 (compiler), %s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), time.Now().Format(time.RFC3339))
	checkHash(wasm)
	if want("p") {
		preopens(wasm)
	}
	if want("f") {
		fdLifecycle(wasm)
	}
	for _, parent := range strings.Split(*fsList, ",") {
		dir, err := os.MkdirTemp(parent, "shared-store-")
		must(err)
		fsType := fsName(dir)
		fmt.Printf("\n## filesystem: %s (%s)\n", parent, fsType)
		if want("m") {
			micro(wasm, dir)
		}
		if want("s") {
			stress(wasm, dir)
		}
		if want("d") {
			designs(wasm, dir)
		}
		must(os.RemoveAll(dir))
	}
}

// checkHash verifies the guest's xxh64 against cespare/xxhash (the checksum of both prototypes).
func checkHash(wasm []byte) {
	h := newHost(wasm)
	defer h.Close()
	i := h.inst()
	buf := uint32(i.call("buf_ptr"))
	for _, n := range []int{0, 1, 3, 4, 7, 8, 31, 32, 33, 100, 1000, 65536 + 13} {
		b := make([]byte, n)
		for k := range b {
			b[k] = byte(k*7 + n)
		}
		i.m.Memory().Write(buf, b)
		if got := i.call("xxh64", uint64(buf), uint64(n)); got != xxhash.Sum64(b) {
			panic(fmt.Sprintf("guest xxh64 wrong for len %d", n))
		}
	}
}

func fsName(dir string) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "?"
	}
	best, typ := "", "?"
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 10 {
			continue
		}
		mp := f[4]
		for k, x := range f {
			if x == "-" && k+1 < len(f) {
				if strings.HasPrefix(dir, mp) && len(mp) > len(best) {
					best, typ = mp, f[k+1]
				}
			}
		}
	}
	return typ
}

// ---- 1. preopens --------------------------------------------------------------------

func preopens(wasm []byte) {
	a, _ := os.MkdirTemp("", "pre-a-")
	b, _ := os.MkdirTemp("", "pre-b-")
	file := filepath.Join(a, "plain-file")
	must(os.WriteFile(file, []byte("x"), 0o644))
	defer os.RemoveAll(a)
	defer os.RemoveAll(b)
	t := &table{title: "1. Preopened directories as the guest sees them (settings.mounts → fd_prestat_get / fd_prestat_dir_name)",
		head: []string{"settings.mounts", "fd 3", "fd 4", "fd 5", "write open on fd 3"}}
	cases := [][]string{
		{a + ":/cache"},
		{a},
		{a + ":/cache/"},
		{a + ":cache"},
		{a + ":/"},
		{a + ":/cache", b + ":/data:ro"},
		{a + ":/data:ro"},
		{a + ":/cache", b + ":/cache"},
		{"/nonexistent-dir:/cache"},
		{"/nonexistent-dir:/missing", a + ":/cache"},
		{file + ":/cache"},
		{},
	}
	for _, mounts := range cases {
		h := newHost(wasm, mounts...)
		i := h.inst()
		row := []string{"`" + strings.ReplaceAll(strings.Join(mounts, ", "), os.TempDir(), "$TMP") + "`"}
		if len(mounts) == 0 {
			row[0] = "(none)"
		}
		for fd := uint64(3); fd <= 5; fd++ {
			r := i.call("prestat", fd)
			e, n := int32(r>>32), uint32(r)
			if e != 0 {
				row = append(row, errnoName(e))
				continue
			}
			if ne := i.i32("prestat_name", fd, uint64(n)); ne != 0 {
				row = append(row, "name: "+errnoName(ne))
				continue
			}
			row = append(row, fmt.Sprintf("`%q`", i.readIn(n)))
		}
		// Try creating a file through fd 3 (O_CREAT, rights read|write).
		l := i.setIn(0, "probe-write")
		fd := i.i32("open_path", l, 1, 66, 0)
		if fd >= 0 {
			row = append(row, fmt.Sprintf("ok (fd %d)", fd))
			i.call("close_fd", uint64(fd))
			i.call("unlink", l)
		} else {
			row = append(row, errnoName(-fd))
		}
		t.add(row...)
		h.Close()
	}
	t.print()

	// Separate fd tables: two instances of one runtime open a file each.
	h := newHost(wasm, a+":/cache")
	defer h.Close()
	i1, i2 := h.inst(), h.inst()
	l := i1.setIn(0, "plain-file")
	i2.setIn(0, "plain-file")
	f1, f2 := i1.i32("open_path", l, 0, 2, 0), i2.i32("open_path", l, 0, 2, 0)
	f1b := i1.i32("open_path", l, 0, 2, 0)
	fmt.Printf("\nTwo instances of one runtime open the same file: instance 1 gets fd %d then %d, instance 2 gets fd %d "+
		"(each instance has its own fd table; an fd number means nothing in another instance).\n", f1, f1b, f2)
}

// ---- 2b. fd lifecycle ------------------------------------------------------------------

func fdLifecycle(wasm []byte) {
	dir, _ := os.MkdirTemp("", "fdlife-")
	defer os.RemoveAll(dir)
	must(os.WriteFile(filepath.Join(dir, "slab"), make([]byte, 4096), 0o600))
	const n = 50
	fmt.Printf("\n### 2b. An fd kept in a guest global: what happens when the instance goes away (%d instances)\n\n", n)
	h := newHost(wasm, dir+":/cache")
	defer h.Close()
	openOne := func() *Inst {
		i := h.inst()
		l := i.setIn(2048, "slab")
		check("b_open", i.i32("b_open", l, 1, 4096, 4096, 0))
		return i
	}
	base := openFDs()
	insts := make([]*Inst, n)
	for k := range insts {
		insts[k] = openOne()
	}
	held := openFDs() - base
	for _, i := range insts {
		i.Close()
	}
	afterClose := openFDs() - base
	fmt.Printf("- explicit module Close: %d host fds held while open, %d after Close (wazero's FSContext.Close closes every fd of the instance)\n", held, afterClose)

	// Dropped without Close and without a finalizer: the runtime's store still references the module.
	for k := 0; k < n; k++ {
		openOne()
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	leaked := openFDs() - base
	fmt.Printf("- instance dropped with no Close (no finalizer), after 2 GCs: %d host fds still open (the runtime keeps the module alive until Runtime.Close)\n", leaked)
	// Dropped the way http-wasm-host-go v0.7.0 drops pooled guests: a finalizer that closes the module.
	base2 := openFDs()
	for k := 0; k < n; k++ {
		i := openOne()
		w := &struct{ i *Inst }{i}
		runtime.SetFinalizer(w, func(w *struct{ i *Inst }) { w.i.Close() })
	}
	before := openFDs() - base2
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	fmt.Printf("- dropped like http-wasm-host-go's sync.Pool guests (runtime.SetFinalizer → module Close): %d fds still open before the forced GCs (GCs during creation already closed some), %d after 2–3 GCs\n",
		before, openFDs()-base2)
	h.Close()
	fmt.Printf("- Runtime.Close (what Traefik's middleware finalizer does on reload): %d fds left of the leaked %d\n", openFDs()-base, leaked)
}
