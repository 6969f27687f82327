// Safe wrappers over the http_handler imports: every read goes into a reusable ByteBuffer at its
// end, retried once with the exact size the host reported when it did not fit. The only code
// that calls abi/http_handler (besides logging).
import * as abi from "../abi/http_handler";
import { FEATURE_BUFFER_RESPONSE, FEATURE_TRAILERS } from "../abi/constants";
import { ByteBuffer } from "./buffer";

/** The fixed-size values the host hands out with the same get(buf, buf_limit) call shape. */
const enum Field { Method, Uri, Config }

function getField(field: Field, buf: usize, limit: u32): u32 {
  switch (field) {
    case Field.Method: return abi.get_method(buf, limit);
    case Field.Uri: return abi.get_uri(buf, limit);
    default: return abi.get_config(buf, limit);
  }
}

/** Appends a field, retrying once with the exact size the host reported; returns its length. */
function readField(field: Field, into: ByteBuffer): u32 {
  let len = getField(field, into.end, into.free);
  if (len > into.free) {
    into.reserve(len);
    len = getField(field, into.end, into.free);
  }
  into.length += len;
  return len;
}

/** Appends the request method; returns its length. */
export function readMethod(into: ByteBuffer): u32 {
  return readField(Field.Method, into);
}

/** Appends the request URI (escaped path and `?query`); returns its length. */
export function readUri(into: ByteBuffer): u32 {
  return readField(Field.Uri, into);
}

/** Appends the configuration bytes; returns their length. */
export function readConfig(into: ByteBuffer): u32 {
  return readField(Field.Config, into);
}

/**
 * Appends the values of one header, each followed by NUL; returns how many there are.
 * `name` must be lowercase.
 */
export function readHeaderValues(kind: u32, namePtr: usize, nameLen: u32, into: ByteBuffer): u32 {
  let countLen = abi.get_header_values(kind, namePtr, nameLen, into.end, into.free);
  let len = <u32>countLen;
  if (len > into.free) {
    into.reserve(len);
    countLen = abi.get_header_values(kind, namePtr, nameLen, into.end, into.free);
    len = <u32>countLen;
  }
  into.length += len;
  return <u32>(countLen >>> 32);
}

/** Appends every header name (lowercase, each followed by NUL); returns how many there are. */
export function readHeaderNames(kind: u32, into: ByteBuffer): u32 {
  let countLen = abi.get_header_names(kind, into.end, into.free);
  let len = <u32>countLen;
  if (len > into.free) {
    into.reserve(len);
    countLen = abi.get_header_names(kind, into.end, into.free);
    len = <u32>countLen;
  }
  into.length += len;
  return <u32>(countLen >>> 32);
}

const BODY_CHUNK: u32 = 16 * 1024;

/**
 * Appends a body; returns its length, or -1 as soon as it is longer than `limit` (what was read
 * stays appended; reading the buffered response body does not consume it on the host side).
 */
export function readBody(kind: u32, into: ByteBuffer, limit: u32): i64 {
  const start = into.length;
  while (true) {
    into.reserve(BODY_CHUNK);
    const eofLen = abi.read_body(kind, into.end, into.free);
    into.length += <u32>eofLen;
    if (<u64>(into.length - start) > <u64>limit) return -1;
    if ((eofLen >>> 32) != 0) return <i64>(into.length - start);
  }
}

export function setHeader(kind: u32, namePtr: usize, nameLen: u32, valuePtr: usize, valueLen: u32): void {
  abi.set_header_value(kind, namePtr, nameLen, valuePtr, valueLen);
}

export function addHeader(kind: u32, namePtr: usize, nameLen: u32, valuePtr: usize, valueLen: u32): void {
  abi.add_header_value(kind, namePtr, nameLen, valuePtr, valueLen);
}

export function writeBody(kind: u32, ptr: usize, len: u32): void {
  abi.write_body(kind, ptr, len);
}

/** Status of the backend's response; only valid with buffer_response enabled. */
export function statusCode(): u32 {
  return abi.get_status_code();
}

export function setStatusCode(code: u32): void {
  abi.set_status_code(code);
}

/** Lets handle_response read and rewrite the backend's response (for this request only). */
export function enableResponseBuffering(): void {
  abi.enable_features(FEATURE_BUFFER_RESPONSE);
}

/**
 * Whether this is the first instance of the middleware to start (called from _start only).
 * Instances share nothing but the host, and the one thing the host keeps per middleware is the
 * features enabled outside a request (http-wasm-host-go's middleware.features). The first
 * instance marks the middleware by enabling trailers there, which changes nothing for requests:
 * the guest never reads trailers. So start-up messages are logged once per middleware (per
 * router and configuration load), not once per instance as the pool grows.
 */
export function isFirstInstance(): bool {
  if ((abi.enable_features(0) & FEATURE_TRAILERS) != 0) return false;
  abi.enable_features(FEATURE_TRAILERS);
  return true;
}

export function removeHeader(kind: u32, namePtr: usize, nameLen: u32): void {
  abi.remove_header(kind, namePtr, nameLen);
}
