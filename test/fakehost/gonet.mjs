// Go standard-library behaviour the fake host needs to mirror exactly: net/textproto header
// canonicalisation, http.Header, net/url request-URI parsing and EscapedPath, encoding/json map
// marshalling (what Traefik sends as the guest config). Strings here are "binary strings": one
// char per byte (latin1), as Go strings are bytes.
//
// This file is a library, not a test: node --test loads it (it matches test/**) and finds nothing.

/** UTF-8 JS string -> binary string (one char per byte). */
export function toBinary(s) {
  return Buffer.from(String(s), 'utf8').toString('latin1');
}

/** binary string -> UTF-8 JS string. */
export function fromBinary(s) {
  return Buffer.from(s, 'latin1').toString('utf8');
}

// ---- net/textproto.CanonicalMIMEHeaderKey ----------------------------------------------------

const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

function validHeaderFieldByte(c) {
  return c < 128 && TOKEN[c] === 1;
}

/**
 * textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type". A key holding a byte that
 * is not a token character (space included) is returned unchanged.
 */
export function canonicalHeaderKey(s) {
  let upper = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!validHeaderFieldByte(c)) return s;
    if (upper && c >= 0x61 && c <= 0x7a) return canonicalize(s);
    if (!upper && c >= 0x41 && c <= 0x5a) return canonicalize(s);
    upper = c === 0x2d;
  }
  return s;
}

function canonicalize(s) {
  let out = '';
  let upper = true;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (upper && c >= 0x61 && c <= 0x7a) c -= 32;
    else if (!upper && c >= 0x41 && c <= 0x5a) c += 32;
    out += String.fromCharCode(c);
    upper = c === 0x2d;
  }
  return out;
}

// ---- net/http.Header -----------------------------------------------------------------------

/** A Go http.Header: canonical key -> list of values; insertion-ordered values per key. */
export class GoHeader {
  constructor() {
    this.map = new Map();
  }
  static from(pairs) {
    const h = new GoHeader();
    for (const [k, v] of pairs) h.add(k, v);
    return h;
  }
  values(key) {
    return this.map.get(canonicalHeaderKey(key))?.slice() ?? [];
  }
  get(key) {
    const v = this.map.get(canonicalHeaderKey(key));
    return v && v.length ? v[0] : '';
  }
  set(key, value) {
    this.map.set(canonicalHeaderKey(key), [value]);
  }
  add(key, value) {
    const k = canonicalHeaderKey(key);
    const v = this.map.get(k);
    if (v) v.push(value);
    else this.map.set(k, [value]);
  }
  del(key) {
    this.map.delete(canonicalHeaderKey(key));
  }
  /** Raw map access (no canonicalisation), as Go code indexing header[key] does. */
  rawValues(key) {
    return this.map.get(key)?.slice() ?? [];
  }
  rawSet(key, values) {
    this.map.set(key, values.slice());
  }
  rawDel(key) {
    this.map.delete(key);
  }
  keys() {
    return [...this.map.keys()];
  }
  get size() {
    return this.map.size;
  }
  clone() {
    const h = new GoHeader();
    for (const [k, v] of this.map) h.map.set(k, v.slice());
    return h;
  }
  /** [[key, value], ...] sorted by key (as Header.Write sends them), values in order. */
  pairs() {
    const out = [];
    for (const k of [...this.map.keys()].sort(goLess)) {
      for (const v of this.map.get(k)) out.push([k, v]);
    }
    return out;
  }
}

/** Go's string ordering: bytewise. Binary strings compare bytewise with plain < . */
export function goLess(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- net/url --------------------------------------------------------------------------------

function isAlnum(c) {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** url.shouldEscape(c, encodePath). */
function shouldEscapePath(c) {
  if (isAlnum(c)) return false;
  switch (c) {
    case 0x2d: case 0x5f: case 0x2e: case 0x7e: // - _ . ~
      return false;
    case 0x24: case 0x26: case 0x2b: case 0x2c: case 0x2f: case 0x3a: case 0x3b: case 0x3d:
    case 0x3f: case 0x40: // $ & + , / : ; = ? @
      return c === 0x3f;
  }
  return true;
}

const HEX = '0123456789ABCDEF';

/** url.escape(s, encodePath) on a binary string. */
export function escapePath(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += shouldEscapePath(c) ? '%' + HEX[c >> 4] + HEX[c & 15] : s[i];
  }
  return out;
}

function unhex(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** url.unescape(s, encodePath): throws on a bad escape. */
export function unescapePath(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const a = i + 2 < s.length ? unhex(s.charCodeAt(i + 1)) : -1;
      const b = i + 2 < s.length ? unhex(s.charCodeAt(i + 2)) : -1;
      if (a < 0 || b < 0) {
        let bad = s.slice(i, i + 3);
        throw new Error(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      out += String.fromCharCode(a * 16 + b);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/** url.validEncoded(s, encodePath). */
function validEncodedPath(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if ("!$&'()*+,;=:@[]%".includes(c)) continue;
    if (shouldEscapePath(s.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * url.ParseRequestURI for origin-form ("/path?query") and "*" request targets. Returns
 * {path, rawPath, rawQuery, forceQuery}; throws like Go on what Go rejects.
 */
export function parseRequestURI(raw) {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new Error(`parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`);
  }
  if (raw === '') throw new Error('parse "": empty url');
  if (raw === '*') return { path: '*', rawPath: '', rawQuery: '', forceQuery: false };
  let rest = raw;
  let rawQuery = '';
  let forceQuery = false;
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    // A scheme ("http://h/p") is accepted by Go; this host keeps to origin-form targets.
    throw new Error(`parse ${JSON.stringify(raw)}: invalid URI for request`);
  }
  let path;
  try {
    path = unescapePath(rest);
  } catch (e) {
    throw new Error(`parse ${JSON.stringify(raw)}: ${e.message}`);
  }
  const rawPath = escapePath(path) === rest ? '' : rest;
  return { path, rawPath, rawQuery, forceQuery };
}

/** url.URL.EscapedPath(). */
export function escapedPath(u) {
  if (u.rawPath !== '' && validEncodedPath(u.rawPath)) {
    try {
      if (unescapePath(u.rawPath) === u.path) return u.rawPath;
    } catch {
      // fall through
    }
  }
  if (u.path === '*') return '*';
  return escapePath(u.path);
}

// ---- encoding/json.Marshal of map[string]any ------------------------------------------------

function goFloat(n) {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n}`);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go: 'e' format with at least two exponent digits: 1e-07, 1e+21
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

function goString(s) {
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** encoding/json.Marshal as Go does it for a decoded map[string]any: sorted keys, HTML escaping. */
export function goJSON(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return goString(v);
  if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => goLess(toBinary(a), toBinary(b)));
    return '{' + keys.map((k) => goString(k) + ':' + goJSON(v[k])).join(',') + '}';
  }
  throw new Error(`json: unsupported type ${typeof v}`);
}

/** http.StatusText for the codes the host itself writes. */
export function statusText(code) {
  return ({ 200: 'OK', 500: 'Internal Server Error', 502: 'Bad Gateway', 504: 'Gateway Timeout' })[code] ?? '';
}

/** net/http bodyAllowedForStatus. */
export function bodyAllowedForStatus(status) {
  if (status >= 100 && status <= 199) return false;
  if (status === 204 || status === 304) return false;
  return true;
}
