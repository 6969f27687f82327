// Validation (RFC 9111 §4.3): the conditional request sent for a stale entry, which stored
// response a 304 selects (§4.3.4), and the entry's header lines freshened by it.
import { HEADER_KIND_REQUEST, HEADER_KIND_RESPONSE } from "../abi/constants";
import { ByteBuffer } from "../host/buffer";
import { readHeaderValues, removeHeader, setHeader } from "../host/http";
import { nextNul } from "../http/bytes";
import { ifNoneMatchMatches, notModifiedSince, strongEtagEquals } from "../http/conditional";
import { INVALID_DATE, parseHttpDate } from "../http/date";
import { findLine, lineValue, lineValueLength, mergeNotModified } from "../http/header_lines";
import {
  CONTENT_LENGTH, DATE, ETAG, IF_MODIFIED_SINCE, IF_MODIFIED_SINCE_FIELD, IF_NONE_MATCH, IF_NONE_MATCH_FIELD,
  LAST_MODIFIED,
} from "../http/names";
import { RequestFacts } from "../policy/facts";
import { recordHeaders, recordHeadersLength } from "../store/record";

const values = new ByteBuffer(256);
/** The client's If-None-Match values (NUL-separated), as last read. */
const clientIfNoneMatch = new ByteBuffer(256);
/** The stored header lines freshened by a 304. */
export const freshenedHeaders = new ByteBuffer(4096);

function readClientIfNoneMatch(): void {
  clientIfNoneMatch.reset();
  readHeaderValues(HEADER_KIND_REQUEST, changetype<usize>(IF_NONE_MATCH), <u32>IF_NONE_MATCH.byteLength, clientIfNoneMatch);
}

function setRequestHeader(name: ArrayBuffer, line: usize): void {
  setHeader(HEADER_KIND_REQUEST, changetype<usize>(name), <u32>name.byteLength, lineValue(line), lineValueLength(line));
}

/**
 * Makes the forwarded request conditional on the stored response's validators (§4.3.1):
 * If-None-Match with its ETag, If-Modified-Since with its Last-Modified. Returns whether it had any.
 */
export function addValidators(record: usize): bool {
  const lines = recordHeaders(record);
  const linesLen = recordHeadersLength(record);
  const etag = findLine(lines, linesLen, ETAG);
  if (etag != 0) setRequestHeader(IF_NONE_MATCH_FIELD, etag);
  const lastModified = findLine(lines, linesLen, LAST_MODIFIED);
  if (lastModified != 0) setRequestHeader(IF_MODIFIED_SINCE_FIELD, lastModified);
  return etag != 0 || lastModified != 0;
}

/**
 * On a miss, the client's conditionals are not forwarded (§4.3.2 lets a cache choose): the
 * backend then sends the whole response, which can be stored, and the cache answers the
 * conditional itself. Forwarded as they are, a 304 would come back that nothing can be stored
 * from, and a URL that clients (or a CDN in front) always ask conditionally would never be cached.
 */
export function removeClientConditionals(): void {
  readClientIfNoneMatch(); // kept to answer the conditional from the response
  removeHeader(HEADER_KIND_REQUEST, changetype<usize>(IF_NONE_MATCH), <u32>IF_NONE_MATCH.byteLength);
  removeHeader(HEADER_KIND_REQUEST, changetype<usize>(IF_MODIFIED_SINCE), <u32>IF_MODIFIED_SINCE.byteLength);
}

/** The first value of a response header into `values`; its length (0 when absent). */
function responseValue(name: ArrayBuffer): u32 {
  values.reset();
  if (readHeaderValues(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, values) == 0) return 0;
  return nextNul(values.ptr, 0, values.length);
}

/**
 * §4.3.4: whether the backend's 304 is about this stored response. A strong ETag in the 304 must
 * be the stored one; else a Last-Modified must be the stored one; a 304 with neither selects the
 * stored response only when we asked with its validators (`askedWithOurs`).
 */
export function notModifiedSelects(record: usize, askedWithOurs: bool): bool {
  const lines = recordHeaders(record);
  const linesLen = recordHeadersLength(record);
  let len = responseValue(ETAG);
  if (len > 0) {
    const stored = findLine(lines, linesLen, ETAG);
    if (stored != 0 && strongEtagEquals(values.ptr, len, lineValue(stored), lineValueLength(stored))) return true;
    // A weak ETag matching ours answers our own If-None-Match (weak comparison is what it used).
    return askedWithOurs && stored != 0 && sameBytes(values.ptr, len, lineValue(stored), lineValueLength(stored));
  }
  len = responseValue(LAST_MODIFIED);
  if (len > 0) {
    const stored = findLine(lines, linesLen, LAST_MODIFIED);
    return stored != 0 && sameBytes(values.ptr, len, lineValue(stored), lineValueLength(stored));
  }
  return askedWithOurs;
}

function sameBytes(a: usize, aLen: u32, b: usize, bLen: u32): bool {
  return aLen == bLen && memory.compare(a, b, aLen) == 0;
}

/** The stored lines as they are, into freshenedHeaders (a 304 that is not about them changes nothing). */
export function keepHeaders(record: usize): void {
  freshenedHeaders.reset();
  freshenedHeaders.appendBytes(recordHeaders(record), recordHeadersLength(record));
}

/** The stored lines updated with the 304's (storable) lines, into freshenedHeaders. */
export function freshen(record: usize, notModifiedLines: usize, notModifiedLength: u32): void {
  freshenedHeaders.reset();
  mergeNotModified(recordHeaders(record), recordHeadersLength(record), notModifiedLines, notModifiedLength, freshenedHeaders);
}

/** The date in a stored line (first of the field), or INVALID_DATE. */
function lineDate(lines: usize, linesLen: u32, name: ArrayBuffer): i64 {
  const line = findLine(lines, linesLen, name);
  return line == 0 ? INVALID_DATE : parseHttpDate(lineValue(line), lineValueLength(line));
}

/**
 * The client's own conditional against a stored response (RFC 9110 §13.2.2): If-None-Match by
 * weak comparison when present, and only then If-Modified-Since against Last-Modified (or Date,
 * §4.3.2 of RFC 9111, when there is none).
 */
export function clientValidatorMatches(lines: usize, linesLen: u32, request: RequestFacts, removed: bool = false): bool {
  if (request.hasIfNoneMatch) {
    // Removed from the forwarded request: as read before (removeClientConditionals).
    if (!removed) readClientIfNoneMatch();
    const etag = findLine(lines, linesLen, ETAG);
    return ifNoneMatchMatches(clientIfNoneMatch.ptr, clientIfNoneMatch.length, etag == 0 ? 0 : lineValue(etag),
      etag == 0 ? 0 : lineValueLength(etag));
  }
  if (request.ifModifiedSince == INVALID_DATE) return false;
  let modified = lineDate(lines, linesLen, LAST_MODIFIED);
  if (modified == INVALID_DATE) modified = lineDate(lines, linesLen, DATE);
  return notModifiedSince(request.ifModifiedSince, modified);
}

/** Whether the response has the header with another first value than the stored line's. */
function differs(lines: usize, linesLen: u32, name: ArrayBuffer): bool {
  const len = responseValue(name);
  if (len == 0) return false; // a HEAD answer may leave a field out without saying it changed
  const stored = findLine(lines, linesLen, name);
  if (stored == 0) return true;
  return !sameBytes(values.ptr, len, lineValue(stored), lineValueLength(stored));
}

/** §4.3.5: whether a 200 to HEAD describes another representation than the stored GET's. */
export function headResponseDiffers(record: usize): bool {
  const lines = recordHeaders(record);
  const linesLen = recordHeadersLength(record);
  return differs(lines, linesLen, ETAG) || differs(lines, linesLen, LAST_MODIFIED) || differs(lines, linesLen, CONTENT_LENGTH);
}
