// Package gohost runs build/plugin.wasm the way Traefik v3.7 runs a wasm middleware: through
// github.com/http-wasm/http-wasm-host-go/handler/nethttp v0.7.0 on wazero v1.8.0, with the module
// config Traefik uses (real wall clock, `_start`/`_initialize` start functions, fake monotonic
// clock and sleep, discarded stdout/stderr) and a logger that, like Traefik's, enables every level.
//
// On top of that it records what a test needs to see: guest log lines, backend calls, every guest
// instance the pool created (and whether it is still alive, and its linear memory size), and
// panics out of ServeHTTP (a trap in handle_response). It can make the guest trap on purpose: at
// the n-th http_handler host call of a request (FaultPlan), or at the n-th call on the
// ResponseWriter (Recorder.FailAt).
//
// Traefik's plugin settings are options of New: WithMounts ("hostdir:guestdir[:ro]", WASI
// preopened directories, as settings.mounts) and WithEnvs (variable names, as settings.envs),
// turned into the module config by TraefikModuleConfig exactly as Traefik v3.7.10 does.
package gohost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/http-wasm/http-wasm-host-go/api"
	"github.com/http-wasm/http-wasm-host-go/handler"
	nethttp "github.com/http-wasm/http-wasm-host-go/handler/nethttp"
	"github.com/tetratelabs/wazero"
	wazeroapi "github.com/tetratelabs/wazero/api"
)

// DefaultWasmPath is the plugin, relative to this package's directory (where `go test` runs).
const DefaultWasmPath = "../../build/plugin.wasm"

// WasmPath is DefaultWasmPath unless HTTPCACHE_WASM names another file.
func WasmPath() string {
	if p := os.Getenv("HTTPCACHE_WASM"); p != "" {
		return p
	}
	return DefaultWasmPath
}

var (
	wasmOnce  sync.Once
	wasmBytes []byte
	wasmErr   error
)

// LoadWasm reads the plugin once per process.
func LoadWasm() ([]byte, error) {
	wasmOnce.Do(func() {
		p := WasmPath()
		abs, _ := filepath.Abs(p)
		wasmBytes, wasmErr = os.ReadFile(p)
		if errors.Is(wasmErr, fs.ErrNotExist) {
			wasmErr = fmt.Errorf("%s does not exist: run npm run build (at the repository root) first", abs)
		} else if wasmErr == nil && len(wasmBytes) == 0 {
			wasmErr = fmt.Errorf("%s is empty: run npm run build (at the repository root) first", abs)
		}
	})
	return wasmBytes, wasmErr
}

// One compilation cache for the whole test process, as Traefik keeps one per plugin: each
// middleware still gets its own runtime, but the guest is compiled to machine code only once.
var compilationCache = wazero.NewCompilationCache()

// ---------------------------------------------------------------------------------------------
// Logger

// LogEntry is one line the guest logged through http_handler.log.
type LogEntry struct {
	Level   api.LogLevel
	Message string
}

func (e LogEntry) String() string { return LevelName(e.Level) + ": " + e.Message }

// LevelName names an http-wasm log level.
func LevelName(l api.LogLevel) string {
	switch l {
	case api.LogLevelDebug:
		return "debug"
	case api.LogLevelInfo:
		return "info"
	case api.LogLevelWarn:
		return "warn"
	case api.LogLevelError:
		return "error"
	case api.LogLevelNone:
		return "NONE(3: fatal in Traefik)"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// Logger implements api.Logger and keeps every line. Like Traefik's WasmLogger, every level is
// enabled, so the guest has to filter by its own logLevel.
type Logger struct {
	mu      sync.Mutex
	entries []LogEntry
}

var _ api.Logger = (*Logger)(nil)

func (l *Logger) IsEnabled(api.LogLevel) bool { return true }

func (l *Logger) Log(_ context.Context, level api.LogLevel, msg string) {
	l.mu.Lock()
	l.entries = append(l.entries, LogEntry{level, msg})
	l.mu.Unlock()
}

// Entries returns a copy of everything logged so far.
func (l *Logger) Entries() []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LogEntry(nil), l.entries...)
}

// Len is the number of lines logged so far.
func (l *Logger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Since returns the lines logged after the first n, at level min or above.
func (l *Logger) Since(n int, min api.LogLevel) []LogEntry {
	var out []LogEntry
	for i, e := range l.Entries() {
		if i >= n && e.Level >= min {
			out = append(out, e)
		}
	}
	return out
}

// MemoryOnlyNotice starts the line a middleware with nothing mounted logs once at start-up.
const MemoryOnlyNotice = "httpcache: no directory is mounted"

// Problems is Since(0, warn) without the memory-only notice: what a memory-only test must not see.
func (l *Logger) Problems() []LogEntry {
	var out []LogEntry
	for _, e := range l.Since(0, api.LogLevelWarn) {
		if !strings.HasPrefix(e.Message, MemoryOnlyNotice) {
			out = append(out, e)
		}
	}
	return out
}

// Dump formats at most max lines for a failure message.
func Dump(entries []LogEntry, max int) string {
	var b strings.Builder
	for i, e := range entries {
		if i == max {
			fmt.Fprintf(&b, "\n  ... and %d more", len(entries)-max)
			break
		}
		msg := e.Message
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		fmt.Fprintf(&b, "\n  %s: %q", LevelName(e.Level), msg)
	}
	return b.String()
}

// ---------------------------------------------------------------------------------------------
// Runtime that remembers the guest instances it created.

type trackingRuntime struct {
	wazero.Runtime
	mu    sync.Mutex
	names []string
}

func (r *trackingRuntime) InstantiateModule(ctx context.Context, c wazero.CompiledModule, cfg wazero.ModuleConfig) (wazeroapi.Module, error) {
	m, err := r.Runtime.InstantiateModule(ctx, c, cfg)
	if err == nil && m != nil {
		r.mu.Lock()
		// Only the name: holding the module would keep its memory alive after the pool drops it.
		r.names = append(r.names, m.Name())
		r.mu.Unlock()
	}
	return m, err
}

// NewHostModuleBuilder wraps the http_handler host module so that every host function first
// checks the request's FaultPlan (WASI is left alone: its builder needs wazero internals).
func (r *trackingRuntime) NewHostModuleBuilder(name string) wazero.HostModuleBuilder {
	b := r.Runtime.NewHostModuleBuilder(name)
	if name != "http_handler" {
		return b
	}
	return &faultModuleBuilder{HostModuleBuilder: b}
}

// ---------------------------------------------------------------------------------------------
// Host-call fault injection

type faultKey struct{}

// FaultPlan, attached to one request with WithFaultPlan, records the http_handler host functions
// the guest calls while serving it, and makes the FailAt-th call (1-based; 0 = none) panic with a
// *Fault before doing anything: the guest traps inside that call, as it would if the host failed.
type FaultPlan struct {
	FailAt int
	Calls  []string
	Fired  *Fault
}

// WithFaultPlan returns r carrying p. Host functions of one request run on one goroutine.
func WithFaultPlan(r *http.Request, p *FaultPlan) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), faultKey{}, p))
}

func hostCall(ctx context.Context, name string) {
	p, _ := ctx.Value(faultKey{}).(*FaultPlan)
	if p == nil {
		return
	}
	p.Calls = append(p.Calls, name)
	if p.FailAt > 0 && len(p.Calls) == p.FailAt {
		p.Fired = &Fault{Op: name, N: p.FailAt}
		panic(p.Fired)
	}
}

type faultModuleBuilder struct {
	wazero.HostModuleBuilder
}

func (b *faultModuleBuilder) NewFunctionBuilder() wazero.HostFunctionBuilder {
	return &faultFuncBuilder{inner: b.HostModuleBuilder.NewFunctionBuilder(), mb: b}
}

type faultFuncBuilder struct {
	inner wazero.HostFunctionBuilder
	mb    *faultModuleBuilder
	name  string // set by Export, read by the wrappers at call time
}

func (f *faultFuncBuilder) WithGoFunction(fn wazeroapi.GoFunction, params, results []wazeroapi.ValueType) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithGoFunction(wazeroapi.GoFunc(func(ctx context.Context, stack []uint64) {
		hostCall(ctx, f.name)
		fn.Call(ctx, stack)
	}), params, results)
	return f
}

func (f *faultFuncBuilder) WithGoModuleFunction(fn wazeroapi.GoModuleFunction, params, results []wazeroapi.ValueType) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithGoModuleFunction(wazeroapi.GoModuleFunc(func(ctx context.Context, mod wazeroapi.Module, stack []uint64) {
		hostCall(ctx, f.name)
		fn.Call(ctx, mod, stack)
	}), params, results)
	return f
}

func (f *faultFuncBuilder) WithFunc(fn interface{}) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithFunc(fn) // not used by http-wasm-host-go; left uninstrumented
	return f
}

func (f *faultFuncBuilder) WithName(name string) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithName(name)
	return f
}

func (f *faultFuncBuilder) WithParameterNames(names ...string) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithParameterNames(names...)
	return f
}

func (f *faultFuncBuilder) WithResultNames(names ...string) wazero.HostFunctionBuilder {
	f.inner = f.inner.WithResultNames(names...)
	return f
}

func (f *faultFuncBuilder) Export(name string) wazero.HostModuleBuilder {
	f.name = name
	f.inner.Export(name)
	return f.mb
}

// ---------------------------------------------------------------------------------------------
// Backend

// Backend is the next handler (the "origin"), counting its calls.
type Backend struct {
	h      http.Handler
	calls  atomic.Int64
	mu     sync.Mutex
	byPath map[string]int
}

// NewBackend wraps h.
func NewBackend(h http.HandlerFunc) *Backend {
	return &Backend{h: h, byPath: map[string]int{}}
}

func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.calls.Add(1)
	b.mu.Lock()
	b.byPath[r.URL.Path]++
	b.mu.Unlock()
	b.h.ServeHTTP(w, r)
}

// Calls is the number of requests that reached the backend.
func (b *Backend) Calls() int64 { return b.calls.Load() }

// CallsFor is the number of requests for path that reached the backend.
func (b *Backend) CallsFor(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byPath[path]
}

// ---------------------------------------------------------------------------------------------
// Host

// Host is one middleware (one runtime, one instance pool) wrapping a backend.
type Host struct {
	// Handler is the guest wrapping Next, exactly what Traefik puts in its handler chain.
	// A trap in handle_response makes it panic.
	Handler http.Handler
	Next    *Backend
	Log     *Logger
	Stderr  *LockedBuffer
	// Settings are the Traefik plugin settings this middleware was built with.
	Settings Settings

	mw nethttp.Middleware
	rt *trackingRuntime

	traps   atomic.Int64
	trapsMu sync.Mutex
	trapMsg []string
}

// Option is a Traefik plugin setting (the static `experimental.plugins.<name>.settings`).
type Option func(*Settings)

// Settings mirrors Traefik's plugins.Settings for wasm plugins.
type Settings struct {
	// Mounts are "hostdir:guestdir[:ro]" (or "dir" = the same path on both sides), as in
	// settings.mounts: each becomes a WASI preopened directory.
	Mounts []string
	// Envs are names of environment variables of this process passed to the guest with their
	// current value (os.Getenv at New, like Traefik at middleware build time), as settings.envs.
	Envs []string
}

// WithMounts adds settings.mounts entries.
func WithMounts(mounts ...string) Option {
	return func(s *Settings) { s.Mounts = append(s.Mounts, mounts...) }
}

// WithEnvs adds settings.envs entries (variable names; set them with t.Setenv before New).
func WithEnvs(names ...string) Option {
	return func(s *Settings) { s.Envs = append(s.Envs, names...) }
}

// TraefikModuleConfig builds the guest module config exactly as Traefik v3.7.10 does in
// pkg/plugins/middlewarewasm.go (buildMiddleware): real wall clock, `_start`/`_initialize`,
// settings.envs through WithEnv(name, os.Getenv(name)), settings.mounts through one FSConfig with
// WithDirMount(host, guest), or WithReadOnlyDirMount for a ":ro" suffix. stderr is where the
// guest's stderr goes (Traefik leaves it unset, i.e. discarded).
func TraefikModuleConfig(s Settings, stderr io.Writer) (wazero.ModuleConfig, error) {
	config := wazero.NewModuleConfig().WithSysWalltime().WithStartFunctions("_start", "_initialize")
	if stderr != nil {
		config = config.WithStderr(stderr)
	}
	for _, env := range s.Envs {
		config = config.WithEnv(env, os.Getenv(env))
	}
	if len(s.Mounts) > 0 {
		fsConfig := wazero.NewFSConfig()
		for _, mount := range s.Mounts {
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
		config = config.WithFSConfig(fsConfig)
	}
	return config, nil
}

// New builds a middleware the way Traefik does. config nil means "no plugin config" (Traefik then
// passes no GuestConfig option); otherwise the bytes are passed as they are. settings are
// Traefik's plugin settings (WithMounts, WithEnvs); none by default.
func New(ctx context.Context, wasm []byte, config []byte, next *Backend, settings ...Option) (*Host, error) {
	h := &Host{Next: next, Log: &Logger{}, Stderr: &LockedBuffer{}}
	for _, o := range settings {
		o(&h.Settings)
	}
	modCfg, err := TraefikModuleConfig(h.Settings, h.Stderr)
	if err != nil {
		return nil, err
	}
	opts := []handler.Option{
		handler.ModuleConfig(modCfg),
		handler.Logger(h.Log),
		handler.Runtime(func(ctx context.Context) (wazero.Runtime, error) {
			h.rt = &trackingRuntime{Runtime: wazero.NewRuntimeWithConfig(ctx,
				wazero.NewRuntimeConfig().WithCompilationCache(compilationCache))}
			return h.rt, nil
		}),
	}
	if config != nil {
		opts = append(opts, handler.GuestConfig(config))
	}
	mw, err := nethttp.NewMiddleware(ctx, wasm, opts...)
	if err != nil {
		return nil, err
	}
	h.mw = mw
	h.Handler = mw.NewHandler(ctx, next)
	return h, nil
}

// Close closes the runtime and every instance.
func (h *Host) Close() { _ = h.mw.Close(context.Background()) }

// Instances returns how many guest instances the pool ever created, and how many are still open
// (not yet dropped by the pool's finalizer).
func (h *Host) Instances() (created, live int) {
	h.rt.mu.Lock()
	names := append([]string(nil), h.rt.names...)
	h.rt.mu.Unlock()
	for _, n := range names {
		if m := h.rt.Module(n); m != nil && !m.IsClosed() {
			live++
		}
	}
	return len(names), live
}

// MemorySizes returns the linear memory size in bytes of every live instance.
func (h *Host) MemorySizes() []uint32 {
	h.rt.mu.Lock()
	names := append([]string(nil), h.rt.names...)
	h.rt.mu.Unlock()
	var out []uint32
	for _, n := range names {
		if m := h.rt.Module(n); m != nil && !m.IsClosed() {
			if mem := m.Memory(); mem != nil {
				out = append(out, mem.Size())
			}
		}
	}
	return out
}

// ServerHandler is Handler for an httptest.Server: a panic (a trap in handle_response) is
// counted, remembered, and turned into an aborted connection, as net/http would do.
func (h *Host) ServerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				h.traps.Add(1)
				h.trapsMu.Lock()
				h.trapMsg = append(h.trapMsg, fmt.Sprint(p))
				h.trapsMu.Unlock()
				panic(http.ErrAbortHandler)
			}
		}()
		h.Handler.ServeHTTP(w, r)
	})
}

// Traps returns the panics ServerHandler saw.
func (h *Host) Traps() []string {
	h.trapsMu.Lock()
	defer h.trapsMu.Unlock()
	return append([]string(nil), h.trapMsg...)
}

// Result is what one in-process request produced.
type Result struct {
	Status int
	Header http.Header // as committed (net/http sends the headers as they were at WriteHeader)
	Body   []byte
	// Panic is what ServeHTTP panicked with: a trap in handle_response (or an injected fault).
	Panic any
	// WriteErrs are errors the writer returned to the host, as net/http would have (writing a
	// body on 204/304, or past the declared Content-Length).
	WriteErrs []error
	// ShortBody: Content-Length declared but fewer bytes written (the client sees a broken body).
	ShortBody bool
	// HeadBodyBytes: bytes written for a HEAD request (net/http silently drops them).
	HeadBodyBytes int
	// BackendCalls made while serving this request (meaningful for sequential requests only).
	BackendCalls int64
}

// Trapped says whether the guest trapped: a panic out of ServeHTTP, or the 500 whose body is the
// wasm error that nethttp writes for a trap in handle_request.
func (r *Result) Trapped() bool { return r.Panic != nil || IsTrapText(r.Status, r.Body) }

// CacheStatus is the X-Cache-Status header.
func (r *Result) CacheStatus() string { return r.Header.Get("X-Cache-Status") }

// String summarises the result for failure messages.
func (r *Result) String() string {
	body := r.Body
	if len(body) > 200 {
		body = append(append([]byte(nil), body[:200]...), "..."...)
	}
	s := fmt.Sprintf("status=%d X-Cache-Status=%q Cache-Status=%q backendCalls=%d body(%d)=%q",
		r.Status, r.CacheStatus(), r.Header.Values("Cache-Status"), r.BackendCalls, len(r.Body), body)
	if r.Panic != nil {
		s += fmt.Sprintf(" PANIC=%v", r.Panic)
	}
	if len(r.WriteErrs) > 0 {
		s += fmt.Sprintf(" writeErrs=%v", r.WriteErrs)
	}
	if r.ShortBody {
		s += " SHORT-BODY"
	}
	return s
}

// IsTrapText recognises the response nethttp writes when handle_request returns an error: a 500
// whose body is the error text. If the guest had already set the status, the 500 is lost and the
// text is appended to the body instead.
func IsTrapText(status int, body []byte) bool {
	b := string(body)
	if strings.Contains(b, "wasm stack trace") || strings.Contains(b, "wasm error: ") {
		return true
	}
	return status == 500 && (strings.Contains(b, "module closed") || strings.Contains(b, "exit_code") ||
		strings.HasPrefix(b, "wasm: ") || strings.Contains(b, "runtime error"))
}

// Do serves req in-process with a fresh strict Recorder.
func (h *Host) Do(req *http.Request) *Result { return h.DoWith(NewRecorder(req), req) }

// DoWith serves req in-process into w, recovering a panic out of ServeHTTP.
func (h *Host) DoWith(w *Recorder, req *http.Request) (res *Result) {
	before := h.Next.Calls()
	res = &Result{}
	func() {
		defer func() {
			if p := recover(); p != nil {
				res.Panic = p
			}
		}()
		h.Handler.ServeHTTP(w, req)
	}()
	w.finish()
	res.Status = w.status
	res.Header = w.committed
	res.Body = w.body.Bytes()
	res.WriteErrs = w.errs
	res.HeadBodyBytes = w.headBytes
	res.ShortBody = req.Method != http.MethodHead && w.contentLength >= 0 && w.written < w.contentLength &&
		bodyAllowedForStatus(w.status)
	res.BackendCalls = h.Next.Calls() - before
	return res
}

// ---------------------------------------------------------------------------------------------
// Recorder: a ResponseWriter with net/http's rules, and optional fault injection.

// Fault is what a Recorder panics with when FailAt is reached.
type Fault struct {
	Op string
	N  int
}

func (f *Fault) Error() string { return fmt.Sprintf("injected fault: %s (call #%d)", f.Op, f.N) }

// Recorder records a response the way net/http's server would send it: headers are committed at
// WriteHeader (later changes are lost), a body is refused on 1xx/204/304 and past a declared
// Content-Length (http.ErrBodyNotAllowed, http.ErrContentLength), dropped for HEAD.
//
// With FailAt = n > 0, its n-th method call (Header, WriteHeader or Write, counted together)
// panics with a *Fault. nethttp's buffering writer delegates Header() to it, so a host function
// touching response headers then panics and the guest traps at that point.
type Recorder struct {
	FailAt int
	Ops    int // method calls so far
	Fired  *Fault

	method        string
	header        http.Header
	committed     http.Header
	status        int
	wroteHeader   bool
	contentLength int64
	written       int64
	body          bytes.Buffer
	headBytes     int
	errs          []error
}

// NewRecorder returns a Recorder for req.
func NewRecorder(req *http.Request) *Recorder {
	return &Recorder{method: req.Method, header: http.Header{}, contentLength: -1}
}

func (w *Recorder) op(name string) {
	w.Ops++
	if w.FailAt > 0 && w.Ops == w.FailAt {
		w.Fired = &Fault{Op: name, N: w.Ops}
		panic(w.Fired)
	}
}

func (w *Recorder) Header() http.Header {
	w.op("Header")
	return w.header
}

func (w *Recorder) WriteHeader(code int) {
	w.op("WriteHeader")
	w.writeHeader(code)
}

func (w *Recorder) writeHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http
	}
	if w.wroteHeader {
		return // "superfluous WriteHeader call": ignored
	}
	if code >= 100 && code <= 199 && code != 101 {
		return // informational: headers not committed
	}
	w.wroteHeader = true
	w.status = code
	w.committed = w.header.Clone()
	if cl := w.committed.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.committed.Del("Content-Length")
		}
	}
}

func (w *Recorder) Write(p []byte) (int, error) {
	w.op("Write")
	if !w.wroteHeader {
		w.writeHeader(200)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		w.errs = append(w.errs, http.ErrBodyNotAllowed)
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		w.errs = append(w.errs, http.ErrContentLength)
		return 0, http.ErrContentLength
	}
	if w.method == http.MethodHead {
		w.headBytes += len(p)
		return len(p), nil
	}
	w.body.Write(p)
	return len(p), nil
}

func (w *Recorder) finish() {
	if !w.wroteHeader {
		w.writeHeader(200)
	}
}

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199, status == 204, status == 304:
		return false
	}
	return true
}

// LockedBuffer is a bytes.Buffer safe for concurrent writers (guest stderr).
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
