// Writes what the client gets from us: a stored response (whole, or as a 304), our status headers,
// or the configuration error; and, in handle_response, a buffered backend response replaced by a
// stored one. Order matters to the host without response buffering: headers, then status, then
// body (set_status_code commits the headers).
import { BODY_KIND_RESPONSE, HEADER_KIND_RESPONSE } from "../abi/constants";
import { ByteBuffer } from "../host/buffer";
import { addHeader, readHeaderNames, readHeaderValues, removeHeader, setHeader, setStatusCode, writeBody } from "../host/http";
import { Detail, Forward, appendForward, appendHit, appendNeither } from "../http/cache_status";
import { equalsIgnoreCase, nextNul } from "../http/bytes";
import { lineFits, lineName, lineNameLength, lineNext, lineValue, lineValueLength } from "../http/header_lines";
import {
  AGE_FIELD, CACHE_STATUS_FIELD, CONTENT_TYPE_FIELD, NOT_MODIFIED_FIELDS, SET_COOKIE, SET_COOKIE_FIELD, TEXT_PLAIN,
  X_CACHE_STATUS_FIELD,
} from "../http/names";

const value = new ByteBuffer(256);
const names = new ByteBuffer(512);

export const STATUS_NOT_MODIFIED: u32 = 304;
export const STATUS_GATEWAY_TIMEOUT: u32 = 504;

@inline function setNamed(name: ArrayBuffer, ptr: usize, len: u32): void {
  setHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, ptr, len);
}

@inline function addNamed(name: ArrayBuffer, ptr: usize, len: u32): void {
  addHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, ptr, len);
}

/** Whether a response with this status may carry a body (RFC 9110 §6.4.1). */
export function statusAllowsBody(status: u32): bool {
  return status >= 200 && status != 204 && status != 304;
}

/** Whether a 304 carries this field (RFC 9110 §15.4.5: the fields a 200 would have that describe it). */
function isNotModifiedField(name: usize, nameLen: u32): bool {
  for (let i = 0; i < NOT_MODIFIED_FIELDS.length; i++) {
    if (equalsIgnoreCase(name, nameLen, unchecked(NOT_MODIFIED_FIELDS[i]))) return true;
  }
  return false;
}

/** Adds stored header lines to the response; for a 304 only the fields that describe the representation. */
export function writeStoredHeaders(lines: usize, linesLen: u32, notModified: bool): void {
  const end = lines + linesLen;
  for (let l = lines; lineFits(l, end); l = lineNext(l)) {
    const name = lineName(l);
    const nameLen = lineNameLength(l);
    if (notModified && !isNotModifiedField(name, nameLen)) continue;
    addHeader(HEADER_KIND_RESPONSE, name, nameLen, lineValue(l), lineValueLength(l));
  }
}

/** Removes every header of the (buffered) response: a stored response replaces it whole. */
export function removeResponseHeaders(): void {
  names.reset();
  readHeaderNames(HEADER_KIND_RESPONSE, names);
  let start: u32 = 0;
  while (start < names.length) {
    const end = nextNul(names.ptr, start, names.length);
    removeHeader(HEADER_KIND_RESPONSE, names.ptr + start, end - start);
    start = end + 1;
  }
  names.reset();
}

/** Removes one header of the (buffered) response (lowercase name). */
export function removeResponseHeader(name: ArrayBuffer): void {
  removeHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength);
}

/** The response's Set-Cookie values (NUL-separated) while a stored response replaces its headers. */
const cookies = new ByteBuffer(256);

/** Keeps the (buffered) response's Set-Cookie values: the client's, never stored. */
export function saveSetCookies(): void {
  cookies.reset();
  readHeaderValues(HEADER_KIND_RESPONSE, changetype<usize>(SET_COOKIE), <u32>SET_COOKIE.byteLength, cookies);
}

/** Adds back what saveSetCookies kept. */
export function restoreSetCookies(): void {
  let start: u32 = 0;
  while (start < cookies.length) {
    const end = nextNul(cookies.ptr, start, cookies.length);
    addNamed(SET_COOKIE_FIELD, cookies.ptr + start, end - start);
    start = end + 1;
  }
}

/** Age (§5.1): the stored response's current age in whole seconds. */
export function writeAge(ageSeconds: i64): void {
  value.reset();
  value.appendDecimal(<u64>(ageSeconds > 0 ? ageSeconds : 0));
  setNamed(AGE_FIELD, value.ptr, value.length);
}

/** X-Cache-Status and Cache-Status for an answer from the store (ttl < 0: served stale). */
export function writeHitStatus(xCacheStatus: ArrayBuffer, cacheName: ArrayBuffer, ttlSeconds: i64, detail: Detail): void {
  setNamed(X_CACHE_STATUS_FIELD, changetype<usize>(xCacheStatus), <u32>xCacheStatus.byteLength);
  value.reset();
  appendHit(value, cacheName, ttlSeconds, detail);
  addNamed(CACHE_STATUS_FIELD, value.ptr, value.length);
}

/** X-Cache-Status and Cache-Status (appended after any the backend sent) for a forwarded request. */
export function writeForwardStatus(
  xCacheStatus: ArrayBuffer, cacheName: ArrayBuffer, reason: Forward, forwardStatus: u32, stored: bool,
  detail: Detail = Detail.None,
): void {
  setNamed(X_CACHE_STATUS_FIELD, changetype<usize>(xCacheStatus), <u32>xCacheStatus.byteLength);
  value.reset();
  appendForward(value, cacheName, reason, forwardStatus, stored, detail);
  addNamed(CACHE_STATUS_FIELD, value.ptr, value.length);
}

/** X-Cache-Status and Cache-Status for an answer that is neither (only-if-cached: 504). */
export function writeNeitherStatus(xCacheStatus: ArrayBuffer, cacheName: ArrayBuffer, detail: Detail): void {
  setNamed(X_CACHE_STATUS_FIELD, changetype<usize>(xCacheStatus), <u32>xCacheStatus.byteLength);
  value.reset();
  appendNeither(value, cacheName, detail);
  addNamed(CACHE_STATUS_FIELD, value.ptr, value.length);
}

/**
 * Sets the status and writes the body when the status and method allow one. `replacing`: the
 * response is a buffered backend one, whose body goes even when ours is empty.
 */
export function writeStatusAndBody(status: u32, body: usize, bodyLength: u32, isHead: bool, replacing: bool): void {
  setStatusCode(status);
  const withBody = !isHead && bodyLength > 0 && statusAllowsBody(status);
  // Buffered, each write_body replaces what the response had: an empty one clears it.
  if (withBody || replacing) writeBody(BODY_KIND_RESPONSE, body, withBody ? bodyLength : 0);
}

/** Refuses to serve: the configuration could not be read. */
export function writeConfigurationError(message: ArrayBuffer): void {
  setNamed(CONTENT_TYPE_FIELD, changetype<usize>(TEXT_PLAIN), <u32>TEXT_PLAIN.byteLength);
  setStatusCode(500);
  writeBody(BODY_KIND_RESPONSE, changetype<usize>(message), <u32>message.byteLength);
}

/** The only-if-cached answer when nothing usable is stored (§5.2.1.7). */
export function writeGatewayTimeout(): void {
  setStatusCode(STATUS_GATEWAY_TIMEOUT);
}
