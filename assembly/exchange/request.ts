// Reads the incoming request once: method, the few headers the policy needs, and the cache key.
// Everything lands in buffers reused across requests, so this allocates nothing.
import { HEADER_KIND_REQUEST } from "../abi/constants";
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { readHeaderNames, readHeaderValues, readMethod, readUri } from "../host/http";
import { bytesEqual, equalsName, nextNul, toLowerAscii } from "../http/bytes";
import { KEY_SEPARATOR, appendHeader, appendHost, appendUri } from "../http/cache_key";
import { parseHttpDate } from "../http/date";
import {
  ACCEPT, AUTHORIZATION, CACHE_CONTROL, EVENT_STREAM, HOST, IF_MODIFIED_SINCE, IF_NONE_MATCH, NO_CACHE_VALUE, PRAGMA,
  RANGE, UPGRADE,
} from "../http/names";
import { appendVaryValue } from "../http/vary";
import { Method, RequestFacts } from "../policy/facts";
import { xxhash64 } from "../store/xxhash64";

const GET = String.UTF8.encode("GET");
const HEAD = String.UTF8.encode("HEAD");
/** The safe methods besides GET and HEAD (RFC 9110 §9.2.1); every other method is unsafe (§4.4). */
const OPTIONS = String.UTF8.encode("OPTIONS");
const TRACE = String.UTF8.encode("TRACE");

/** Scratch for the method, header names and values of the current request. */
const scratch = new ByteBuffer(4096);
/** The cache key of the current request (kept until its response is handled). */
export const key = new ByteBuffer(1024);
export let keyHash: u64 = 0;
/** How many of the key's first bytes name the URL (host, path, query); key headers follow. */
export let keyUrlLength: u32 = 0;
/** The key without any variant or lease suffix (URL and key headers). */
export let baseKeyLength: u32 = 0;
/** Values of a request header read after the details (variant keys). */
const values = new ByteBuffer(1024);
const NAME_END: u8 = 0x3a;

function nameListed(names: usize, namesLen: u32, name: ArrayBuffer): bool {
  let start: u32 = 0;
  while (start < namesLen) {
    const end = nextNul(names, start, namesLen);
    if (equalsName(names + start, end - start, name)) return true;
    start = end + 1;
  }
  return false;
}

// The request fields the policy looks at, found in one walk over the names (one bit each).
const SEEN_AUTHORIZATION: u32 = 1;
const SEEN_RANGE: u32 = 2;
const SEEN_UPGRADE: u32 = 4;
const SEEN_IF_NONE_MATCH: u32 = 8;
const SEEN_IF_MODIFIED_SINCE: u32 = 16;
const SEEN_CACHE_CONTROL: u32 = 32;
const SEEN_PRAGMA: u32 = 64;
const SEEN_FIELDS: ArrayBuffer[] = [AUTHORIZATION, RANGE, UPGRADE, IF_NONE_MATCH, IF_MODIFIED_SINCE, CACHE_CONTROL, PRAGMA];

/** Which of SEEN_FIELDS the request has, as bits (SEEN_FIELDS[i] is bit i). */
function seenFields(names: usize, namesLen: u32): u32 {
  let seen: u32 = 0;
  let start: u32 = 0;
  while (start < namesLen) {
    const end = nextNul(names, start, namesLen);
    for (let i = 0; i < SEEN_FIELDS.length; i++) {
      if (equalsName(names + start, end - start, unchecked(SEEN_FIELDS[i]))) {
        seen |= (<u32>1) << i;
        break;
      }
    }
    start = end + 1;
  }
  return seen;
}

/** Reads the values of one request header into the scratch buffer; returns their length. */
function readValues(name: ArrayBuffer): u32 {
  const before = scratch.length;
  readHeaderValues(HEADER_KIND_REQUEST, changetype<usize>(name), <u32>name.byteLength, scratch);
  return scratch.length - before;
}

/** Whether a value list contains `word` (lowercase), case-insensitively. */
function containsWord(ptr: usize, len: u32, lower: ArrayBuffer): bool {
  const word = changetype<usize>(lower);
  const wordLen = <u32>lower.byteLength;
  for (let i: u32 = 0; i + wordLen <= len; i++) {
    let j: u32 = 0;
    while (j < wordLen && toLowerAscii(load<u8>(ptr + i + j)) == load<u8>(word + j)) j++;
    if (j == wordLen) return true;
  }
  return false;
}

/** Reads only the method: enough to pass every other method through. */
export function readRequestMethod(facts: RequestFacts): void {
  facts.reset();
  scratch.reset();
  const len = readMethod(scratch);
  if (bytesEqual(scratch.ptr, len, changetype<usize>(GET), 3)) facts.method = Method.Get;
  else if (bytesEqual(scratch.ptr, len, changetype<usize>(HEAD), 4)) facts.method = Method.Head;
  else if (bytesEqual(scratch.ptr, len, changetype<usize>(OPTIONS), 7)) facts.method = Method.Other;
  else if (bytesEqual(scratch.ptr, len, changetype<usize>(TRACE), 5)) facts.method = Method.Other;
  else facts.method = Method.Unsafe;
}

/** Reads the headers the policy needs and builds the key (after readRequestMethod). */
export function readRequestDetails(facts: RequestFacts, config: Config): void {
  scratch.reset();
  readHeaderNames(HEADER_KIND_REQUEST, scratch);
  // Header names stay at the start of scratch; values are read after them.
  const namesLen = scratch.length;

  const seen = seenFields(scratch.ptr, namesLen);
  facts.hasAuthorization = (seen & SEEN_AUTHORIZATION) != 0;
  facts.hasRange = (seen & SEEN_RANGE) != 0;
  // A WebSocket would wait for its whole answer if buffered on a miss (event streams: see acceptsEventStream).
  facts.streams = (seen & SEEN_UPGRADE) != 0;
  facts.hasIfNoneMatch = (seen & SEEN_IF_NONE_MATCH) != 0;
  if ((seen & SEEN_IF_MODIFIED_SINCE) != 0) {
    facts.hasIfModifiedSince = true;
    const start = scratch.length;
    const len = readValues(IF_MODIFIED_SINCE);
    facts.ifModifiedSince = parseHttpDate(scratch.ptr + start, nextNul(scratch.ptr + start, 0, len));
  }
  // ignoreRequestCacheControl: the client's directives are not read at all.
  if (!config.ignoreRequestCacheControl && (seen & SEEN_CACHE_CONTROL) != 0) {
    const start = scratch.length;
    const len = readValues(CACHE_CONTROL);
    facts.cacheControl.parse(scratch.ptr + start, len);
  }
  if (!config.ignoreRequestCacheControl && (seen & SEEN_PRAGMA) != 0) {
    const start = scratch.length;
    const len = readValues(PRAGMA);
    facts.pragmaNoCache = containsWord(scratch.ptr + start, len, NO_CACHE_VALUE); // §5.4
  }

  key.reset();
  // Host: the first value only (the host reports exactly one for HTTP/1.1 and HTTP/2).
  let start = scratch.length;
  let len = readValues(HOST);
  appendHost(key, scratch.ptr + start, nextNul(scratch.ptr + start, 0, len));

  start = scratch.length;
  len = readUri(scratch);
  facts.keyable = appendUri(key, scratch.ptr + start, len, config.ignoreQuery, config.ignoredQueryParams);
  keyUrlLength = key.length;

  for (let i = 0; i < config.keyHeaders.length; i++) {
    const name = unchecked(config.keyHeaders[i]);
    start = scratch.length;
    len = nameListed(scratch.ptr, namesLen, name) ? readValues(name) : 0;
    appendHeader(key, name, scratch.ptr + start, len);
  }
  baseKeyLength = key.length;
  keyHash = xxhash64(key.ptr, key.length);
}

/**
 * Whether the client asks for an event stream (Accept: text/event-stream), which must not be
 * buffered. Read only before buffering a forward, not on every hit.
 */
export function acceptsEventStream(): bool {
  values.reset();
  readHeaderValues(HEADER_KIND_REQUEST, changetype<usize>(ACCEPT), <u32>ACCEPT.byteLength, values);
  return containsWord(values.ptr, values.length, EVENT_STREAM);
}

/** Cuts the key back to `length` bytes (the base key, or a key before a suffix). */
export function truncateKey(length: u32): void {
  key.length = length;
  keyHash = xxhash64(key.ptr, key.length);
}

/**
 * Turns the key into the variant key for a Vary name list (lowercase, each followed by NUL):
 * the base key, then per name "\n" name ":" and the request's normalised values (http/vary).
 * Names are part of it, so responses varying on other headers never share a variant key.
 */
export function useVariantKey(names: usize, namesLen: u32): void {
  key.length = baseKeyLength;
  let start: u32 = 0;
  while (start < namesLen) {
    const end = nextNul(names, start, namesLen);
    key.appendByte(KEY_SEPARATOR);
    key.appendBytes(names + start, end - start);
    key.appendByte(NAME_END);
    values.reset();
    const count = readHeaderValues(HEADER_KIND_REQUEST, names + start, end - start, values);
    appendVaryValue(key, values.ptr, values.length, count > 0);
    start = end + 1;
  }
  keyHash = xxhash64(key.ptr, key.length);
}

/** Appends a suffix to the key (a lease's); truncateKey(previous length) takes it off. */
export function appendKeySuffix(suffix: ArrayBuffer): void {
  key.appendBytes(changetype<usize>(suffix), <u32>suffix.byteLength);
  keyHash = xxhash64(key.ptr, key.length);
}
