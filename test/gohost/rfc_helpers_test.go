package gohost

// Helpers for the RFC-flow fault sweeps (rfc_trap_test.go), the RFC-flow instance tests
// (rfc_instances_test.go) and the RFC-flow allocation counts (rfc_allocs_test.go).
//
// rfcOrigin is a backend whose behaviour depends on the first path segment (the flow's kind):
//
//	/reval/...  200 "max-age=0" with an ETag; a matching If-None-Match gets a 304 that freshens
//	            (Cache-Control: max-age=300, X-Checked: yes): stale at once, REVALIDATED, then HIT.
//	/sie/...    as /reval/ with "max-age=0, stale-if-error=600"; while failing, 503 no-store.
//	/vary/...   200 "max-age=300", Vary: Accept-Encoding; the body names the normalised value.
//	/post/...   200 "max-age=300" at the current version; a POST raises the version of the path
//	            and of <path>/loc (named in its Location; answered 200).
//	/swr/..., /upd/...
//	            every 200 is a new version: version 1 "max-age=0, stale-while-revalidate=30"
//	            (stale at once, within its window), later ones "max-age=300"; while failing,
//	            503 no-store (a refresher that failed: the lease stays, the entry stays stale).
//
// Every body is makeBody(key, version) (shared_helpers_test.go: the first line names key and
// version) and every 200 carries X-Key and X-Version, so a wrong, mixed or torn answer is visible.

import (
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const rfcBodySize = 3000

type rfcOrigin struct {
	mu      sync.Mutex
	version map[string]int  // path -> current version (0 means 1; swr/upd: last one sent)
	failing map[string]bool // path -> answer 503
	// backendAt: for a request carrying a FaultPlan, how many host calls the guest had made when
	// the request reached the backend (the calls after it are handle_response's).
	backendAt map[*FaultPlan]int
	// answered: the backend wrote its whole answer to a POST (not stopped by a writer fault).
	answered map[*FaultPlan]bool
	Backend  *Backend
}

func newRFCOrigin() *rfcOrigin {
	o := &rfcOrigin{version: map[string]int{}, failing: map[string]bool{}, backendAt: map[*FaultPlan]int{}, answered: map[*FaultPlan]bool{}}
	o.Backend = NewBackend(o.serve)
	return o
}

// rfcKind is the first path segment.
func rfcKind(path string) string {
	kind, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return kind
}

// rfcNormalizeAE normalises Accept-Encoding lines the way the cache compares Vary values.
func rfcNormalizeAE(lines []string) string {
	if len(lines) == 0 {
		return "<absent>"
	}
	var parts []string
	for _, l := range lines {
		for _, p := range strings.Split(l, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// rfcVaryKey is the key a /vary/ body names for an Accept-Encoding value ("" = absent).
func rfcVaryKey(path, ae string) string {
	if ae == "" {
		return path + "|" + rfcNormalizeAE(nil)
	}
	return path + "|" + rfcNormalizeAE([]string{ae})
}

func rfcETag(key string, v int) string {
	f := fnv.New64a()
	f.Write([]byte(key))
	return fmt.Sprintf("\"%x-%d\"", f.Sum64(), v)
}

func rfcCacheControl(kind string, v int) string {
	switch kind {
	case "reval":
		return "max-age=0"
	case "sie":
		return "max-age=0, stale-if-error=600"
	case "swr", "upd":
		if v == 1 {
			return "max-age=0, stale-while-revalidate=30"
		}
	}
	return "max-age=300"
}

func rfc304CacheControl(kind string) string {
	if kind == "sie" {
		return "max-age=300, stale-if-error=600"
	}
	return "max-age=300"
}

// rfcHeaders are the header lines of the 200 for key (of kind) at version v.
func rfcHeaders(kind, key string, v int) http.Header {
	h := http.Header{
		"Content-Type":   {"text/plain"},
		"Cache-Control":  {rfcCacheControl(kind, v)},
		"Etag":           {rfcETag(key, v)},
		"X-Key":          {key},
		"X-Version":      {strconv.Itoa(v)},
		"X-Multi":        {"a", "b, c"},
		"Content-Length": {strconv.Itoa(rfcBodySize)},
	}
	if kind == "vary" {
		h["Vary"] = []string{"Accept-Encoding"}
	}
	return h
}

// rfcFreshened are the headers of the stored 200 after a 304 freshened them (§4.3.4).
func rfcFreshened(kind, key string, v int) http.Header {
	h := rfcHeaders(kind, key, v)
	h["Cache-Control"] = []string{rfc304CacheControl(kind)}
	h["X-Checked"] = []string{"yes"}
	return h
}

func (o *rfcOrigin) cur(path string) int {
	if v := o.version[path]; v > 0 {
		return v
	}
	return 1
}

// current is the version a GET for path would get now (swr/upd: the last one sent).
func (o *rfcOrigin) current(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cur(path)
}

func (o *rfcOrigin) setFailing(path string, failing bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failing[path] = failing
}

func (o *rfcOrigin) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	kind := rfcKind(path)
	o.mu.Lock()
	plan, _ := r.Context().Value(faultKey{}).(*FaultPlan)
	if plan != nil {
		o.backendAt[plan] = len(plan.Calls)
	}
	if r.Method == http.MethodPost {
		// The write takes effect first, then the answer is written. <path>/loc changes with it
		// only once the answer names it in Location (a writer fault in w.Header() stops before).
		o.version[path] = o.cur(path) + 1
		v := o.version[path]
		o.mu.Unlock()
		body := fmt.Sprintf("posted %s version=%d\n", path, v)
		hd := w.Header()
		hd.Set("Content-Type", "text/plain")
		hd.Set("Location", path+"/loc")
		o.mu.Lock()
		o.version[path+"/loc"] = o.cur(path+"/loc") + 1
		o.mu.Unlock()
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, body)
		if plan != nil {
			o.mu.Lock()
			o.answered[plan] = true
			o.mu.Unlock()
		}
		return
	}
	if o.failing[path] {
		o.mu.Unlock()
		hd := w.Header()
		hd.Set("Content-Type", "text/plain")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Error", "backend down")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "backend down\n")
		return
	}
	key := path
	if kind == "vary" {
		key = path + "|" + rfcNormalizeAE(r.Header.Values("Accept-Encoding"))
	}
	var v int
	switch kind {
	case "swr", "upd":
		v = o.cur(path)
		if o.version[path] > 0 {
			v++
		}
		o.version[path] = v
	default:
		v = o.cur(path)
	}
	etag := rfcETag(key, v)
	o.mu.Unlock()
	hd := w.Header()
	if (kind == "reval" || kind == "sie") && r.Header.Get("If-None-Match") == etag {
		hd.Set("Cache-Control", rfc304CacheControl(kind))
		hd.Set("Etag", etag)
		hd.Set("X-Checked", "yes")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for k, vals := range rfcHeaders(kind, key, v) {
		hd[k] = vals
	}
	w.Write(makeBody(key, v, rfcBodySize))
}

// rfcHeaderDiff says how got differs from want (exact lines, in order), ignoring the cache's own
// headers; "" when it does not.
func rfcHeaderDiff(got, want http.Header) string {
	var d []string
	for k, v := range want {
		if fmt.Sprintf("%q", got[k]) != fmt.Sprintf("%q", v) {
			d = append(d, fmt.Sprintf("%s=%q (want %q)", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, in := want[k]; !in && !cacheHeaders[k] {
			d = append(d, fmt.Sprintf("unexpected %s=%q", k, v))
		}
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

// rfcAnswer checks that res is a complete 200 the origin sent for key: no trap, X-Key, a version
// whose body matches byte for byte, no write net/http would refuse. It returns the version.
func rfcAnswer(res *Result, key string) (int, error) {
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
		return 0, fmt.Errorf("X-Key %q, want %q: %s", hk, key, res)
	}
	v, err := strconv.Atoi(res.Header.Get("X-Version"))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("X-Version %q: %s", res.Header.Get("X-Version"), res)
	}
	if want := makeBody(key, v, rfcBodySize); string(res.Body) != string(want) {
		bk, bv, _ := parseBodyHead(res.Body)
		return 0, fmt.Errorf("WRONG BODY: headers of %s version %d, body of %q version %d (%d bytes, first difference at %d): %s",
			key, v, bk, bv, len(res.Body), firstDiff(res.Body, want), res)
	}
	return v, nil
}

// rfcNoSelfTrap: a trap is only acceptable where a fault was injected, and must be that fault.
func rfcNoSelfTrap(t testing.TB, what string, res *Result, fired *Fault) {
	t.Helper()
	if !res.Trapped() {
		return
	}
	text := fmt.Sprint(res.Panic) + " " + string(res.Body)
	if fired == nil {
		t.Errorf("%s: THE GUEST TRAPPED BY ITSELF (no fault was injected): %s", what, res)
	} else if !strings.Contains(text, "injected fault") {
		t.Errorf("%s: the guest trapped, but not in the injected fault (%s): %s", what, fired.Error(), res)
	}
}

// rfcInject serves r with a fault at call n of mode m (0: none). It always records the host
// calls (for the writer mode too), so a test can tell what the guest got to do before the fault.
func rfcInject(h *Host, r *http.Request, m faultMode, n int) (res *Result, fired *Fault, calls, hostCalls []string, plan *FaultPlan) {
	plan = &FaultPlan{}
	w := NewRecorder(r)
	if m == hostCallFault {
		plan.FailAt = n
	} else {
		w.FailAt = n
	}
	res = h.DoWith(w, WithFaultPlan(r, plan))
	if m == hostCallFault {
		return res, plan.Fired, plan.Calls, plan.Calls, plan
	}
	calls = make([]string, w.Ops)
	for i := range calls {
		calls[i] = "writer"
	}
	return res, w.Fired, calls, plan.Calls, plan
}

// backendAnswered says whether the backend wrote its whole answer to the request of plan.
func (o *rfcOrigin) backendAnswered(plan *FaultPlan) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.answered[plan]
}

// backendCallIndex is how many host calls the guest had made when the request of plan reached
// the backend, or -1 when it never did.
func (o *rfcOrigin) backendCallIndex(plan *FaultPlan) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i, ok := o.backendAt[plan]; ok {
		return i
	}
	return -1
}

var (
	// ttl=0: a max-age=0 entry answered in the millisecond it was stored has 0 s left, not -1.
	rfcUpdatingStatus = regexp.MustCompile(`^httpcache; hit; ttl=(0|-[0-9]+); detail=stale-while-revalidate$`)
	rfcStaleIfError   = regexp.MustCompile(`^httpcache; hit; ttl=(0|-[0-9]+); detail=stale-if-error$`)
)

// rfcStoreConfigs are the two stores every sweep runs with.
var rfcStoreNames = []string{"memory", "shared"}

// newRFCHost is a middleware with the memory store, or the shared store on a fresh directory.
func newRFCHost(t testing.TB, store string, o *rfcOrigin) *Host {
	t.Helper()
	if store == "shared" {
		return newHostWith(t, sharedConfig("64Mi", "1Mi", ""), o.Backend, mountOf(t.TempDir()))
	}
	return newHostWith(t, []byte(`{"store":{"memory":{"limit":"32Mi"}}}`), o.Backend)
}

func rfcGetAE(path, ae string) *http.Request {
	if ae == "" {
		return get(path)
	}
	return get(path, "Accept-Encoding", ae)
}

// rfcBurst runs f(0..n-1) on n goroutines released together, and waits for all.
func rfcBurst(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			f(i)
		}(i)
	}
	close(start)
	wg.Wait()
}
