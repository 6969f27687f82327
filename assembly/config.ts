// The plugin configuration: parsed once per instance from the JSON Traefik passes. Scalars may be
// JSON values or strings (the file provider sends strings). An unknown key or an invalid value
// is an error naming the key and the value; the plugin then refuses to serve.
import { LOG_LEVEL_DEBUG, LOG_LEVEL_ERROR, LOG_LEVEL_INFO, LOG_LEVEL_WARN } from "./abi/constants";
import { JsonKind, JsonValue, parseJson } from "./config/json";
import { parseDuration, parseSize } from "./config/units";

const KIB: i64 = 1 << 10;
const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;

export const DEFAULT_MAX_TTL_MS: i64 = 300_000;
export const DEFAULT_MAX_OBJECT_SIZE: i64 = MIB;
export const DEFAULT_MEMORY_LIMIT: i64 = 64 * MIB;
export const MIN_MEMORY_LIMIT: i64 = MIB;
/** The arena is one allocator block, and AssemblyScript's allocator caps a block below 1 GiB. */
export const MAX_MEMORY_LIMIT: i64 = GIB - MIB;
/** A stored object may use at most this fraction of the memory limit. */
export const MAX_OBJECT_FRACTION: i64 = 4;
export const DEFAULT_CACHE_NAME = "httpcache";

export class Config {
  maxTtlMs: i64 = DEFAULT_MAX_TTL_MS;
  defaultTtlMs: i64 = 0;
  cacheGet: bool = true;
  cacheHead: bool = true;
  /** Inclusive [from, to] pairs of status codes never stored. */
  excludedStatus: i32[] = [];
  maxObjectSize: i64 = DEFAULT_MAX_OBJECT_SIZE;
  memoryLimit: i64 = DEFAULT_MEMORY_LIMIT;
  ignoreQuery: bool = false;
  ignoredQueryParams: ArrayBuffer[] = [];
  /** Lowercase request header names added to the key. */
  keyHeaders: ArrayBuffer[] = [];
  stripSetCookie: bool = false;
  cacheName: string = DEFAULT_CACHE_NAME;
  statusHeaders: bool = true;
  logLevel: i32 = LOG_LEVEL_INFO;

  isExcluded(status: u32): bool {
    for (let i = 0; i + 1 < this.excludedStatus.length; i += 2) {
      if (<i32>status >= this.excludedStatus[i] && <i32>status <= this.excludedStatus[i + 1]) return true;
    }
    return false;
  }
}

export class ConfigResult {
  config: Config = new Config();
  error: string = "";
}

/** Thrown-free error collection: the first error wins. */
class Reader {
  error: string = "";

  fail(key: string, expected: string, value: JsonValue): void {
    if (this.error.length == 0) this.error = "key \"" + key + "\": expected " + expected + " (got " + value.describe() + ")";
  }

  /** For one member of a list: names the member rather than "a list". */
  failItem(key: string, expected: string, item: string): void {
    if (this.error.length == 0) this.error = "key \"" + key + "\": expected " + expected + " (got \"" + item + "\")";
  }

  failMessage(message: string): void {
    if (this.error.length == 0) this.error = message;
  }

  scalar(v: JsonValue): string | null {
    if (v.kind == JsonKind.String || v.kind == JsonKind.Number || v.kind == JsonKind.Bool) return v.text;
    return null;
  }

  boolean(key: string, v: JsonValue): bool {
    const s = this.scalar(v);
    if (s !== null) {
      const t = s.trim().toLowerCase();
      if (t == "true") return true;
      if (t == "false") return false;
    }
    this.fail(key, "true or false", v);
    return false;
  }

  duration(key: string, v: JsonValue): i64 {
    const s = this.scalar(v);
    const ms = s !== null && v.kind != JsonKind.Bool ? parseDuration(s) : -1;
    if (ms < 0) this.fail(key, "a duration such as 300, \"30s\" or \"5m\"", v);
    return ms;
  }

  size(key: string, v: JsonValue): i64 {
    const s = this.scalar(v);
    const bytes = s !== null && v.kind != JsonKind.Bool ? parseSize(s) : -1;
    if (bytes < 0) this.fail(key, "a size such as 1048576, \"512Ki\" or \"64Mi\"", v);
    return bytes;
  }

  string(key: string, v: JsonValue): string {
    if (v.kind == JsonKind.String) return v.text;
    this.fail(key, "a string", v);
    return "";
  }

  /** A list of strings; a single string is split on commas (some providers flatten lists). */
  list(key: string, v: JsonValue): string[] {
    const out: string[] = [];
    if (v.kind == JsonKind.Null) return out;
    if (v.kind == JsonKind.Array) {
      for (let i = 0; i < v.items.length; i++) {
        const s = this.scalar(v.items[i]);
        if (s === null) {
          this.fail(key, "a list of strings", v.items[i]);
          return out;
        }
        out.push(s.trim());
      }
      return out;
    }
    if (v.kind == JsonKind.String || v.kind == JsonKind.Number) {
      const parts = v.text.split(",");
      for (let i = 0; i < parts.length; i++) {
        const s = parts[i].trim();
        if (s.length > 0) out.push(s);
      }
      return out;
    }
    this.fail(key, "a list", v);
    return out;
  }

  object(key: string, v: JsonValue): bool {
    if (v.kind == JsonKind.Object) return true;
    if (v.kind != JsonKind.Null) this.fail(key, "an object", v);
    return false;
  }

  unknown(prefix: string, v: JsonValue, known: string[]): void {
    for (let i = 0; i < v.keys.length; i++) {
      if (!known.includes(v.keys[i])) {
        this.failMessage("unknown key \"" + prefix + v.keys[i] + "\" (known keys: " + known.join(", ") + ")");
        return;
      }
    }
  }
}

function isTokenChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a ||
    c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

function isToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** RFC 8941 sf-token, which is what Cache-Status names a cache with. */
function isStructuredToken(s: string): bool {
  if (s.length == 0) return false;
  const first = s.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first == 0x2a)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenChar(c) && c != 0x3a && c != 0x2f) return false;
  }
  return true;
}

function parseStatus(text: string): i32 {
  if (text.length != 3) return -1;
  for (let i = 0; i < 3; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  const code = I32.parseInt(text);
  return code >= 100 && code <= 599 ? code : -1;
}

const TOP_KEYS = ["maxTtl", "defaultTtl", "methods", "excludedResponseCodes", "maxObjectSize", "store", "key",
  "setCookie", "cacheName", "disableCacheStatusHeader", "logLevel"];
const STORE_KEYS = ["memory"];
const MEMORY_KEYS = ["limit"];
const KEY_KEYS = ["ignoreQuery", "ignoredQueryParams", "headers"];

function readStore(r: Reader, c: Config, v: JsonValue): void {
  if (!r.object("store", v)) return;
  r.unknown("store.", v, STORE_KEYS);
  const memory = v.get("memory");
  if (memory !== null && r.object("store.memory", memory)) {
    r.unknown("store.memory.", memory, MEMORY_KEYS);
    const limit = memory.get("limit");
    if (limit !== null) {
      c.memoryLimit = r.size("store.memory.limit", limit);
      if (r.error.length == 0 && (c.memoryLimit < MIN_MEMORY_LIMIT || c.memoryLimit > MAX_MEMORY_LIMIT)) {
        r.fail("store.memory.limit", "a size from 1Mi to 1023Mi", limit);
      }
    }
  }
}

function readKey(r: Reader, c: Config, v: JsonValue): void {
  if (!r.object("key", v)) return;
  r.unknown("key.", v, KEY_KEYS);
  const ignoreQuery = v.get("ignoreQuery");
  if (ignoreQuery !== null) c.ignoreQuery = r.boolean("key.ignoreQuery", ignoreQuery);
  const params = v.get("ignoredQueryParams");
  if (params !== null) {
    const names = r.list("key.ignoredQueryParams", params);
    for (let i = 0; i < names.length; i++) c.ignoredQueryParams.push(String.UTF8.encode(names[i]));
  }
  const headers = v.get("headers");
  if (headers !== null) {
    const names = r.list("key.headers", headers);
    for (let i = 0; i < names.length; i++) {
      if (!isToken(names[i])) {
        r.failItem("key.headers", "header names", names[i]);
        return;
      }
      c.keyHeaders.push(String.UTF8.encode(names[i].toLowerCase()));
    }
  }
}

function readTop(r: Reader, c: Config, root: JsonValue): void {
  r.unknown("", root, TOP_KEYS);
  let v = root.get("maxTtl");
  if (v !== null) c.maxTtlMs = r.duration("maxTtl", v);
  v = root.get("defaultTtl");
  if (v !== null) c.defaultTtlMs = r.duration("defaultTtl", v);
  v = root.get("methods");
  if (v !== null) {
    const methods = r.list("methods", v);
    c.cacheGet = false;
    c.cacheHead = false;
    for (let i = 0; i < methods.length; i++) {
      const m = methods[i].toUpperCase();
      if (m == "GET") c.cacheGet = true;
      else if (m == "HEAD") c.cacheHead = true;
      else {
        r.failItem("methods", "GET and/or HEAD (only safe methods are cached)", methods[i]);
        break;
      }
    }
    if (methods.length == 0) r.fail("methods", "at least one of GET, HEAD", v);
  }
  v = root.get("excludedResponseCodes");
  if (v !== null) {
    const codes = r.list("excludedResponseCodes", v);
    for (let i = 0; i < codes.length; i++) {
      const dash = codes[i].indexOf("-");
      const from = parseStatus(dash < 0 ? codes[i] : codes[i].substring(0, dash).trim());
      const to = dash < 0 ? from : parseStatus(codes[i].substring(dash + 1).trim());
      if (from < 0 || to < from) {
        r.failItem("excludedResponseCodes", "status codes or ranges such as 500-599", codes[i]);
        break;
      }
      c.excludedStatus.push(from);
      c.excludedStatus.push(to);
    }
  }
  const maxObjectSize = root.get("maxObjectSize");
  if (maxObjectSize !== null) c.maxObjectSize = r.size("maxObjectSize", maxObjectSize);
  v = root.get("store");
  if (v !== null) readStore(r, c, v);
  v = root.get("key");
  if (v !== null) readKey(r, c, v);
  v = root.get("setCookie");
  if (v !== null) {
    const mode = r.string("setCookie", v);
    if (mode == "strip") c.stripSetCookie = true;
    else if (mode != "bypass") r.fail("setCookie", "\"bypass\" or \"strip\"", v);
  }
  v = root.get("cacheName");
  if (v !== null) {
    c.cacheName = r.string("cacheName", v);
    if (!isStructuredToken(c.cacheName)) r.fail("cacheName", "a token such as \"gateway-cache\"", v);
  }
  v = root.get("disableCacheStatusHeader");
  if (v !== null) c.statusHeaders = !r.boolean("disableCacheStatusHeader", v);
  v = root.get("logLevel");
  if (v !== null) {
    const level = r.string("logLevel", v).toLowerCase();
    if (level == "debug") c.logLevel = LOG_LEVEL_DEBUG;
    else if (level == "info") c.logLevel = LOG_LEVEL_INFO;
    else if (level == "warn" || level == "warning") c.logLevel = LOG_LEVEL_WARN;
    else if (level == "error") c.logLevel = LOG_LEVEL_ERROR;
    else r.fail("logLevel", "debug, info, warn or error", v);
  }
  // Unset, the object size follows a small memory limit down; set, it must fit in it.
  if (maxObjectSize === null && c.maxObjectSize > c.memoryLimit / MAX_OBJECT_FRACTION) {
    c.maxObjectSize = c.memoryLimit / MAX_OBJECT_FRACTION;
  }
  if (r.error.length == 0 && c.maxObjectSize > c.memoryLimit / MAX_OBJECT_FRACTION) {
    r.failMessage("key \"maxObjectSize\": must be at most a quarter of store.memory.limit (" +
      (c.memoryLimit / KIB).toString() + "Ki), got " + c.maxObjectSize.toString() + " bytes");
  }
}

/** Parses the configuration text; an empty text, `null` and `{}` give the defaults. */
export function parseConfig(text: string): ConfigResult {
  const result = new ConfigResult();
  if (text.trim().length == 0) return result;
  const json = parseJson(text);
  if (json.value === null) {
    result.error = "not valid JSON: " + json.error;
    return result;
  }
  const root = json.value!;
  if (root.kind == JsonKind.Null) return result;
  if (root.kind != JsonKind.Object) {
    result.error = "expected an object of settings (got " + root.describe() + ")";
    return result;
  }
  const reader = new Reader();
  readTop(reader, result.config, root);
  result.error = reader.error;
  return result;
}
