// Reads the backend's (buffered) response: status, the facts the policy needs, and the header
// lines worth storing, serialised as records keep them. Only called for responses we may store.
import { BODY_KIND_RESPONSE, HEADER_KIND_RESPONSE } from "../abi/constants";
import { Config } from "../config";
import { LINE_HEAD, lineFits, lineName, lineNameLength, lineNext, lineValue, lineValueLength } from "../http/header_lines";
import { ByteBuffer } from "../host/buffer";
import { readBody, readHeaderNames, readHeaderValues, statusCode } from "../host/http";
import { parseAge } from "../http/age";
import {
  COMMA, bytesEqual, equalsLowercase, equalsName, isWhitespace, nextNul, parseDeltaSeconds, toLowerAscii, trimmed,
} from "../http/bytes";
import { INVALID_DATE, parseHttpDate, yearOf } from "../http/date";
import {
  AGE, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, DATE, ETAG, EXPIRES, HOP_BY_HOP, LAST_MODIFIED, SET_COOKIE, VARY,
  X_CACHE_STATUS,
} from "../http/names";
import { CacheControl } from "../http/cache_control";
import { parseVaryNames } from "../http/vary";
import { ResponseFacts } from "../policy/facts";
import { isStrippedTagHeader } from "./tags";

/** The response's header names. Apart from the values: reading a value may move its buffer. */
const names = new ByteBuffer(1024);
/** Each header's values while it is being read. */
const scratch = new ByteBuffer(4096);
/** Header lines to store: [u32 nameLength][u32 valueLength][name][value] each. */
export const storedHeaders = new ByteBuffer(4096);
/** The body, once read. */
export const body = new ByteBuffer(16 * 1024);
/** Lowercased tokens of the Connection header, NUL-separated (fields it makes hop-by-hop). */
const connectionTokens = new ByteBuffer(256);
/** The header names the response varies on: lowercase, sorted, each followed by NUL. */
export const varyNames = new ByteBuffer(256);
/** The targeted field (RFC 9213) that wins, parsed; swapped into the facts when one is present. */
let targeted = new CacheControl();
/** Where a higher-ranked targeted field is parsed before it may replace `targeted`. */
let candidate = new CacheControl();
/** Index in config.targetedFields of the field parsed into `targeted`; -1 when none. */
let targetedRank: i32 = -1;

function isHopByHop(ptr: usize, len: u32): bool {
  for (let i = 0; i < HOP_BY_HOP.length; i++) if (equalsName(ptr, len, unchecked(HOP_BY_HOP[i]))) return true;
  const tokens = connectionTokens.ptr;
  const tokensLen = connectionTokens.length;
  let start: u32 = 0;
  while (start < tokensLen) {
    const end = nextNul(tokens, start, tokensLen);
    if (bytesEqual(tokens + start, end - start, ptr, len)) return true;
    start = end + 1;
  }
  return false;
}

/** Collects the Connection header's tokens, lowercased (RFC 9110 §7.6.1). */
function readConnectionTokens(): void {
  connectionTokens.reset();
  const start = scratch.length;
  readHeaderValues(HEADER_KIND_RESPONSE, changetype<usize>(CONNECTION), <u32>CONNECTION.byteLength, scratch);
  const ptr = scratch.ptr + start;
  const len = scratch.length - start;
  let i: u32 = 0;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c == COMMA || c == 0 || isWhitespace(c)) { i++; continue; }
    while (i < len) {
      const t = load<u8>(ptr + i);
      if (t == COMMA || t == 0 || isWhitespace(t)) break;
      connectionTokens.appendByte(toLowerAscii(t));
      i++;
    }
    connectionTokens.appendByte(0);
  }
  scratch.length = start;
}

/** The first value of a NUL-separated list, trimmed: (start << 32 | end) relative to ptr. */
function firstValue(ptr: usize, len: u32): u64 {
  return trimmed(ptr, 0, nextNul(ptr, 0, len));
}

/** The current year, for two-digit years in obsolete dates. */
let currentYear: i32 = 0;

/** Reads status and headers into `facts`, and the storable header lines into storedHeaders. */
export function readResponseHead(facts: ResponseFacts, now: i64, config: Config): void {
  facts.reset();
  varyNames.reset();
  targetedRank = -1;
  currentYear = yearOf(now / 1000);
  facts.status = statusCode();
  storedHeaders.reset();
  scratch.reset();
  names.reset();
  readHeaderNames(HEADER_KIND_RESPONSE, names);
  const namesLen = names.length;

  connectionTokens.reset();
  let start: u32 = 0;
  while (start < namesLen) {
    const end = nextNul(names.ptr, start, namesLen);
    if (equalsName(names.ptr + start, end - start, CONNECTION)) readConnectionTokens();
    start = end + 1;
  }

  start = 0;
  while (start < namesLen) {
    const end = nextNul(names.ptr, start, namesLen);
    const nameLen = end - start;
    if (nameLen > 0) readField(facts, names.ptr + start, nameLen, config);
    start = end + 1;
  }
  // RFC 9213: a targeted field present replaces Cache-Control for our decisions.
  if (targetedRank >= 0) {
    const own = facts.cacheControl;
    facts.cacheControl = targeted;
    targeted = own;
  }
  if (facts.cacheControl.droppedFields.length > 0) dropFields(storedHeaders, facts.cacheControl.droppedFields);
}

/** Rank of a targeted field name in the configuration (earlier wins), or -1. */
function targetedRankOf(name: usize, nameLen: u32, config: Config): i32 {
  const fields = config.targetedFields;
  for (let i = 0; i < fields.length; i++) if (equalsName(name, nameLen, unchecked(fields[i]))) return i;
  return -1;
}

/** Removes from header lines the fields a qualified no-cache or private names (NUL-separated, lowercase). */
export function dropFields(lines: ByteBuffer, dropped: ByteBuffer): void {
  const start = lines.ptr;
  const end = start + lines.length;
  let read = start;
  let write = start;
  while (read < end) {
    const nameLen = load<u32>(read);
    const size = LINE_HEAD + nameLen + load<u32>(read, 4);
    if (!listsName(dropped.ptr, dropped.length, read + LINE_HEAD, nameLen)) {
      if (write != read) memory.copy(write, read, size);
      write += size;
    }
    read += size;
  }
  lines.length = <u32>(write - start);
}

/** Whether a NUL-separated lowercase name list holds `name` (any case). */
function listsName(list: usize, listLen: u32, name: usize, nameLen: u32): bool {
  let start: u32 = 0;
  while (start < listLen) {
    const end = nextNul(list, start, listLen);
    if (equalsLowercase(name, nameLen, list + start, end - start)) return true;
    start = end + 1;
  }
  return false;
}

function readField(facts: ResponseFacts, name: usize, nameLen: u32, config: Config): void {
  const valuesOffset = scratch.length;
  readHeaderValues(HEADER_KIND_RESPONSE, name, nameLen, scratch);
  const values = scratch.ptr + valuesOffset; // after the read: the buffer may have moved
  const valuesLen = scratch.length - valuesOffset;
  const store = applyField(facts, name, nameLen, values, valuesLen, config) && !isHopByHop(name, nameLen) &&
    !isStrippedTagHeader(name, nameLen); // tag headers are internal to the cache (keepTagHeaders)
  if (store) appendStoredLines(name, nameLen, values, valuesLen);
  scratch.length = valuesOffset;
}

/** A stored line's name, lowercased for applyField. */
const lowerName = new ByteBuffer(64);

/**
 * Reads `facts` from stored header lines (a record's, freshened by a 304) as readResponseHead
 * reads them from the host; the status and Age are the caller's.
 */
export function readLinesFacts(lines: usize, linesLen: u32, facts: ResponseFacts, now: i64, config: Config): void {
  facts.reset();
  varyNames.reset();
  targetedRank = -1;
  currentYear = yearOf(now / 1000);
  const end = lines + linesLen;
  for (let l = lines; lineFits(l, end); l = lineNext(l)) {
    const nameLen = lineNameLength(l);
    lowerName.reset();
    lowerName.reserve(nameLen);
    for (let i: u32 = 0; i < nameLen; i++) store<u8>(lowerName.ptr + i, toLowerAscii(load<u8>(lineName(l) + i)));
    lowerName.length = nameLen;
    applyField(facts, lowerName.ptr, nameLen, lineValue(l), lineValueLength(l), config);
  }
  if (targetedRank >= 0) {
    const own = facts.cacheControl;
    facts.cacheControl = targeted;
    targeted = own;
  }
}

/**
 * Takes what the policy needs from one field (lowercase name; its values NUL-separated). Returns
 * false for fields never stored: Age (recomputed on every answer), Set-Cookie (stored only with
 * setCookie: strip, and then without it), X-Cache-Status (ours).
 */
function applyField(facts: ResponseFacts, name: usize, nameLen: u32, values: usize, valuesLen: u32, config: Config): bool {
  let store = true;
  if (equalsName(name, nameLen, CACHE_CONTROL)) {
    facts.cacheControl.parse(values, valuesLen);
  } else if (equalsName(name, nameLen, EXPIRES)) {
    facts.hasExpires = true;
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    // Expires on several lines is not one HTTP-date: already expired (§5.3).
    const oneLine = nextNul(values, 0, valuesLen) + 1 >= valuesLen;
    facts.expires = oneLine ? parseHttpDate(values + s, <u32>span - s, currentYear) : INVALID_DATE;
  } else if (equalsName(name, nameLen, DATE)) {
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.date = parseHttpDate(values + s, <u32>span - s, currentYear);
  } else if (equalsName(name, nameLen, AGE)) {
    facts.age = parseAge(values, valuesLen);
    store = false;
  } else if (equalsName(name, nameLen, SET_COOKIE)) {
    facts.hasSetCookie = true;
    store = false;
  } else if (equalsName(name, nameLen, VARY)) {
    facts.varyCount = parseVaryNames(values, valuesLen, varyNames);
  } else if (equalsName(name, nameLen, ETAG)) {
    facts.hasETag = valuesLen > 0;
  } else if (equalsName(name, nameLen, LAST_MODIFIED)) {
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.lastModified = parseHttpDate(values + s, <u32>span - s, currentYear);
  } else if (equalsName(name, nameLen, CONTENT_LENGTH)) {
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.contentLength = parseDeltaSeconds(values + s, <u32>span - s);
  } else if (equalsName(name, nameLen, X_CACHE_STATUS)) {
    store = false;
  } else {
    const rank = targetedRankOf(name, nameLen, config);
    if (rank >= 0 && (targetedRank < 0 || rank < targetedRank)) {
      // An invalid targeted field is ignored whole (RFC 9213 §2.1): the next one, or
      // Cache-Control, applies. Parsed aside, so that it never wipes a valid one.
      candidate.reset();
      if (candidate.parseTargeted(values, valuesLen)) {
        const previous = targeted;
        targeted = candidate;
        candidate = previous;
        targetedRank = rank;
      }
    } else if (rank >= 0 && rank == targetedRank) {
      targeted.parseTargeted(values, valuesLen); // a further line of it (stored lines come one by one)
    }
  }
  return store;
}

/**
 * Appends a lowercase name in Go's canonical form (Content-Type): the host canonicalises every
 * name it is given, and one that already is canonical costs it no copy on each hit.
 */
function appendCanonicalName(name: usize, nameLen: u32): void {
  storedHeaders.reserve(nameLen);
  const out = storedHeaders.end;
  let upper = true;
  for (let i: u32 = 0; i < nameLen; i++) {
    const b = load<u8>(name + i);
    store<u8>(out + i, upper && b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
    upper = b == 0x2d;
  }
  storedHeaders.length += nameLen;
}

function appendStoredLines(name: usize, nameLen: u32, values: usize, valuesLen: u32): void {
  let start: u32 = 0;
  while (start < valuesLen) {
    const end = nextNul(values, start, valuesLen);
    storedHeaders.appendU32(nameLen);
    storedHeaders.appendU32(end - start);
    appendCanonicalName(name, nameLen);
    storedHeaders.appendBytes(values + start, end - start);
    start = end + 1;
  }
}

/** Reads the body into `body`; returns false when it is larger than maxObjectSize. */
export function readResponseBody(config: Config): bool {
  body.reset();
  return readBody(BODY_KIND_RESPONSE, body, <u32>config.maxObjectSize) >= 0;
}
