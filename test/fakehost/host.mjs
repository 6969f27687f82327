// A JavaScript implementation of the http-wasm host, as Traefik runs it: http-wasm-host-go v0.7.0
// (handler/middleware.go + handler/nethttp), wazero's wasi_snapshot_preview1 with the module
// config Traefik v3.7 uses (real walltime, fake monotonic clock, deterministic random_get,
// stdout/stderr discarded, start functions "_start" then "_initialize"), net/http's
// ResponseWriter rules and, optionally, httputil.ReverseProxy's handling of the backend response.
//
// Library, not a test: node --test loads it (it matches test/**) and finds nothing to run.
//
//   import { createMiddleware, Clock } from './fakehost/host.mjs';
//   const clock = new Clock();
//   const mw = createMiddleware(wasmBytes, { maxTtl: '60s' }, { clock });
//   const res = await mw.serve({ method: 'GET', uri: '/a?x=1', headers: [['host', 'api']] },
//                              (req) => ({ status: 200, headers: [['cache-control', 'max-age=60']], body: 'hi' }));
//   res.status, res.get('x-cache-status'), res.body, res.backendCalls, res.trap, mw.logs
//   clock.advance(61);
//
// Where Traefik's behaviour is not a pure function of host-go (the net/http server and the
// reverse proxy behind the middleware), options choose; defaults are strict (see README.md here).

import { readFileSync } from 'node:fs';
import {
  GoHeader, canonicalHeaderKey, toBinary, fromBinary, parseRequestURI, escapedPath, goJSON,
  statusText, bodyAllowedForStatus,
} from './gonet.mjs';
import { describeModule, signature, formatModule } from './wasminfo.mjs';

export { describeModule, signature, formatModule };

export const FEATURE_BUFFER_REQUEST = 1;
export const FEATURE_BUFFER_RESPONSE = 2;
export const FEATURE_TRAILERS = 4;

/** http_handler ABI as host-go v0.7.0 registers it (instantiateHost). */
export const HTTP_HANDLER_ABI = Object.freeze({
  enable_features: [['i32'], ['i32']],
  get_config: [['i32', 'i32'], ['i32']],
  log_enabled: [['i32'], ['i32']],
  log: [['i32', 'i32', 'i32'], []],
  get_method: [['i32', 'i32'], ['i32']],
  set_method: [['i32', 'i32'], []],
  get_uri: [['i32', 'i32'], ['i32']],
  set_uri: [['i32', 'i32'], []],
  get_protocol_version: [['i32', 'i32'], ['i32']],
  get_header_names: [['i32', 'i32', 'i32'], ['i64']],
  get_header_values: [['i32', 'i32', 'i32', 'i32', 'i32'], ['i64']],
  set_header_value: [['i32', 'i32', 'i32', 'i32', 'i32'], []],
  add_header_value: [['i32', 'i32', 'i32', 'i32', 'i32'], []],
  remove_header: [['i32', 'i32', 'i32'], []],
  read_body: [['i32', 'i32', 'i32'], ['i64']],
  write_body: [['i32', 'i32', 'i32'], []],
  get_source_addr: [['i32', 'i32'], ['i32']],
  get_status_code: [[], ['i32']],
  set_status_code: [['i32'], []],
});

/** wasi_snapshot_preview1 functions this host implements (others answer ENOSYS). */
export const WASI_ABI = Object.freeze({
  args_get: [['i32', 'i32'], ['i32']],
  args_sizes_get: [['i32', 'i32'], ['i32']],
  environ_get: [['i32', 'i32'], ['i32']],
  environ_sizes_get: [['i32', 'i32'], ['i32']],
  clock_res_get: [['i32', 'i32'], ['i32']],
  clock_time_get: [['i32', 'i64', 'i32'], ['i32']],
  fd_write: [['i32', 'i32', 'i32', 'i32'], ['i32']],
  fd_read: [['i32', 'i32', 'i32', 'i32'], ['i32']],
  fd_close: [['i32'], ['i32']],
  fd_fdstat_get: [['i32', 'i32'], ['i32']],
  fd_prestat_get: [['i32', 'i32'], ['i32']],
  fd_prestat_dir_name: [['i32', 'i32', 'i32'], ['i32']],
  fd_seek: [['i32', 'i64', 'i32', 'i32'], ['i32']],
  // File calls of the shared store: no mounts here, so they answer ENOSYS (the Go host and the
  // Traefik suite test the shared store on real directories).
  path_open: [['i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32', 'i32'], ['i32']],
  fd_pread: [['i32', 'i32', 'i32', 'i64', 'i32'], ['i32']],
  fd_pwrite: [['i32', 'i32', 'i32', 'i64', 'i32'], ['i32']],
  fd_filestat_get: [['i32', 'i32'], ['i32']],
  fd_filestat_set_size: [['i32', 'i64'], ['i32']],
  path_filestat_get: [['i32', 'i32', 'i32', 'i32', 'i32'], ['i32']],
  path_create_directory: [['i32', 'i32', 'i32'], ['i32']],
  path_unlink_file: [['i32', 'i32', 'i32'], ['i32']],
  proc_exit: [['i32'], []],
  random_get: [['i32', 'i32'], ['i32']],
  sched_yield: [[], ['i32']],
  poll_oneoff: [['i32', 'i32', 'i32', 'i32'], ['i32']],
});

export const LOG_LEVEL_NAMES = Object.freeze({ '-1': 'debug', 0: 'info', 1: 'warn', 2: 'error', 3: 'fatal' });

const ERR_BODY_NOT_ALLOWED = 'http: request method or response status code does not allow body';
const ERR_CONTENT_LENGTH = 'http: wrote more than the declared Content-Length';
const TRAILER_PREFIX = 'Trailer:';

/** A Go panic raised by a host function: wazero turns it into a trap of the calling guest. */
export class HostPanic extends Error {
  constructor(message, fn) {
    super(message);
    this.name = 'HostPanic';
    this.fn = fn;
  }
}

/** proc_exit: wazero's sys.ExitError. */
export class ExitError extends Error {
  constructor(code) {
    super(`module closed with exit_code(${code})`);
    this.name = 'ExitError';
    this.exitCode = code;
  }
}

/** The error a guest call returned to host-go (what Traefik writes as the 500 body). */
export class GuestError extends Error {
  constructor(message, cause) {
    super(message);
    this.name = 'GuestError';
    this.cause = cause;
  }
}

function featuresString(f) {
  const names = [];
  if (f & 1) names.push('buffer_request');
  if (f & 2) names.push('buffer_response');
  if (f & 4) names.push('trailers');
  return names.join('|');
}

// ---- clock ----------------------------------------------------------------------------------

/** The wall clock the guest reads through clock_time_get(realtime). Tests move it by hand. */
export class Clock {
  constructor(start = Date.UTC(2025, 0, 1, 0, 0, 0)) {
    this.ms = start instanceof Date ? start.getTime() : Number(start);
  }
  /** Milliseconds since the epoch. */
  now() {
    return this.ms;
  }
  /** Seconds since the epoch (float). */
  seconds() {
    return this.ms / 1000;
  }
  advance(seconds) {
    this.ms += seconds * 1000;
    return this;
  }
  set(t) {
    this.ms = t instanceof Date ? t.getTime() : Number(t);
    return this;
  }
  nanos() {
    return BigInt(Math.round(this.ms * 1e6));
  }
  /** IMF-fixdate of now + offsetSeconds (for Date / Expires / Last-Modified headers). */
  httpDate(offsetSeconds = 0) {
    return new Date(Math.floor((this.ms + offsetSeconds * 1000) / 1000) * 1000).toUTCString();
  }
}

/** Deterministic bytes, the same sequence for every instance (like wazero's rand.NewSource(42)). */
function makeRand(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
}

// ---- request / response models ---------------------------------------------------------------

/** A net/http server request body: Read returns io.EOF together with the last bytes. */
class ServerBody {
  constructor(data) {
    this.data = data;
    this.pos = 0;
    this.closed = false;
  }
  read(max) {
    if (this.closed) return { data: Buffer.alloc(0), err: new Error('http: invalid Read on closed Body') };
    if (this.pos >= this.data.length) return { data: Buffer.alloc(0), err: 'EOF' };
    const n = Math.min(max, this.data.length - this.pos);
    const data = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return { data, err: this.pos >= this.data.length ? 'EOF' : null };
  }
  close() {
    this.closed = true;
  }
}

/** bytes.Reader / bytes.Buffer: data without error, then (0, io.EOF). */
class BytesReader {
  constructor(data) {
    this.data = data;
    this.pos = 0;
  }
  read(max) {
    if (this.pos >= this.data.length) return { data: Buffer.alloc(0), err: 'EOF' };
    const n = Math.min(max, this.data.length - this.pos);
    const data = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return { data, err: null };
  }
  close() {}
}

/** bytes.Buffer wrapped in io.NopCloser: the request body after write_body(0, ...). */
class WrittenBody {
  constructor() {
    this.chunks = [];
    this.pos = 0;
  }
  write(b) {
    this.chunks.push(Buffer.from(b));
    return null;
  }
  read(max) {
    const data = Buffer.concat(this.chunks);
    if (this.pos >= data.length) return { data: Buffer.alloc(0), err: 'EOF' };
    const n = Math.min(max, data.length - this.pos);
    const out = data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return { data: out, err: null };
  }
  close() {}
}

/** nethttp bufferingRequestBody, including its quirk: it only keeps bytes read with an error. */
class BufferingRequestBody {
  constructor(delegate) {
    this.delegate = delegate;
    this.buffer = [];
  }
  read(max) {
    const r = this.delegate.read(max);
    if (r.err && r.data.length > 0) this.buffer.push(Buffer.from(r.data));
    return r;
  }
  close() {
    this.delegate?.close();
  }
}

function readAll(body) {
  const parts = [];
  let error = null;
  for (let i = 0; i < 1e6; i++) {
    const r = body.read(65536);
    if (r.data.length) parts.push(Buffer.from(r.data));
    if (r.err === 'EOF') break;
    if (r.err) {
      error = String(r.err.message ?? r.err);
      break;
    }
  }
  return { body: Buffer.concat(parts), error };
}

/**
 * The net/http server's ResponseWriter (*http.response) as far as a handler can observe it:
 * headers are snapshotted by WriteHeader, later changes are not sent; Write commits a 200 first;
 * bodies are refused for 1xx/204/304 and past a declared Content-Length.
 */
class ClientWriter {
  constructor(method, opts) {
    this.method = method;
    this.opts = opts;
    this.h = new GoHeader();
    this.wroteHeader = false;
    this.headersSent = false; // Traefik's recovery wrapper: WriteHeader (not 1xx) or Write seen
    this.status = 0;
    this.sent = null;
    this.informational = [];
    this.contentLength = -1;
    this.written = 0;
    this.chunks = [];
    this.superfluous = [];
    this.writeErrors = [];
  }
  header() {
    return this.h;
  }
  writeHeader(code) {
    if (code < 100 || code > 999) throw new HostPanic(`invalid WriteHeader code ${code}`);
    if (this.wroteHeader) {
      this.superfluous.push(code);
      return;
    }
    if (code >= 100 && code <= 199 && code !== 101) {
      this.informational.push({ status: code, headers: this.h.pairs() });
      return;
    }
    this.headersSent = true;
    this.wroteHeader = true;
    this.status = code;
    const cl = this.h.get('Content-Length');
    if (cl !== '') {
      if (/^[0-9]+$/.test(cl) && cl.length < 19) this.contentLength = Number(cl);
      else this.h.del('Content-Length');
    }
    this.sent = this.h.clone();
  }
  /** Returns null or the error text net/http's Write returns. */
  write(b) {
    this.headersSent = true;
    if (!this.wroteHeader) this.writeHeader(200);
    if (b.length === 0) return null;
    if (!bodyAllowedForStatus(this.status)) return ERR_BODY_NOT_ALLOWED;
    if (this.method === 'HEAD' && this.opts.headBodyWrite === 'panic') return ERR_BODY_NOT_ALLOWED;
    this.written += b.length;
    if (this.contentLength !== -1 && this.written > this.contentLength) return ERR_CONTENT_LENGTH;
    if (this.method !== 'HEAD') this.chunks.push(Buffer.from(b));
    return null;
  }
  finish() {
    if (!this.wroteHeader) this.writeHeader(200);
  }
}

/** nethttp bufferingResponseWriter. */
class BufferingResponseWriter {
  constructor(delegate) {
    this.delegate = delegate;
    this.statusCode = 0;
    this.body = null; // array of Buffers, null = nil
  }
  header() {
    return this.delegate.header();
  }
  write(b) {
    (this.body ??= []).push(Buffer.from(b));
    return null;
  }
  writeHeader(code) {
    this.statusCode = code >>> 0;
  }
  bodyBytes() {
    return this.body ? Buffer.concat(this.body) : Buffer.alloc(0);
  }
  release() {
    if (this.statusCode !== 0) this.delegate.writeHeader(this.statusCode);
    const body = this.bodyBytes();
    if (body.length !== 0) {
      const err = this.delegate.write(body);
      if (err) this.delegate.writeErrors.push(err);
    }
  }
}

function headerPairs(h) {
  if (!h) return [];
  if (h instanceof Map) h = [...h.entries()];
  if (!Array.isArray(h)) h = Object.entries(h);
  const out = [];
  for (const [k, v] of h) {
    if (Array.isArray(v)) for (const x of v) out.push([String(k), String(x)]);
    else out.push([String(k), String(v)]);
  }
  return out;
}

function toBuffer(body) {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(String(body), 'utf8');
}

const HOP_HEADERS = ['Connection', 'Proxy-Connection', 'Keep-Alive', 'Proxy-Authenticate', 'Proxy-Authorization', 'Te', 'Trailer', 'Transfer-Encoding', 'Upgrade'];

/** A response as the client sees it. Header names as Go sends them (canonical). */
export class FakeResponse {
  constructor(fields) {
    Object.assign(this, fields);
  }
  /** All values of a header, case-insensitive. */
  values(name) {
    const k = name.toLowerCase();
    return this.headers.filter(([n]) => n.toLowerCase() === k).map(([, v]) => v);
  }
  /** The values joined by ", ", or null when absent. */
  get(name) {
    const v = this.values(name);
    return v.length ? v.join(', ') : null;
  }
  has(name) {
    return this.values(name).length > 0;
  }
  get text() {
    return this.body.toString('utf8');
  }
  /** X-Cache-Status. */
  get cache() {
    return this.get('x-cache-status');
  }
}

// ---- the guest instance -------------------------------------------------------------------------

function wasmErrorText(message) {
  const map = [
    [/unreachable/, 'unreachable'],
    [/memory access out of bounds|out of bounds memory access/, 'out of bounds memory access'],
    [/divide by zero/, 'integer divide by zero'],
    [/divide result unrepresentable|integer overflow/, 'integer overflow'],
    [/float unrepresentable/, 'invalid conversion to integer'],
    [/function signature mismatch|null function/, 'indirect call type mismatch'],
    [/table index is out of bounds/, 'invalid table access'],
    [/Maximum call stack size exceeded/, 'stack overflow'],
  ];
  for (const [re, text] of map) if (re.test(message)) return text;
  return message;
}

/** Turns what escaped a guest call into the error wazero returns to host-go. */
function toGuestError(e) {
  if (e instanceof GuestError) return e;
  if (e instanceof ExitError) return new GuestError(e.message, e);
  if (e instanceof HostPanic) {
    return new GuestError(`${e.message} (recovered by wazero)\nwasm stack trace:\n\thttp_handler.${e.fn ?? '?'}`, e);
  }
  if (e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /call stack/.test(e.message))) {
    return new GuestError(`wasm error: ${wasmErrorText(e.message)}`, e);
  }
  // Anything else is a bug in this host: let it surface.
  throw e;
}

class GuestInstance {
  constructor(mw, id, startNs) {
    this.mw = mw;
    this.id = id;
    this.exitCode = null;
    this.current = { hs: null, ns: startNs };
    this.nanotime = -1_000_000n;
    this.rand = makeRand(42);
    this.inUse = false;
    this.calls = 0;
    const imports = {};
    for (const imp of mw.info.imports) {
      if (imp.module === 'http_handler') imports.http_handler ??= httpHandlerImports(this);
      else if (imp.module === 'wasi_snapshot_preview1') imports.wasi_snapshot_preview1 ??= wasiImports(this, mw.info);
    }
    this.instance = new WebAssembly.Instance(mw.module, imports);
    this.exports = this.instance.exports;
    this.memory = this.exports.memory;
    for (const name of ['_start', '_initialize']) {
      if (typeof this.exports[name] !== 'function') continue;
      try {
        this.exports[name]();
      } catch (e) {
        if (e instanceof ExitError) {
          this.exitCode = e.exitCode;
          if (e.exitCode === 0) break; // wazero: not an error, but the module is closed
          throw new GuestError(e.message, e);
        }
        const ge = toGuestError(e);
        throw new GuestError(`module[${id}] function[${name}] failed: ${ge.message}`, e);
      }
    }
    this.current = null;
  }
  get closed() {
    return this.exitCode !== null;
  }
  get memoryBytes() {
    return this.memory.buffer.byteLength;
  }
  call(name, ...args) {
    if (this.exitCode !== null) throw new GuestError(`module closed with exit_code(${this.exitCode})`);
    this.calls++;
    try {
      return this.exports[name](...args);
    } catch (e) {
      if (e instanceof ExitError) this.exitCode = e.exitCode;
      throw toGuestError(e);
    }
  }
  // memory helpers (the buffer is re-fetched: memory.grow detaches it)
  bytes() {
    return new Uint8Array(this.memory.buffer);
  }
  mustRead(field, ptr, len, fn) {
    ptr >>>= 0;
    len >>>= 0;
    if (len === 0) return Buffer.alloc(0);
    const mem = this.bytes();
    if (ptr + len > mem.length) throw new HostPanic(`out of memory reading ${field}`, fn);
    return Buffer.from(mem.subarray(ptr, ptr + len));
  }
  mustReadString(field, ptr, len, fn) {
    return this.mustRead(field, ptr, len, fn).toString('latin1');
  }
  /** wazero Memory.Write: silently does nothing when out of range. */
  writeIfFits(ptr, data) {
    const mem = this.bytes();
    ptr >>>= 0;
    if (ptr + data.length > mem.length) return false;
    mem.set(data, ptr);
    return true;
  }
}

function needNs(g, fn) {
  const ns = g.current?.ns;
  if (!ns) throw new HostPanic('interface conversion: interface {} is nil, not *wasm.requestState', fn);
  return ns;
}

function needHs(g, fn) {
  const hs = g.current?.hs;
  if (!hs) throw new HostPanic('interface conversion: interface {} is nil, not *handler.requestState', fn);
  return hs;
}

function mustBeforeNext(g, fn, op, kind) {
  const hs = needHs(g, fn);
  if (hs.afterNext) throw new HostPanic(`can't ${op} ${kind} after next handler`, fn);
  return hs;
}

function mustBeforeNextOrFeature(g, fn, feature, op, kind) {
  const hs = needHs(g, fn);
  if (!hs.afterNext) return hs;
  if (hs.features & feature) return hs;
  throw new HostPanic(`can't ${op} ${kind} after next handler unless ${featuresString(feature)} is enabled`, fn);
}

function mustHeaderMutable(g, fn, op, kind) {
  switch (kind) {
    case 0: return mustBeforeNext(g, fn, op, 'request header');
    case 2: return mustBeforeNext(g, fn, op, 'request trailer');
    case 1: return mustBeforeNextOrFeature(g, fn, FEATURE_BUFFER_RESPONSE, op, 'response header');
    case 3: return mustBeforeNextOrFeature(g, fn, FEATURE_BUFFER_RESPONSE, op, 'response trailer');
    default: throw new HostPanic(`unsupported header kind: ${kind}`, fn);
  }
}

/** nethttp requestState.enableFeatures. */
function nsEnableFeatures(ns, features) {
  ns.features |= features;
  if (features & FEATURE_BUFFER_REQUEST) ns.r.body = new BufferingRequestBody(ns.r.body);
  if (ns.features & FEATURE_BUFFER_RESPONSE && !(ns.w instanceof BufferingResponseWriter)) {
    ns.w = new BufferingResponseWriter(ns.w);
  }
}

function asciiLower(s) {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** handler.writeNULTerminated: count<<32|len, written only when it fits. */
function writeNULTerminated(g, fn, buf, limit, input) {
  const count = input.length;
  if (count === 0) return 0n;
  let byteCount = count;
  for (const s of input) byteCount += s.length;
  const countLen = (BigInt(count) << 32n) | BigInt(byteCount);
  if (byteCount > limit) return countLen;
  const mem = g.bytes();
  if (buf + byteCount > mem.length) throw new HostPanic('out of memory', fn);
  let p = buf;
  for (const s of input) {
    mem.set(Buffer.from(s, 'latin1'), p);
    p += s.length;
    mem[p++] = 0;
  }
  return countLen;
}

function requestHeaderNames(r) {
  // nethttp GetRequestHeaderNames, including its sizing quirk with "Trailer:" keys.
  const keys = r.header.keys();
  let count = keys.length;
  let names;
  let i = 0;
  if (r.host !== '') {
    count++;
    names = new Array(count).fill('');
    names[i++] = 'Host';
  } else if (count === 0) {
    return [];
  } else {
    names = new Array(count).fill('');
  }
  for (const n of keys) {
    if (n.startsWith(TRAILER_PREFIX)) continue;
    names[i++] = n;
  }
  if (names.length === 0) return [];
  return names.sort();
}

function responseHeaderNames(w) {
  const names = w.header().keys().filter((n) => !n.startsWith(TRAILER_PREFIX));
  return names.sort();
}

function trailerNames(h) {
  return h.keys().filter((n) => n.startsWith(TRAILER_PREFIX)).map((n) => n.slice(TRAILER_PREFIX.length)).sort();
}

function requestURI(r) {
  let result = escapedPath(r.url);
  if (result === '') result = '/';
  if (r.url.forceQuery || r.url.rawQuery !== '') result += '?' + r.url.rawQuery;
  return result;
}

function httpHandlerImports(g) {
  const mw = g.mw;
  const u32 = (x) => x >>> 0;
  return {
    enable_features(features) {
      features = u32(features);
      const hs = g.current?.hs;
      const ns = g.current?.ns ?? null;
      let enabled;
      if (hs) {
        enabled = (hs.features | features) >>> 0;
        if (ns) nsEnableFeatures(ns, enabled);
        hs.features = enabled;
      } else {
        enabled = (mw.features | features) >>> 0;
        if (ns) nsEnableFeatures(ns, enabled);
        mw.features = enabled;
      }
      mw.featureCalls.push({ instance: g.id, requested: features, inRequest: !!hs, afterNext: !!hs?.afterNext });
      return enabled | 0;
    },
    get_config(buf, limit) {
      const cfg = mw.configBytes;
      if (cfg.length > u32(limit) || cfg.length === 0) return cfg.length;
      g.writeIfFits(buf, cfg);
      return cfg.length;
    },
    log_enabled(level) {
      return mw.logEnabled(level) ? 1 : 0;
    },
    log(level, ptr, len) {
      if (!mw.logEnabled(level)) return;
      const msg = u32(len) > 0 ? g.mustRead('message', ptr, len, 'log').toString('utf8') : '';
      mw.recordLog(level, msg, g.id);
    },
    get_method(buf, limit) {
      const v = needNs(g, 'get_method').r.method;
      return writeString(g, buf, limit, v);
    },
    set_method(ptr, len) {
      mustBeforeNext(g, 'set_method', 'set', 'method');
      if (u32(len) === 0) throw new HostPanic('HTTP method cannot be empty', 'set_method');
      needNs(g, 'set_method').r.method = g.mustReadString('method', ptr, len, 'set_method');
    },
    get_uri(buf, limit) {
      return writeString(g, buf, limit, requestURI(needNs(g, 'get_uri').r));
    },
    set_uri(ptr, len) {
      mustBeforeNext(g, 'set_uri', 'set', 'uri');
      const p = u32(len) > 0 ? g.mustReadString('uri', ptr, len, 'set_uri') : '';
      const r = needNs(g, 'set_uri').r;
      if (p === '') {
        r.requestURI = '/';
        r.url = { path: '/', rawPath: '/', rawQuery: '', forceQuery: false };
        return;
      }
      let u;
      try {
        u = parseRequestURI(p);
      } catch (e) {
        throw new HostPanic(e.message, 'set_uri');
      }
      r.requestURI = p;
      r.url = u;
    },
    get_protocol_version(buf, limit) {
      const v = needNs(g, 'get_protocol_version').r.proto;
      if (v.length === 0) throw new HostPanic('HTTP protocol version cannot be empty', 'get_protocol_version');
      return writeString(g, buf, limit, v);
    },
    get_source_addr(buf, limit) {
      return writeString(g, buf, limit, needNs(g, 'get_source_addr').r.remoteAddr);
    },
    get_header_names(kind, buf, limit) {
      kind = u32(kind);
      let names;
      switch (kind) {
        case 0: names = requestHeaderNames(needNs(g, 'get_header_names').r); break;
        case 2: names = trailerNames(needNs(g, 'get_header_names').w.header()); break;
        case 1: names = responseHeaderNames(needNs(g, 'get_header_names').w); break;
        case 3: names = trailerNames(needNs(g, 'get_header_names').w.header()); break;
        default: throw new HostPanic(`unsupported header kind: ${kind}`, 'get_header_names');
      }
      names = names.map(asciiLower);
      return writeNULTerminated(g, 'get_header_names', u32(buf), u32(limit), names);
    },
    get_header_values(kind, name, nameLen, buf, limit) {
      kind = u32(kind);
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty', 'get_header_values');
      const n = g.mustReadString('name', name, nameLen, 'get_header_values');
      let values;
      switch (kind) {
        case 0: {
          const r = needNs(g, 'get_header_values').r;
          values = canonicalHeaderKey(n) === 'Host' ? [r.host] : r.header.values(n);
          break;
        }
        case 2: values = needNs(g, 'get_header_values').w.header().values(TRAILER_PREFIX + n); break;
        case 1: values = needNs(g, 'get_header_values').w.header().values(n); break;
        case 3: values = needNs(g, 'get_header_values').w.header().values(TRAILER_PREFIX + n); break;
        default: throw new HostPanic(`unsupported header kind: ${kind}`, 'get_header_values');
      }
      return writeNULTerminated(g, 'get_header_values', u32(buf), u32(limit), values);
    },
    set_header_value(kind, name, nameLen, value, valueLen) {
      headerMutation(g, 'set_header_value', 'set', u32(kind), name, nameLen, value, valueLen);
    },
    add_header_value(kind, name, nameLen, value, valueLen) {
      headerMutation(g, 'add_header_value', 'add', u32(kind), name, nameLen, value, valueLen);
    },
    remove_header(kind, name, nameLen) {
      kind = u32(kind);
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty', 'remove_header');
      mustHeaderMutable(g, 'remove_header', 'remove', kind);
      const n = g.mustReadString('name', name, nameLen, 'remove_header');
      const ns = needNs(g, 'remove_header');
      mw.recordMutation(g, 'remove', kind, n, null);
      switch (kind) {
        case 0: ns.r.header.del(n); break;
        case 2: ns.w.header().del(TRAILER_PREFIX + n); break;
        case 1: ns.w.header().del(n); break;
        case 3: ns.w.header().del(TRAILER_PREFIX + n); break;
      }
    },
    read_body(kind, buf, limit) {
      kind = u32(kind);
      buf = u32(buf);
      limit = u32(limit);
      let reader;
      if (kind === 0) {
        const hs = mustBeforeNextOrFeature(g, 'read_body', FEATURE_BUFFER_REQUEST, 'read', 'request body');
        reader = hs.requestBodyReader ??= needNs(g, 'read_body').r.body;
      } else if (kind === 1) {
        const hs = mustBeforeNextOrFeature(g, 'read_body', FEATURE_BUFFER_RESPONSE, 'read', 'response body');
        if (!hs.responseBodyReader) {
          const w = needNs(g, 'read_body').w;
          if (!(w instanceof BufferingResponseWriter)) {
            throw new HostPanic('interface conversion: http.ResponseWriter is *http.response, not *wasm.bufferingResponseWriter', 'read_body');
          }
          hs.responseBodyReader = new BytesReader(w.bodyBytes());
        }
        reader = hs.responseBodyReader;
      } else {
        throw new HostPanic(`unsupported body kind: ${kind}`, 'read_body');
      }
      if (limit === 0) throw new HostPanic('buf_limit==0 reading body', 'read_body');
      const mem = g.bytes();
      if (buf + limit > mem.length) throw new HostPanic('out of memory reading body', 'read_body');
      let n = 0;
      let err = null;
      while (n < limit && err === null) {
        const r = reader.read(limit - n);
        g.bytes().set(r.data, buf + n);
        n += r.data.length;
        err = r.err;
      }
      if (err === null) return BigInt(n);
      if (err === 'EOF') return (1n << 32n) | BigInt(n);
      throw new HostPanic(`error reading body: ${err.message ?? err}`, 'read_body');
    },
    write_body(kind, ptr, len) {
      kind = u32(kind);
      let w;
      if (kind === 0) {
        const hs = mustBeforeNext(g, 'write_body', 'write', 'request body');
        if (!hs.requestBodyWriter) {
          const ns = needNs(g, 'write_body');
          hs.requestBodyWriter = new WrittenBody();
          ns.r.body = hs.requestBodyWriter;
        }
        w = hs.requestBodyWriter;
      } else if (kind === 1) {
        const hs = mustBeforeNextOrFeature(g, 'write_body', FEATURE_BUFFER_RESPONSE, 'write', 'response body');
        if (!hs.responseBodyWriter) {
          const ns = needNs(g, 'write_body');
          if (ns.w instanceof BufferingResponseWriter) ns.w.body = null;
          hs.responseBodyWriter = ns.w;
        }
        w = hs.responseBodyWriter;
      } else {
        throw new HostPanic(`unsupported body kind: ${kind}`, 'write_body');
      }
      const b = u32(len) > 0 ? g.mustRead('body', ptr, len, 'write_body') : Buffer.alloc(0);
      mw.recordMutation(g, 'write_body', kind, null, b.length);
      const err = w.write(b);
      if (err) throw new HostPanic(`error writing body: ${err}`, 'write_body');
    },
    get_status_code() {
      const w = needNs(g, 'get_status_code').w;
      if (!(w instanceof BufferingResponseWriter)) {
        throw new HostPanic('interface conversion: http.ResponseWriter is *http.response, not *wasm.bufferingResponseWriter', 'get_status_code');
      }
      return (w.statusCode === 0 ? 200 : w.statusCode) | 0;
    },
    set_status_code(code) {
      mustBeforeNextOrFeature(g, 'set_status_code', FEATURE_BUFFER_RESPONSE, 'set', 'status code');
      const ns = needNs(g, 'set_status_code');
      mw.recordMutation(g, 'set_status_code', 1, null, u32(code));
      if (ns.w instanceof BufferingResponseWriter) ns.w.writeHeader(u32(code));
      else {
        try {
          ns.w.writeHeader(code | 0);
        } catch (e) {
          if (e instanceof HostPanic) e.fn = 'set_status_code';
          throw e;
        }
      }
    },
  };
}

function writeString(g, buf, limit, v) {
  const len = v.length;
  if (len > limit >>> 0 || len === 0) return len;
  g.writeIfFits(buf, Buffer.from(v, 'latin1'));
  return len;
}

function headerMutation(g, fn, op, kind, name, nameLen, value, valueLen) {
  if (nameLen >>> 0 === 0) throw new HostPanic('HTTP header name cannot be empty', fn);
  mustHeaderMutable(g, fn, op, kind);
  const n = g.mustReadString('name', name, nameLen, fn);
  const v = g.mustReadString('value', value, valueLen, fn);
  const ns = needNs(g, fn);
  g.mw.recordMutation(g, op, kind, n, v);
  switch (kind) {
    case 0:
      if (op === 'set') ns.r.header.set(n, v);
      else ns.r.header.add(n, v);
      break;
    case 1:
      if (op === 'set') ns.w.header().set(n, v);
      else ns.w.header().add(n, v);
      break;
    case 2:
    case 3:
      ns.w.header().set(TRAILER_PREFIX + n, v); // host-go: addTrailer also Sets
      break;
  }
}

// ---- WASI -------------------------------------------------------------------------------------

function wasiImports(g, info) {
  const mw = g.mw;
  const ESUCCESS = 0;
  const EBADF = 8;
  const EFAULT = 21;
  const EINVAL = 28;
  const ENOSYS = 52;
  const ESPIPE = 70;
  const dv = () => new DataView(g.memory.buffer);
  const fits = (ptr, len) => (ptr >>> 0) + len <= g.memory.buffer.byteLength;
  const envList = Object.entries(mw.opts.env ?? {}).map(([k, v]) => Buffer.from(`${k}=${v}\0`, 'utf8'));
  const impl = {
    args_sizes_get(argcPtr, sizePtr) {
      if (!fits(argcPtr, 4) || !fits(sizePtr, 4)) return EFAULT;
      dv().setUint32(argcPtr >>> 0, 0, true);
      dv().setUint32(sizePtr >>> 0, 0, true);
      return ESUCCESS;
    },
    args_get() {
      return ESUCCESS;
    },
    environ_sizes_get(countPtr, sizePtr) {
      if (!fits(countPtr, 4) || !fits(sizePtr, 4)) return EFAULT;
      dv().setUint32(countPtr >>> 0, envList.length, true);
      dv().setUint32(sizePtr >>> 0, envList.reduce((a, b) => a + b.length, 0), true);
      return ESUCCESS;
    },
    environ_get(environPtr, bufPtr) {
      let p = bufPtr >>> 0;
      const total = envList.reduce((a, b) => a + b.length, 0);
      if (!fits(environPtr, 4 * envList.length) || !fits(bufPtr, total)) return EFAULT;
      envList.forEach((e, i) => {
        dv().setUint32((environPtr >>> 0) + 4 * i, p, true);
        g.bytes().set(e, p);
        p += e.length;
      });
      return ESUCCESS;
    },
    clock_res_get(id, resPtr) {
      let res;
      if (id === 0) res = 1000n; // wazero sys walltime: 1us
      else if (id === 1) res = 1n;
      else return EINVAL;
      if (!fits(resPtr, 8)) return EFAULT;
      dv().setBigUint64(resPtr >>> 0, res, true);
      return ESUCCESS;
    },
    clock_time_get(id, _precision, resPtr) {
      let v;
      if (id === 0) {
        v = mw.clock.nanos();
        mw.clockReads++;
      } else if (id === 1) {
        g.nanotime += 1_000_000n; // wazero's fake nanotime: +1 ms per read, from 0
        v = g.nanotime;
        mw.monotonicReads++;
      } else return EINVAL;
      if (!fits(resPtr, 8)) return EFAULT;
      dv().setBigUint64(resPtr >>> 0, BigInt.asUintN(64, v), true);
      return ESUCCESS;
    },
    random_get(buf, len) {
      buf >>>= 0;
      len >>>= 0;
      if (!fits(buf, len)) return EFAULT;
      const mem = g.bytes();
      for (let i = 0; i < len; i++) mem[buf + i] = g.rand();
      return ESUCCESS;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return EBADF;
      let total = 0;
      const d = dv();
      const parts = [];
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const base = (iovs >>> 0) + 8 * i;
        if (!fits(base, 8)) return EFAULT;
        const ptr = d.getUint32(base, true);
        const len = d.getUint32(base + 4, true);
        if (!fits(ptr, len)) return EFAULT;
        parts.push(Buffer.from(g.bytes().subarray(ptr, ptr + len)));
        total += len;
      }
      mw.stdio[fd === 1 ? 'stdout' : 'stderr'] += Buffer.concat(parts).toString('utf8'); // Traefik discards these
      if (!fits(nwrittenPtr, 4)) return EFAULT;
      dv().setUint32(nwrittenPtr >>> 0, total, true);
      return ESUCCESS;
    },
    fd_read(fd, _iovs, _iovsLen, nreadPtr) {
      if (fd !== 0) return EBADF;
      if (!fits(nreadPtr, 4)) return EFAULT;
      dv().setUint32(nreadPtr >>> 0, 0, true);
      return ESUCCESS;
    },
    fd_close(fd) {
      return fd >= 0 && fd <= 2 ? ESUCCESS : EBADF;
    },
    fd_fdstat_get(fd, ptr) {
      if (fd < 0 || fd > 2) return EBADF;
      if (!fits(ptr, 24)) return EFAULT;
      const d = dv();
      for (let i = 0; i < 24; i++) d.setUint8((ptr >>> 0) + i, 0);
      d.setUint8(ptr >>> 0, 2); // character device
      return ESUCCESS;
    },
    fd_prestat_get() {
      return EBADF;
    },
    fd_prestat_dir_name() {
      return EBADF;
    },
    fd_seek(fd) {
      return fd >= 0 && fd <= 2 ? ESPIPE : EBADF;
    },
    proc_exit(code) {
      g.exitCode = code >>> 0;
      throw new ExitError(code >>> 0);
    },
    sched_yield() {
      return ESUCCESS;
    },
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      nsubs >>>= 0;
      if (nsubs === 0) return EINVAL;
      if (!fits(inPtr, 48 * nsubs) || !fits(outPtr, 32 * nsubs) || !fits(neventsPtr, 4)) return EFAULT;
      const d = dv();
      for (let i = 0; i < nsubs; i++) {
        const s = (inPtr >>> 0) + 48 * i;
        const e = (outPtr >>> 0) + 32 * i;
        const userdata = d.getBigUint64(s, true);
        const tag = d.getUint8(s + 8);
        for (let k = 0; k < 32; k++) d.setUint8(e + k, 0);
        d.setBigUint64(e, userdata, true);
        d.setUint16(e + 8, tag === 0 ? 0 : EBADF, true); // clocks fire at once (fake nanosleep)
        d.setUint8(e + 10, tag);
      }
      d.setUint32(neventsPtr >>> 0, nsubs, true);
      return ESUCCESS;
    },
  };
  const out = {};
  for (const imp of info.imports) {
    if (imp.module !== 'wasi_snapshot_preview1' || imp.kind !== 'function') continue;
    out[imp.name] = impl[imp.name] ?? (() => ENOSYS);
  }
  return out;
}

// ---- the middleware (host-go handler.middleware + nethttp guest) ----------------------------------

/** host-go compileGuest's checks. Returns null or the error text host-go gives. */
export function checkGuestExports(info) {
  const fn = (n) => info.exports.find((e) => e.name === n && e.kind === 'function');
  const hr = fn('handle_request');
  if (!hr) return 'wasm: guest doesn\'t export func[handle_request]';
  if (hr.params.length !== 0 || hr.results.join() !== 'i64') {
    return 'wasm: guest exports the wrong signature for func[handle_request]. should be () -> (i64)';
  }
  const hp = fn('handle_response');
  if (!hp) return 'wasm: guest doesn\'t export func[handle_response]';
  if (hp.params.join() !== 'i32,i32' || hp.results.length !== 0) {
    return 'wasm: guest exports the wrong signature for func[handle_response]. should be (i32, 32) -> ()';
  }
  if (!info.exports.find((e) => e.name === 'memory' && e.kind === 'memory')) {
    return 'wasm: guest doesn\'t export memory[memory]';
  }
  return null;
}

/** wazero's import resolution against the host modules Traefik instantiates. */
export function checkGuestImports(info) {
  for (const imp of info.imports) {
    if (imp.module !== 'http_handler' && imp.module !== 'wasi_snapshot_preview1') {
      return `module[${imp.module}] not instantiated`;
    }
    if (imp.kind !== 'function') return `import ${imp.kind}[${imp.module}.${imp.name}]: not exported by ${imp.module}`;
    const abi = imp.module === 'http_handler' ? HTTP_HANDLER_ABI : WASI_ABI;
    const want = abi[imp.name];
    if (!want) {
      if (imp.module === 'http_handler') return `import func[http_handler.${imp.name}]: not exported in module[http_handler]`;
      continue;
    }
    if (want[0].join() !== imp.params.join() || want[1].join() !== imp.results.join()) {
      return `import func[${imp.module}.${imp.name}]: signature mismatch: ${signature({ params: imp.params, results: imp.results })} != ${signature({ params: want[0], results: want[1] })}`;
    }
  }
  return null;
}

function configBytes(config) {
  if (config === undefined || config === null) return Buffer.alloc(0); // Traefik: nil config -> no GuestConfig
  if (Buffer.isBuffer(config) || config instanceof Uint8Array) return Buffer.from(config);
  if (typeof config === 'string') return Buffer.from(config, 'utf8');
  return Buffer.from(goJSON(config), 'utf8');
}

function makeRequest(req, opts = {}) {
  const method = toBinary(req.method ?? 'GET');
  const uri = toBinary(req.uri ?? req.url ?? '/');
  let url;
  try {
    url = parseRequestURI(uri);
  } catch (e) {
    throw new Error(`net/http would answer 400 before any middleware: ${e.message}`);
  }
  const header = new GoHeader();
  let host = req.host !== undefined ? toBinary(req.host) : null;
  for (const [k, v] of headerPairs(req.headers)) {
    const name = toBinary(k);
    if (canonicalHeaderKey(name) === 'Host') {
      if (host === null) host = toBinary(v);
      continue;
    }
    header.add(name, toBinary(v));
  }
  if (host === null) host = 'localhost';
  const remoteAddr = req.remoteAddr ?? '127.0.0.1:40000';
  if (opts.forwardedHeaders) {
    // Traefik's entryPoint forwardedheaders handler (untrusted client): drop the client's X-Forwarded-*
    // and X-Real-Ip, then set them. X-Forwarded-For is added later by the reverse proxy.
    for (const h of ['X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Forwarded-Server', 'X-Forwarded-Uri', 'X-Forwarded-Method', 'X-Forwarded-Tls-Client-Cert', 'X-Forwarded-Tls-Client-Cert-Info', 'X-Forwarded-Prefix', 'X-Real-Ip']) header.del(h);
    header.set('X-Real-Ip', remoteAddr.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
    header.set('X-Forwarded-Proto', 'http');
    const port = /:(\d+)$/.exec(host);
    header.set('X-Forwarded-Port', port ? port[1] : '80');
    if (host !== '') header.set('X-Forwarded-Host', host);
    header.set('X-Forwarded-Server', opts.forwardedServer ?? 'traefik-fakehost');
  }
  const body = toBuffer(req.body);
  return {
    method,
    url,
    requestURI: uri,
    proto: req.proto ?? 'HTTP/1.1',
    host,
    header,
    body: new ServerBody(body),
    remoteAddr,
  };
}

export class Middleware {
  /**
   * @param wasm bytes (Buffer/Uint8Array/ArrayBuffer) or a file path
   * @param config object (marshalled like Traefik: encoding/json, sorted keys), string/Buffer
   *        (sent as is) or undefined/null (no config: get_config returns 0)
   * @param opts {clock, logger(level, message, instanceId), logEnabled(level) -> bool (Traefik: always
   *        true), env: {}, headBodyWrite: 'panic' | 'discard', proxy: true (emulate
   *        httputil.ReverseProxy around the backend), forwardedHeaders: true (Traefik's entryPoint
   *        X-Forwarded-* / X-Real-Ip rewrite before any middleware), defaultBackend, recordMutations}
   */
  constructor(wasm, config, opts = {}) {
    const bytes = typeof wasm === 'string' ? readFileSync(wasm) : new Uint8Array(wasm);
    this.opts = { headBodyWrite: 'panic', proxy: true, forwardedHeaders: true, ...opts };
    this.clock = opts.clock ?? new Clock();
    this.configBytes = configBytes(config);
    this.logs = [];
    this.mutations = [];
    this.recordMutations = !!opts.recordMutations;
    this.featureCalls = [];
    this.stdio = { stdout: '', stderr: '' };
    this.clockReads = 0;
    this.monotonicReads = 0;
    this.features = 0; // handler.middleware.features (set by enable_features outside a request)
    this.pool = [];
    this.live = new Set();
    this.counters = { created: 0, leaked: 0, dropped: 0, requests: 0 };
    this.runtimeClosed = null;
    this.info = describeModule(bytes);
    const exportErr = checkGuestExports(this.info);
    if (exportErr) throw new Error(exportErr);
    this.module = new WebAssembly.Module(bytes);
    const importErr = checkGuestImports(this.info);
    if (importErr) throw new Error(`wasm: error instantiating guest: ${importErr}`);
    // NewMiddleware: eagerly create one instance ("helps to fail fast").
    const g = this._newGuest(null);
    this.pool.push(g);
    // NewHandler: the nethttp guest captures the features enabled so far.
    this.handlerFeatures = this.features;
  }

  logEnabled(level) {
    return this.opts.logEnabled ? !!this.opts.logEnabled(level) : true;
  }

  recordLog(level, message, instance) {
    const entry = { level: LOG_LEVEL_NAMES[level] ?? `level(${level})`, levelNum: level, message, instance };
    this.logs.push(entry);
    if (typeof this.opts.logger === 'function') this.opts.logger(entry.level, message, instance);
    else if (this.opts.logger?.log) this.opts.logger.log(entry.level, message, instance);
  }

  recordMutation(g, op, kind, name, value) {
    if (!this.recordMutations) return;
    this.mutations.push({ instance: g.id, phase: g.current?.hs?.afterNext ? 'response' : 'request', op, kind, name, value });
  }

  /** Every live instance (pooled or pinned to a request in flight). */
  get instances() {
    return [...this.live];
  }

  get stats() {
    return {
      ...this.counters,
      live: this.live.size,
      pooled: this.pool.length,
      inUse: [...this.live].filter((g) => g.inUse).length,
    };
  }

  /** What two Go GCs do to an idle sync.Pool: every idle instance (and its cache) is gone. */
  dropInstances() {
    for (const g of this.pool) this.live.delete(g);
    this.counters.dropped += this.pool.length;
    const n = this.pool.length;
    this.pool.length = 0;
    return n;
  }

  /** Log lines at or above a level name ('debug' < 'info' < 'warn' < 'error'). */
  logLines(minLevel = 'debug') {
    const order = { debug: -1, info: 0, warn: 1, error: 2, fatal: 3 };
    return this.logs.filter((l) => l.levelNum >= order[minLevel]);
  }

  _newGuest(startNs) {
    if (this.runtimeClosed) throw new Error(`wasm: error instantiating guest: ${this.runtimeClosed}`);
    const id = ++this.counters.created;
    let g;
    try {
      g = new GuestInstance(this, id, startNs);
    } catch (e) {
      // host-go newGuest closes the whole runtime on an instantiation error.
      const msg = e instanceof GuestError ? e.message : (e instanceof WebAssembly.LinkError || e instanceof WebAssembly.RuntimeError ? e.message : null);
      if (msg === null) throw e;
      this.runtimeClosed = 'module closed with exit_code(0)';
      for (const x of this.live) if (x.exitCode === null) x.exitCode = 0;
      throw new Error(`wasm: error instantiating guest: ${msg}`);
    }
    this.live.add(g);
    return g;
  }

  _getOrCreateGuest(ns, newInstance) {
    if (!newInstance && this.pool.length) return this.pool.pop();
    return this._newGuest(ns);
  }

  _putPool(g) {
    g.inUse = false;
    g.current = null;
    if (this.live.has(g)) this.pool.push(g);
  }

  /**
   * Serves one request through the guest, like nethttp guest.ServeHTTP behind Traefik.
   * request: {method, uri, headers: [[name, value], ...] | {name: value}, host?, body?, proto?, remoteAddr?}
   * backend: (req) -> {status, headers, body} (sync or async); req = {method, uri, host, headers,
   *   body, bodyError, get(name)}. Throwing = a transport error (502, or 504 when err.timeout) with
   *   proxy emulation; an error with .panic = a panic in next (handle_response gets isError=1).
   * sopts: {newInstance: true} takes a fresh instance even if one is idle (as under concurrency).
   */
  async serve(request = {}, backend = this.opts.defaultBackend, sopts = {}) {
    backend ??= () => ({ status: 404, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: '404 page not found\n' });
    this.counters.requests++;
    const logStart = this.logs.length;
    const r = makeRequest(request, this.opts);
    const delegate = new ClientWriter(r.method, this.opts);
    const ns = { r, w: delegate, features: 0 };
    nsEnableFeatures(ns, this.handlerFeatures);
    const result = {
      trap: null,
      aborted: false,
      backendCalls: 0,
      backendRequest: null,
      isError: false,
      next: false,
      reqCtx: 0,
      handleRequestResult: null,
      instanceId: null,
      leaked: false,
    };

    // middleware.HandleRequest
    let ctxNext = 0n;
    let requestErr = null;
    let g = null;
    let hs = null;
    try {
      g = this._getOrCreateGuest(ns, sopts.newInstance);
    } catch (e) {
      requestErr = e;
      result.trap = { phase: 'instantiate', message: e.message };
    }
    if (g) {
      result.instanceId = g.id;
      g.inUse = true;
      hs = {
        afterNext: false,
        features: this.features,
        requestBodyReader: null,
        requestBodyWriter: null,
        responseBodyReader: null,
        responseBodyWriter: null,
      };
      g.current = { hs, ns };
      try {
        ctxNext = BigInt.asUintN(64, g.call('handle_request'));
      } catch (e) {
        requestErr = toGuestError(e);
        result.trap = { phase: 'request', message: requestErr.message };
        ctxNext = 0n;
      }
      result.handleRequestResult = ctxNext;
      if (ctxNext !== 0n) {
        closeRequest(hs);
      } else {
        closeRequest(hs);
        this._putPool(g);
      }
    }
    if (requestErr) {
      // nethttp handleErr writes to the original writer, not the buffering one.
      delegate.writeHeader(500);
      delegate.write(Buffer.from(requestErr.message, 'utf8'));
    }
    const bw = ns.w instanceof BufferingResponseWriter ? ns.w : null;
    let panic = null;
    try {
      if ((ctxNext & 0xffffffffn) !== 0n) {
        result.next = true;
        result.reqCtx = Number(ctxNext >> 32n);
        const err = await this._handleNext(ns, backend, result);
        result.isError = !!err;
        // middleware.HandleResponse
        hs.afterNext = true;
        g.current = { hs, ns };
        try {
          g.call('handle_response', result.reqCtx | 0, err ? 1 : 0);
        } catch (e) {
          panic = toGuestError(e);
          result.trap = { phase: 'response', message: panic.message };
        } finally {
          closeRequest(hs);
          this._putPool(g);
        }
      } else if (ctxNext !== 0n && g) {
        // next=0 with a non-zero ctx: HandleRequest did not return the instance to the pool.
        result.leaked = true;
        g.inUse = false;
        g.current = null;
        this.live.delete(g);
        this.counters.leaked++;
      }
    } finally {
      if (bw) {
        try {
          bw.release();
        } catch (e) {
          if (!(e instanceof HostPanic)) throw e;
          panic ??= e;
        }
      }
    }
    if (panic) {
      // Traefik's recovery middleware.
      if (delegate.headersSent) {
        result.aborted = true;
      } else {
        const h = delegate.header();
        h.del('Content-Length');
        h.set('Content-Type', 'text/plain; charset=utf-8');
        h.set('X-Content-Type-Options', 'nosniff');
        delegate.writeHeader(500);
        delegate.write(Buffer.from('Internal Server Error\n'));
      }
      result.panic = panic.message;
    }
    delegate.finish();
    return new FakeResponse({
      status: delegate.status,
      headers: delegate.sent.pairs().map(([k, v]) => [fromBinary(k), fromBinary(v)]),
      body: Buffer.concat(delegate.chunks),
      informational: delegate.informational,
      superfluousWriteHeader: delegate.superfluous,
      writeErrors: delegate.writeErrors,
      logs: this.logs.slice(logStart),
      ...result,
    });
  }

  /** nethttp requestState.handleNext + the next handler (the backend behind a reverse proxy). */
  async _handleNext(ns, backend, result) {
    if (ns.r.body instanceof BufferingRequestBody) {
      const br = ns.r.body;
      if (br.buffer.length === 0) ns.r.body = br.delegate;
      else {
        br.close();
        ns.r.body = new BytesReader(Buffer.concat(br.buffer));
      }
    }
    const r = ns.r;
    const { body, error } = readAll(r.body);
    const headers = r.header.pairs().map(([k, v]) => [fromBinary(k), fromBinary(v)]);
    const outReq = {
      method: fromBinary(r.method),
      uri: fromBinary(requestURI(r)),
      host: fromBinary(r.host),
      proto: r.proto,
      headers,
      body,
      bodyError: error,
      get(name) {
        const k = name.toLowerCase();
        if (k === 'host') return this.host;
        const v = headers.filter(([n]) => n.toLowerCase() === k).map(([, x]) => x);
        return v.length ? v.join(', ') : null;
      },
    };
    result.backendCalls++;
    result.backendRequest = outReq;
    try {
      let out;
      try {
        out = await backend(outReq);
      } catch (e) {
        result.backendError = e;
        if (e?.panic || !this.opts.proxy) throw e;
        const code = e?.timeout || e?.code === 'ETIMEDOUT' ? 504 : 502;
        ns.w.writeHeader(code);
        ns.w.write(Buffer.from(statusText(code)));
        return null;
      }
      out ??= {};
      const status = out.status ?? 200;
      let pairs = headerPairs(out.headers).map(([k, v]) => [toBinary(k), toBinary(v)]);
      let bodyBytes = toBuffer(out.body);
      if (this.opts.proxy) {
        // Go's transport gives no body for these; ReverseProxy drops hop-by-hop headers.
        if (r.method === 'HEAD' || !bodyAllowedForStatus(status)) bodyBytes = Buffer.alloc(0);
        const tmp = GoHeader.from(pairs);
        for (const c of tmp.values('Connection')) {
          for (const f of c.split(',')) if (f.trim()) tmp.del(f.trim());
        }
        for (const hh of HOP_HEADERS) tmp.del(hh);
        pairs = tmp.pairs();
      }
      const w = ns.w;
      for (const [k, v] of pairs) w.header().add(k, v);
      w.writeHeader(status);
      if (bodyBytes.length) {
        const err = w.write(bodyBytes);
        if (err) throw new Error(`net/http: abort Handler (${err})`);
      }
      return null;
    } catch (e) {
      if (e instanceof HostPanic || e instanceof Error || e?.panic) return e; // recovered in handleNext
      return new Error(String(e));
    }
  }
}

function closeRequest(hs) {
  hs.requestBodyWriter = null;
  if (hs.requestBodyReader) {
    hs.requestBodyReader.close();
    hs.requestBodyReader = null;
  }
}

/** createMiddleware(wasmBytes, config, opts) -> Middleware (see the class). */
export function createMiddleware(wasm, config, opts) {
  return new Middleware(wasm, config, opts);
}

/** The release build's path in this repository. */
export const PLUGIN_WASM = new URL('../../build/plugin.wasm', import.meta.url).pathname;

/** Lists a module's imports and exports with signatures. */
export function listModule(wasm) {
  const bytes = typeof wasm === 'string' ? readFileSync(wasm) : new Uint8Array(wasm);
  const info = describeModule(bytes);
  return { ...info, text: formatModule(info) };
}
