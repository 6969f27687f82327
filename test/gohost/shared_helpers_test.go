package gohost

// Helpers for the shared-store and purge tests (shared_test.go): a versioned origin whose bodies
// name their key and version, hosts that mount a directory like Traefik's settings.mounts, purge
// requests, and concurrency helpers.

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/http-wasm/http-wasm-host-go/api"
)

const (
	// guestCacheDir is the guest side of the settings.mounts entry, and store.shared.path.
	guestCacheDir = "/cache"
	// storeFileName is <cacheName>.cache for the default cacheName (spec: "Store file").
	storeFileName = "httpcache.cache"
	// claimsDirName holds the store's extent claims and bucket locks: empty files, a bounded number.
	claimsDirName = storeFileName + ".claims"
	// maxClaimFiles: CLAIMS_KEPT (512) behind the head, plus claims and locks in flight.
	maxClaimFiles = 512 + 256
	// testPurgeToken is purge.token in the tests that purge.
	testPurgeToken = "test-purge-token-6f1d0c2a"
	// purgeTokenEnv is the variable passed with settings.envs for purge.tokenEnv.
	purgeTokenEnv = "HTTPCACHE_TEST_PURGE_TOKEN"
	testHost      = "api.example.test" // the Host of every request built by mkreq
)

// sharedConfig is a plugin configuration with store.shared on guestCacheDir. extra are more
// top-level JSON members ("" for none), e.g. `"purge":{"token":"..."}`.
func sharedConfig(limit, maxObjectSize, extra string) []byte {
	s := fmt.Sprintf(`{"store":{"shared":{"path":%q,"limit":%q}},"maxObjectSize":%q`, guestCacheDir, limit, maxObjectSize)
	if extra != "" {
		s += "," + extra
	}
	return []byte(s + "}")
}

func purgeTokenConfig() string { return fmt.Sprintf(`"purge":{"token":%q}`, testPurgeToken) }

// mountOf is the settings.mounts entry of a host directory on guestCacheDir.
func mountOf(dir string) Option { return WithMounts(dir + ":" + guestCacheDir) }

// newHostWith is newHost (helpers_test.go) with Traefik plugin settings (mounts, envs), and a
// shared *Backend so that several middlewares (several routers, each its own runtime and pool)
// can front one origin. It fails the test at once if the guest rejected the configuration at
// start-up, which is what a guest without store.shared / purge support does.
func newHostWith(t testing.TB, config []byte, next *Backend, opts ...Option) *Host {
	t.Helper()
	h := newHostAllowingErrors(t, config, next, opts...)
	for _, e := range h.Log.Entries() {
		if e.Level >= api.LogLevelError {
			t.Fatalf("the guest rejected the configuration %s at start-up: %q\n"+
				"(expected until the guest implements store.shared and purge: build it with `npm run build`)", short(config), e.Message)
		}
	}
	return h
}

// newHostAllowingErrors builds the host without judging start-up errors (for configurations that
// must fail), with newHost's cleanup checks.
func newHostAllowingErrors(t testing.TB, config []byte, next *Backend, opts ...Option) *Host {
	t.Helper()
	h, err := New(context.Background(), wasmOrFail(t), config, next, opts...)
	if err != nil {
		t.Fatalf("NewMiddleware with config %s and settings %+v failed (a trap while instantiating?): %v", short(config), opts, err)
	}
	t.Cleanup(func() {
		for _, e := range h.Log.Entries() {
			if e.Level >= api.LogLevelNone || e.Level < api.LogLevelDebug {
				t.Errorf("guest logged at level %d (Traefik: fatal or invalid): %q", e.Level, e.Message)
			}
			if strings.Contains(e.Message, "internal error") {
				t.Errorf("guest logged an internal error (an abort): %q", e.Message)
			}
		}
		if traps := h.Traps(); len(traps) > 0 {
			t.Errorf("%d request(s) trapped in handle_response through the server, first: %s", len(traps), traps[0])
		}
		if s := h.Stderr.String(); s != "" {
			t.Logf("guest stderr (Traefik discards it): %.2000s", s)
		}
		h.Close()
	})
	return h
}

// ---------------------------------------------------------------------------------------------
// The origin: every body names its key and version, so a wrong, stale or mixed body is visible.

// canonicalKey is the path and the query with its parameters sorted by name (stable), as the
// cache key normalises them (the host is the same for every request of these tests).
func canonicalKey(path, rawQuery string) string {
	if rawQuery == "" {
		return path
	}
	params := strings.Split(rawQuery, "&")
	sort.SliceStable(params, func(i, j int) bool {
		ni, _, _ := strings.Cut(params[i], "=")
		nj, _, _ := strings.Cut(params[j], "=")
		return ni < nj
	})
	return path + "?" + strings.Join(params, "&")
}

// makeBody is the body of version v of key: "key=<key> version=<v>\n" then bytes derived from
// key and version, size bytes in all (at least the first line).
func makeBody(key string, v, size int) []byte {
	head := fmt.Sprintf("key=%s version=%d\n", key, v)
	if size < len(head) {
		size = len(head)
	}
	b := make([]byte, size)
	copy(b, head)
	f := fnv.New64a()
	f.Write([]byte(key))
	x := f.Sum64() ^ (uint64(v)+1)*0x9E3779B97F4A7C15
	if x == 0 {
		x = 1
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	for i := len(head); i < size; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = alphabet[x&63]
		if i%80 == 79 {
			b[i] = '\n'
		}
	}
	return b
}

// parseBodyHead reads "key=K version=V" from the first line of a body.
func parseBodyHead(body []byte) (key string, v int, ok bool) {
	line, _, found := strings.Cut(string(body[:min(len(body), 4096)]), "\n")
	if !found {
		return "", 0, false
	}
	k, vs, found := strings.Cut(line, " version=")
	if !found || !strings.HasPrefix(k, "key=") {
		return "", 0, false
	}
	n, err := strconv.Atoi(vs)
	if err != nil {
		return "", 0, false
	}
	return strings.TrimPrefix(k, "key="), n, true
}

// origin is the backend of the shared-store tests. Each key has a current version (1 at first,
// raised by bump); with perCall every call answers a new version (distinct bodies for racing
// writers). Every (key, version) it ever sent is remembered with its size, so any answer can be
// checked byte for byte. Cache-Control: max-age=300 unless cacheControl is set.
type origin struct {
	mu       sync.Mutex
	version  map[string]int
	sent     map[string]map[int]int // key -> version -> size
	calls    map[string]int         // by canonical key
	methods  map[string]int
	sizeOf   func(key string) int
	perCall  bool
	next     int // last version handed out with perCall
	delay    func() time.Duration
	holds    map[string]*barrierBackend // path -> barrier holding requests until n are in flight
	burst    atomic.Pointer[barrierBackend]
	Backend  *Backend
	cacheCtl string
}

func newOrigin(sizeOf func(key string) int) *origin {
	o := &origin{
		version: map[string]int{}, sent: map[string]map[int]int{}, calls: map[string]int{},
		methods: map[string]int{}, sizeOf: sizeOf, holds: map[string]*barrierBackend{},
		cacheCtl: "max-age=300",
	}
	if o.sizeOf == nil {
		o.sizeOf = func(string) int { return 1024 }
	}
	o.Backend = NewBackend(o.serve)
	return o
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/burst") {
		if b := o.burst.Load(); b != nil {
			if b.inflight.Add(1) >= b.n {
				b.once.Do(func() { close(b.release) })
			}
			select {
			case <-b.release:
			case <-time.After(10 * time.Second):
				b.timedOut.Store(true)
			}
		}
		w.Header().Set("Cache-Control", o.cacheCtl)
		w.Write([]byte("burst"))
		return
	}
	key := canonicalKey(r.URL.Path, r.URL.RawQuery)
	o.mu.Lock()
	o.calls[key]++
	o.methods[r.Method]++
	var v int
	if o.perCall {
		o.next++
		v = o.next
	} else {
		v = o.version[key]
		if v == 0 {
			v = 1
			o.version[key] = v
		}
	}
	size := o.sizeOf(key)
	if o.sent[key] == nil {
		o.sent[key] = map[int]int{}
	}
	o.sent[key][v] = size
	hold := o.holds[r.URL.Path]
	delay := o.delay
	o.mu.Unlock()

	if hold != nil {
		if hold.inflight.Add(1) >= hold.n {
			hold.once.Do(func() { close(hold.release) })
		}
		select {
		case <-hold.release:
		case <-time.After(10 * time.Second):
			hold.timedOut.Store(true)
		}
	}
	if delay != nil {
		time.Sleep(delay())
	}
	body := makeBody(key, v, size)
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Cache-Control", o.cacheCtl)
	h.Set("X-Key", key)
	h.Set("X-Version", strconv.Itoa(v))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// bump makes the origin answer a new version of key from now on, and returns it.
func (o *origin) bump(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.version[key] == 0 {
		o.version[key] = 1
	}
	o.version[key]++
	return o.version[key]
}

// current is the version the origin answers for key now.
func (o *origin) current(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.version[key] == 0 {
		return 1
	}
	return o.version[key]
}

func (o *origin) callsFor(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls[key]
}

func (o *origin) totalCalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.calls {
		n += c
	}
	return n
}

func (o *origin) methodCounts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]int{}
	for k, v := range o.methods {
		out[k] = v
	}
	return out
}

// hold makes the next n requests for path wait at the origin until all n arrived (so that n
// misses for one key are in flight at once, on n instances).
func (o *origin) hold(path string, n int) *barrierBackend {
	b := newBarrier(n)
	o.mu.Lock()
	o.holds[path] = b
	o.mu.Unlock()
	return b
}

func (o *origin) unhold(path string) {
	o.mu.Lock()
	delete(o.holds, path)
	o.mu.Unlock()
}

// check verifies that res is a complete, unmixed answer the origin really sent for key: status
// 200, X-Key and X-Version headers of one response, and (not for HEAD) the body byte for byte
// equal to that version's body. It returns the version served.
func (o *origin) check(key string, res *Result, head bool) (int, error) {
	if res.Trapped() {
		return 0, fmt.Errorf("guest trapped: %s", res)
	}
	if res.Status != 200 {
		return 0, fmt.Errorf("status %d, want 200: %s", res.Status, res)
	}
	if len(res.WriteErrs) > 0 || res.ShortBody {
		return 0, fmt.Errorf("a response net/http would break: %s", res)
	}
	if hk := res.Header.Get("X-Key"); hk != key {
		return 0, fmt.Errorf("X-Key %q, want %q (another key's headers): %s", hk, key, res)
	}
	hv, err := strconv.Atoi(res.Header.Get("X-Version"))
	if err != nil {
		return 0, fmt.Errorf("X-Version %q is not a number: %s", res.Header.Get("X-Version"), res)
	}
	o.mu.Lock()
	size, sent := o.sent[key][hv]
	o.mu.Unlock()
	if !sent {
		return 0, fmt.Errorf("X-Version %d of %s was never sent by the origin: %s", hv, key, res)
	}
	if head {
		if len(res.Body) != 0 {
			return 0, fmt.Errorf("HEAD answered with a body: %s", res)
		}
		return hv, nil
	}
	bk, bv, ok := parseBodyHead(res.Body)
	if !ok {
		return 0, fmt.Errorf("body does not start with \"key=... version=...\": %s", res)
	}
	if bk != key {
		return 0, fmt.Errorf("WRONG BODY: body of key %q served for %q: %s", bk, key, res)
	}
	if bv != hv {
		return 0, fmt.Errorf("MIXED ANSWER: headers of version %d with the body of version %d: %s", hv, bv, res)
	}
	want := makeBody(key, hv, size)
	if string(res.Body) != string(want) {
		return 0, fmt.Errorf("CORRUPT BODY: %d bytes, want %d, first difference at byte %d (torn or mixed record): %s",
			len(res.Body), len(want), firstDiff(res.Body, want), res)
	}
	return hv, nil
}

// ---------------------------------------------------------------------------------------------
// Requests

// purgeReq is `PURGE target` with the token in X-Purge-Token ("" = no token).
func purgeReq(target, token string) *http.Request {
	r := mkreq("PURGE", target)
	if token != "" {
		r.Header.Set("X-Purge-Token", token)
	}
	return r
}

// purgePostReq is `POST /_cache/purge` with body and the token as a Bearer ("" = none).
func purgePostReq(body, token string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, "http://"+testHost+"/_cache/purge", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.RequestURI = "/_cache/purge"
	r.RemoteAddr = "192.0.2.10:54321"
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// purgedCount checks a purge answer (200, JSON {"purged":N}) and returns N.
func purgedCount(res *Result) (int, error) {
	if res.Trapped() {
		return 0, fmt.Errorf("guest trapped: %s", res)
	}
	if res.BackendCalls > 0 || res.Header.Get("X-Key") != "" {
		return 0, fmt.Errorf("the purge request reached the backend (purge API not implemented, or not enabled?): %s", res)
	}
	if res.Status != 200 {
		return 0, fmt.Errorf("purge answered %d, want 200 {\"purged\":N} (purge API not implemented, or the token not accepted?): %s", res.Status, res)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return 0, fmt.Errorf("purge answer Content-Type %q, want application/json: %s", ct, res)
	}
	var v struct {
		Purged *int `json:"purged"`
	}
	if err := json.Unmarshal(res.Body, &v); err != nil || v.Purged == nil {
		return 0, fmt.Errorf("purge answer is not {\"purged\":N} (%v): %s", err, res)
	}
	return *v.Purged, nil
}

// ---------------------------------------------------------------------------------------------
// Concurrency

// parallel runs f(0..n-1) on n goroutines and waits for all.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			f(i)
		}(i)
	}
	wg.Wait()
}

// problems collects failures from many goroutines and reports the first few.
type problems struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if len(p.first) < 8 {
		p.first = append(p.first, fmt.Sprintf(format, args...))
	}
}

func (p *problems) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// report fails t if anything was added: "what: N problems, first: ...".
func (p *problems) report(t testing.TB, what string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n > 0 {
		t.Errorf("%s: %d problem(s), first ones:\n  %s", what, p.n, strings.Join(p.first, "\n  "))
	}
	p.n, p.first = 0, nil
}

// spawnInstances makes h's pool hold at least n guest instances: n requests for /burst/<tag>
// wait at the origin until all n are in flight. Keep the GC off (noGC) for them to stay pooled.
func spawnInstances(t testing.TB, h *Host, o *origin, n int) {
	t.Helper()
	b := newBarrier(n)
	o.burst.Store(b)
	defer o.burst.Store(nil)
	path := fmt.Sprintf("/burst/%p", b)
	parallel(n, func(int) {
		if res := h.Do(get(path)); res.Trapped() || res.Status != 200 {
			t.Errorf("burst request to spawn instances: %s", res)
		}
	})
	if b.timedOut.Load() {
		t.Fatalf("only %d of %d requests reached the origin at the same time", b.inflight.Load(), n)
	}
}

// ---------------------------------------------------------------------------------------------
// Files

// storeFileSize is the size of the store file in dir, and its allocated bytes (st_blocks × 512);
// exists is false if there is no such file.
func storeFileSize(dir string) (size, allocated int64, exists bool, err error) {
	fi, err := os.Stat(filepath.Join(dir, storeFileName))
	if os.IsNotExist(err) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		allocated = st.Blocks * 512
	}
	return fi.Size(), allocated, true, nil
}

// dirUsage lists dir (not recursively: the store makes no subdirectories): the names, the sum of
// their sizes, the sum of their allocated bytes.
func dirUsage(dir string) (names []string, size, allocated int64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if e.Name() == claimsDirName && e.IsDir() {
			if err := checkClaims(filepath.Join(dir, e.Name())); err != nil {
				return nil, 0, 0, err
			}
			continue // its empty files use no data blocks; the directory itself is metadata
		}
		names = append(names, e.Name())
		size += fi.Size()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			allocated += st.Blocks * 512
		}
	}
	return names, size, allocated, nil
}

// checkClaims fails when the claims directory holds anything but a bounded number of empty files.
func checkClaims(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > maxClaimFiles {
		return fmt.Errorf("%s holds %d files, want at most %d", dir, len(entries), maxClaimFiles)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if !fi.Mode().IsRegular() || fi.Size() != 0 {
			return fmt.Errorf("%s/%s: want an empty claim or lock file, got %v of %d bytes", dir, e.Name(), fi.Mode(), fi.Size())
		}
	}
	return nil
}

// nonZeroChunks returns the offsets of the chunk-sized pieces of data in [from, to) that are not
// all zero (the parts of a sparse store file that hold something).
func nonZeroChunks(data []byte, from, to, chunk int) []int {
	var out []int
	to = min(to, len(data))
	for off := from; off < to; off += chunk {
		end := min(off+chunk, to)
		for _, c := range data[off:end] {
			if c != 0 {
				out = append(out, off)
				break
			}
		}
	}
	return out
}
