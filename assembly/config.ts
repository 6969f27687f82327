// The plugin configuration: parsed once per instance from the JSON Traefik passes. Scalars may be
// JSON values or strings (the file provider sends strings). An unknown key or an invalid value
// is an error naming the key and the value; the plugin then refuses to serve.
import { LOG_LEVEL_DEBUG, LOG_LEVEL_ERROR, LOG_LEVEL_INFO, LOG_LEVEL_WARN } from "./abi/constants";
import { JsonKind, JsonValue, parseJson } from "./config/json";
import { EnvLookup, noEnvironment, readPurge } from "./config/purge";
import { Reader } from "./config/reader";
import { KIB, MIB } from "./config/units";
import { DEFAULT_MEMORY_LIMIT, DEFAULT_SHARED_LIMIT, StoreRequest, chooseStore, readStore } from "./config/store";
import { isTokenChar } from "./http/bytes";

export { EnvLookup } from "./config/purge";


export const DEFAULT_MAX_TTL_MS: i64 = 300_000;
export const DEFAULT_MAX_OBJECT_SIZE: i64 = MIB;
/** A stored object may use at most this fraction of the memory limit. */
export const MAX_OBJECT_FRACTION: i64 = 4;
export const DEFAULT_CACHE_NAME = "httpcache";
/** A stored object may use at most this fraction of the shared store's file. */
export const MAX_OBJECT_SHARED_FRACTION: i64 = 8;
export const DEFAULT_PURGE_PATH = "/_cache/purge";
export const DEFAULT_TAG_HEADERS = ["Surrogate-Key", "Cache-Tag"];
/** RFC 9213 targeted cache-control fields, in precedence order. */
export const DEFAULT_TARGETED_FIELDS = ["CDN-Cache-Control"];

export class Config {
  maxTtlMs: i64 = DEFAULT_MAX_TTL_MS;
  defaultTtlMs: i64 = 0;
  cacheGet: bool = true;
  cacheHead: bool = true;
  /** Inclusive [from, to] pairs of status codes never stored. */
  excludedStatus: i32[] = [];
  maxObjectSize: i64 = DEFAULT_MAX_OBJECT_SIZE;
  /** Each instance's memory store, or its memory front when there is a shared store. */
  memoryLimit: i64 = DEFAULT_MEMORY_LIMIT;
  ignoreQuery: bool = false;
  ignoredQueryParams: ArrayBuffer[] = [];
  /** Lowercase request header names added to the key. */
  keyHeaders: ArrayBuffer[] = [];
  stripSetCookie: bool = false;
  cacheName: string = DEFAULT_CACHE_NAME;
  statusHeaders: bool = true;
  logLevel: i32 = LOG_LEVEL_INFO;
  /** Guest-side directory of the shared store (given, or chosen among the mounts); "" = memory only. */
  sharedPath: string = "";
  sharedLimit: i64 = DEFAULT_SHARED_LIMIT;
  /** Memory only because nothing is mounted: told once per middleware at start-up (not per instance). */
  memoryOnlyNotice: string = "";
  purgeEnabled: bool = false;
  /** The purge token's bytes (from purge.token or the variable purge.tokenEnv names); never empty when enabled. */
  purgeToken: ArrayBuffer = new ArrayBuffer(0);
  purgePath: ArrayBuffer = String.UTF8.encode(DEFAULT_PURGE_PATH);
  /** Lowercase names of the response headers whose values are tags. */
  tagHeaders: ArrayBuffer[] = defaultTagHeaders();
  keepTagHeaders: bool = false;
  /** Ignore the request's Cache-Control and Pragma (no-cache, max-age, min-fresh, max-stale, only-if-cached, no-store). */
  ignoreRequestCacheControl: bool = false;
  /** Without explicit freshness: 10 % of (Date - Last-Modified), capped by maxTtl, instead of defaultTtl. */
  heuristicFreshness: bool = false;
  /** Lowercase RFC 9213 field names in precedence order; the first present replaces Cache-Control. Empty = off. */
  targetedFields: ArrayBuffer[] = lowercaseNames(DEFAULT_TARGETED_FIELDS);
  /** Every stored response's stale-while-revalidate window is at least this (unless it forbids serving stale). */
  maxStaleMs: i64 = 0;
  /** Serve stale up to this long past freshness when the backend fails (unless the response forbids serving stale). */
  staleIfErrorMs: i64 = 0;

  isExcluded(status: u32): bool {
    for (let i = 0; i + 1 < this.excludedStatus.length; i += 2) {
      if (<i32>status >= this.excludedStatus[i] && <i32>status <= this.excludedStatus[i + 1]) return true;
    }
    return false;
  }
}

function defaultTagHeaders(): ArrayBuffer[] {
  return lowercaseNames(DEFAULT_TAG_HEADERS);
}

function lowercaseNames(list: string[]): ArrayBuffer[] {
  const names: ArrayBuffer[] = [];
  for (let i = 0; i < list.length; i++) names.push(String.UTF8.encode(list[i].toLowerCase()));
  return names;
}

export class ConfigResult {
  config: Config = new Config();
  error: string = "";
  /** Valid but worth telling the operator at start-up (logged by plugin.ts at warn). */
  warnings: string[] = [];
}

/** RFC 8941 sf-token, which is what Cache-Status names a cache with. */
function isStructuredToken(s: string): bool {
  if (s.length == 0) return false;
  const first = s.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first == 0x2a)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenChar(<u32>c) && c != 0x3a && c != 0x2f) return false;
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
  "setCookie", "cacheName", "disableCacheStatusHeader", "logLevel", "purge", "tagHeaders", "keepTagHeaders",
  "ignoreRequestCacheControl", "heuristicFreshness", "targetedCacheControl", "maxStale", "staleIfError"];
const KEY_KEYS = ["ignoreQuery", "ignoredQueryParams", "headers"];

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
  if (headers !== null) c.keyHeaders = r.headerNames("key.headers", headers);
}

function readTop(r: Reader, c: Config, root: JsonValue, env: EnvLookup, mounted: string[], warnings: string[]): void {
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
  const storeRequest = new StoreRequest();
  v = root.get("store");
  if (v !== null) readStore(r, storeRequest, v);
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
  v = root.get("purge");
  if (v !== null) readPurge(r, c, v, env);
  v = root.get("tagHeaders");
  if (v !== null) c.tagHeaders = r.headerNames("tagHeaders", v);
  v = root.get("keepTagHeaders");
  if (v !== null) c.keepTagHeaders = r.boolean("keepTagHeaders", v);
  v = root.get("ignoreRequestCacheControl");
  if (v !== null) c.ignoreRequestCacheControl = r.boolean("ignoreRequestCacheControl", v);
  v = root.get("heuristicFreshness");
  if (v !== null) c.heuristicFreshness = r.boolean("heuristicFreshness", v);
  // In precedence order; an empty list (or null) turns the feature off.
  v = root.get("targetedCacheControl");
  if (v !== null) c.targetedFields = r.headerNames("targetedCacheControl", v);
  v = root.get("maxStale");
  if (v !== null) c.maxStaleMs = r.duration("maxStale", v);
  v = root.get("staleIfError");
  if (v !== null) c.staleIfErrorMs = r.duration("staleIfError", v);
  if (r.error.length == 0) chooseStore(r, c, storeRequest, mounted, warnings);
  // Unset, the object size follows a small store down; set, it must fit in it.
  const shared = c.sharedPath.length > 0;
  if (maxObjectSize === null && c.maxObjectSize > c.memoryLimit / MAX_OBJECT_FRACTION) {
    c.maxObjectSize = c.memoryLimit / MAX_OBJECT_FRACTION;
  }
  if (maxObjectSize === null && shared && c.maxObjectSize > c.sharedLimit / MAX_OBJECT_SHARED_FRACTION) {
    c.maxObjectSize = c.sharedLimit / MAX_OBJECT_SHARED_FRACTION;
  }
  if (r.error.length == 0 && c.maxObjectSize > c.memoryLimit / MAX_OBJECT_FRACTION) {
    r.failMessage("key \"maxObjectSize\": must be at most a quarter of store.memory.limit (" +
      (c.memoryLimit / KIB).toString() + "Ki), got " + c.maxObjectSize.toString() + " bytes");
  }
  if (r.error.length == 0 && shared && c.maxObjectSize > c.sharedLimit / MAX_OBJECT_SHARED_FRACTION) {
    r.failMessage("key \"maxObjectSize\": must be at most an eighth of store.shared.limit (" +
      (c.sharedLimit / MAX_OBJECT_SHARED_FRACTION / KIB).toString() + "Ki), got " + c.maxObjectSize.toString() + " bytes");
  }
}

/** Shorter purge tokens are accepted with a warning: they can be guessed. */
const MIN_SAFE_TOKEN_LENGTH: i32 = 16;

/** Settings that are valid but that an operator should hear about once, at start-up. */
function collectWarnings(c: Config, warnings: string[]): void {
  if (c.purgeEnabled && c.sharedPath.length == 0) {
    warnings.push("purge is enabled without a shared store: each instance has its own memory store, " +
      "so a purge only reaches the instance that receives it");
  }
  if (c.purgeEnabled && c.purgeToken.byteLength < MIN_SAFE_TOKEN_LENGTH) {
    warnings.push("the purge token is shorter than " + MIN_SAFE_TOKEN_LENGTH.toString() + " characters: anyone " +
      "who guesses it can empty the cache; use a random one, e.g. openssl rand -hex 32");
  }
}

/**
 * Parses the configuration text; an empty text, `null` and `{}` give the defaults. `env` resolves
 * purge.tokenEnv: plugin.ts passes host/environ's getEnv (a parameter, so that specs need no WASI).
 */
export function parseConfig(text: string, env: EnvLookup = noEnvironment, mounted: string[] = []): ConfigResult {
  const result = new ConfigResult();
  if (text.trim().length == 0) text = "{}"; // the defaults still depend on the mounts
  const json = parseJson(text);
  if (json.value === null) {
    result.error = "not valid JSON: " + json.error;
    return result;
  }
  const root = json.value!;
  if (root.kind != JsonKind.Object && root.kind != JsonKind.Null) {
    result.error = "expected an object of settings (got " + root.describe() + ")";
    return result;
  }
  const reader = new Reader();
  readTop(reader, result.config, root.kind == JsonKind.Null ? parseJson("{}").value! : root, env, mounted, result.warnings);
  result.error = reader.error;
  if (result.error.length == 0) collectWarnings(result.config, result.warnings);
  return result;
}
