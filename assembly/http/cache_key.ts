// The cache key (RFC 9111 §4.1 plus our normalisation): lowercased host, path, the query with
// its parameters sorted by name (stable, so repeated names keep their order; ignored names
// dropped), then each configured request header. GET and HEAD share a key, so the method is not
// part of it. The bytes are hashed for lookup and compared in full on a hit.
import { ByteBuffer } from "../host/buffer";
import { AMPERSAND, EQUALS, QUESTION, compareBytes, toLowerAscii } from "./bytes";

/** More parameters than this and the request is not cached (the key would cost too much). */
export const MAX_QUERY_PARAMS: u32 = 256;

// (start, length) of each parameter, relative to the URI.
const paramSpans = memory.data(<i32>MAX_QUERY_PARAMS * 8);

/** Between the key's parts: '\n' never appears in a host, a URI or a header value. */
export const KEY_SEPARATOR: u8 = 0x0a;

/** The default ports (RFC 3986 §6.2.3): `api.example.com:80` and `api.example.com` are one origin. */
const DEFAULT_PORTS = [String.UTF8.encode(":80"), String.UTF8.encode(":443")];

/**
 * The length of the host without a default port. The key has no scheme yet (both schemes share
 * entries), so either default port goes: `:443` over http is not a setup anyone runs.
 */
function withoutDefaultPort(ptr: usize, len: u32): u32 {
  for (let i = 0; i < DEFAULT_PORTS.length; i++) {
    const port = unchecked(DEFAULT_PORTS[i]);
    const n = <u32>port.byteLength;
    if (len > n && memory.compare(ptr + len - n, changetype<usize>(port), n) == 0) return len - n;
  }
  return len;
}

/** Appends the host, lowercased and without a default port, then the separator. */
export function appendHost(into: ByteBuffer, ptr: usize, len: u32): void {
  len = withoutDefaultPort(ptr, len);
  into.reserve(len + 1);
  const out = into.end;
  for (let i: u32 = 0; i < len; i++) store<u8>(out + i, toLowerAscii(load<u8>(ptr + i)));
  store<u8>(out + len, KEY_SEPARATOR);
  into.length += len + 1;
}

@inline function spanStart(i: u32): u32 { return load<u32>(paramSpans + (<usize>i << 3)); }
@inline function spanLength(i: u32): u32 { return load<u32>(paramSpans + (<usize>i << 3) + 4); }

/** Length of a parameter's name: the bytes before '='. */
function nameLength(ptr: usize, len: u32): u32 {
  for (let i: u32 = 0; i < len; i++) if (load<u8>(ptr + i) == EQUALS) return i;
  return len;
}

function isIgnored(ptr: usize, len: u32, ignored: ArrayBuffer[]): bool {
  const nameLen = nameLength(ptr, len);
  for (let i = 0; i < ignored.length; i++) {
    const name = unchecked(ignored[i]);
    if (<u32>name.byteLength == nameLen && memory.compare(ptr, changetype<usize>(name), nameLen) == 0) return true;
  }
  return false;
}

/**
 * Appends the path and the normalised query. Returns false when the query has more than
 * MAX_QUERY_PARAMS parameters (the caller then bypasses the cache).
 */
export function appendUri(into: ByteBuffer, uri: usize, uriLen: u32, ignoreQuery: bool, ignored: ArrayBuffer[]): bool {
  let pathLen: u32 = 0;
  while (pathLen < uriLen && load<u8>(uri + pathLen) != QUESTION) pathLen++;
  into.appendBytes(uri, pathLen);
  if (ignoreQuery || pathLen >= uriLen) return true;

  // Collect non-empty, non-ignored parameters.
  let count: u32 = 0;
  let start = pathLen + 1;
  while (start <= uriLen) {
    let end = start;
    while (end < uriLen && load<u8>(uri + end) != AMPERSAND) end++;
    const len = end - start;
    if (len > 0 && !isIgnored(uri + start, len, ignored)) {
      if (count == MAX_QUERY_PARAMS) return false;
      store<u32>(paramSpans + (<usize>count << 3), start);
      store<u32>(paramSpans + (<usize>count << 3) + 4, len);
      count++;
    }
    start = end + 1;
  }
  if (count == 0) return true;

  // Stable insertion sort by name: repeated names keep their order.
  for (let i: u32 = 1; i < count; i++) {
    const s = spanStart(i);
    const l = spanLength(i);
    const n = nameLength(uri + s, l);
    let j = i;
    while (j > 0) {
      const ps = spanStart(j - 1);
      const pl = spanLength(j - 1);
      if (compareBytes(uri + ps, nameLength(uri + ps, pl), uri + s, n) <= 0) break;
      store<u64>(paramSpans + (<usize>j << 3), load<u64>(paramSpans + (<usize>(j - 1) << 3)));
      j--;
    }
    store<u32>(paramSpans + (<usize>j << 3), s);
    store<u32>(paramSpans + (<usize>j << 3) + 4, l);
  }

  into.appendByte(QUESTION);
  for (let i: u32 = 0; i < count; i++) {
    if (i > 0) into.appendByte(AMPERSAND);
    into.appendBytes(uri + spanStart(i), spanLength(i));
  }
  return true;
}

/** Appends a configured request header: its name and its values (NUL-separated, as read). */
export function appendHeader(into: ByteBuffer, name: ArrayBuffer, values: usize, valuesLen: u32): void {
  into.appendByte(KEY_SEPARATOR);
  into.appendBytes(changetype<usize>(name), <u32>name.byteLength);
  into.appendByte(0x3a);
  into.appendBytes(values, valuesLen);
}
