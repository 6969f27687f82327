// Writes what the client gets from us: a stored response, our status headers on a forwarded
// one, or the configuration error. Order matters to the host: headers, then status, then body
// (without response buffering, set_status_code commits the headers).
import { BODY_KIND_RESPONSE, HEADER_KIND_RESPONSE } from "../abi/constants";
import { ByteBuffer } from "../host/buffer";
import { addHeader, setHeader, setStatusCode, writeBody } from "../host/http";
import { Forward, appendForward, appendHit } from "../http/cache_status";
import {
  AGE_FIELD, CACHE_STATUS_FIELD, CONTENT_TYPE_FIELD, STATUS_HIT, TEXT_PLAIN, X_CACHE_STATUS_FIELD,
} from "../http/names";
import { recordBody, recordBodyLength, recordHeaders, recordHeadersLength, recordStatus } from "../store/record";

const value = new ByteBuffer(256);

@inline function setNamed(name: ArrayBuffer, ptr: usize, len: u32): void {
  setHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, ptr, len);
}

@inline function addNamed(name: ArrayBuffer, ptr: usize, len: u32): void {
  addHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, ptr, len);
}

/** Whether a response with this status may carry a body (RFC 9110 §6.4.1). */
function statusAllowsBody(status: u32): bool {
  return status >= 200 && status != 204 && status != 304;
}

/**
 * Answers from a stored record: its header lines, Age, our status headers, status, body.
 * HEAD gets the same headers and no body.
 */
export function writeStoredResponse(
  record: usize, isHead: bool, ageSeconds: i64, ttlSeconds: i64, statusHeaders: bool, cacheName: ArrayBuffer,
): void {
  const headers = recordHeaders(record);
  const headersEnd = headers + recordHeadersLength(record);
  let p = headers;
  while (p < headersEnd) {
    const nameLen = load<u32>(p);
    const valueLen = load<u32>(p, 4);
    const name = p + 8;
    addHeader(HEADER_KIND_RESPONSE, name, nameLen, name + nameLen, valueLen);
    p = name + nameLen + valueLen;
  }
  value.reset();
  value.appendDecimal(<u64>(ageSeconds > 0 ? ageSeconds : 0));
  setNamed(AGE_FIELD, value.ptr, value.length);
  if (statusHeaders) {
    setNamed(X_CACHE_STATUS_FIELD, changetype<usize>(STATUS_HIT), <u32>STATUS_HIT.byteLength);
    value.reset();
    appendHit(value, cacheName, ttlSeconds);
    addNamed(CACHE_STATUS_FIELD, value.ptr, value.length);
  }
  const status = recordStatus(record);
  setStatusCode(status);
  const bodyLength = recordBodyLength(record);
  if (!isHead && bodyLength > 0 && statusAllowsBody(status)) {
    writeBody(BODY_KIND_RESPONSE, recordBody(record), bodyLength);
  }
}

/** Adds X-Cache-Status and Cache-Status (appended after any the backend sent). */
export function writeStatusHeaders(xCacheStatus: ArrayBuffer, cacheName: ArrayBuffer, reason: Forward, stored: bool): void {
  setNamed(X_CACHE_STATUS_FIELD, changetype<usize>(xCacheStatus), <u32>xCacheStatus.byteLength);
  value.reset();
  appendForward(value, cacheName, reason, stored);
  addNamed(CACHE_STATUS_FIELD, value.ptr, value.length);
}

/** Refuses to serve: the configuration could not be read. */
export function writeConfigurationError(message: ArrayBuffer): void {
  setNamed(CONTENT_TYPE_FIELD, changetype<usize>(TEXT_PLAIN), <u32>TEXT_PLAIN.byteLength);
  setStatusCode(500);
  writeBody(BODY_KIND_RESPONSE, changetype<usize>(message), <u32>message.byteLength);
}
