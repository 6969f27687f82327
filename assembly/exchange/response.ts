// Reads the backend's (buffered) response: status, the facts the policy needs, and the header
// lines worth storing, serialised as records keep them. Only called for responses we may store.
import { BODY_KIND_RESPONSE, HEADER_KIND_RESPONSE } from "../abi/constants";
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { readBody, readHeaderNames, readHeaderValues, statusCode } from "../host/http";
import { parseAge } from "../http/age";
import { COMMA, bytesEqual, equalsName, isWhitespace, nextNul, parseDeltaSeconds, toLowerAscii, trimmed } from "../http/bytes";
import { parseHttpDate, yearOf } from "../http/date";
import {
  AGE, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, DATE, EXPIRES, HOP_BY_HOP, SET_COOKIE, VARY, X_CACHE_STATUS,
} from "../http/names";
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

/** Whether a NUL-separated value list names anything (an empty Vary varies on nothing). */
function hasListMember(ptr: usize, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c != 0 && c != COMMA && !isWhitespace(c)) return true;
  }
  return false;
}

/** The first value of a NUL-separated list, trimmed: (start << 32 | end) relative to ptr. */
function firstValue(ptr: usize, len: u32): u64 {
  return trimmed(ptr, 0, nextNul(ptr, 0, len));
}

/** The current year, for two-digit years in obsolete dates. */
let currentYear: i32 = 0;

/** Reads status and headers into `facts`, and the storable header lines into storedHeaders. */
export function readResponseHead(facts: ResponseFacts, now: i64): void {
  facts.reset();
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
    if (nameLen > 0) readField(facts, names.ptr + start, nameLen);
    start = end + 1;
  }
}

function readField(facts: ResponseFacts, name: usize, nameLen: u32): void {
  const valuesOffset = scratch.length;
  readHeaderValues(HEADER_KIND_RESPONSE, name, nameLen, scratch);
  const values = scratch.ptr + valuesOffset; // after the read: the buffer may have moved
  const valuesLen = scratch.length - valuesOffset;

  let store = !isHopByHop(name, nameLen);
  if (equalsName(name, nameLen, CACHE_CONTROL)) {
    facts.cacheControl.parse(values, valuesLen);
  } else if (equalsName(name, nameLen, EXPIRES)) {
    facts.hasExpires = true;
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.expires = parseHttpDate(values + s, <u32>span - s, currentYear);
  } else if (equalsName(name, nameLen, DATE)) {
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.date = parseHttpDate(values + s, <u32>span - s, currentYear);
  } else if (equalsName(name, nameLen, AGE)) {
    facts.age = parseAge(values, valuesLen);
    store = false; // recomputed on every answer from the cache
  } else if (equalsName(name, nameLen, SET_COOKIE)) {
    facts.hasSetCookie = true;
    store = false; // stored only with setCookie: strip, and then without it
  } else if (equalsName(name, nameLen, VARY)) {
    facts.hasVary = hasListMember(values, valuesLen);
  } else if (equalsName(name, nameLen, CONTENT_LENGTH)) {
    const span = firstValue(values, valuesLen);
    const s = <u32>(span >>> 32);
    facts.contentLength = parseDeltaSeconds(values + s, <u32>span - s);
  } else if (equalsName(name, nameLen, X_CACHE_STATUS)) {
    store = false; // ours: set fresh on every answer
  }
  if (store && isStrippedTagHeader(name, nameLen)) store = false; // internal to the cache (keepTagHeaders)
  if (store) appendStoredLines(name, nameLen, values, valuesLen);
  scratch.length = valuesOffset;
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
