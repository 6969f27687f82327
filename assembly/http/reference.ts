// URI references as Location and Content-Location carry them, resolved against the request's path
// (RFC 3986 §5.2): enough to tell which stored URL a write names (RFC 9111 §4.4).
import { ByteBuffer } from "../host/buffer";
import { QUESTION } from "./bytes";

const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;
const HASH: u8 = 0x23;
const COLON: u8 = 0x3a;

export const enum Reference {
  /** Resolved to a path (and query) on the request's own host, in the output buffer. */
  Path,
  /** Names its own scheme or host ("https://h/x", "//h/x"): the caller resolves it as a URL. */
  Absolute,
  /** Names nothing to invalidate (empty, only a fragment). */
  None,
}

function isAlpha(c: u8): bool {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

/** Whether the reference starts with a scheme ("http:", "urn:"): ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". */
function hasScheme(ref: usize, len: u32): bool {
  if (len == 0 || !isAlpha(load<u8>(ref))) return false;
  for (let i: u32 = 1; i < len; i++) {
    const c = load<u8>(ref + i);
    if (c == COLON) return true;
    if (!isAlpha(c) && !(c >= 0x30 && c <= 0x39) && c != 0x2b && c != 0x2d && c != DOT) return false;
  }
  return false;
}

/**
 * Resolves `ref` against `basePath` (the request's path, without query). For Reference.Path the
 * path with dot segments removed, then the reference's query, is appended to `into`.
 */
export function resolveReference(basePath: usize, baseLen: u32, ref: usize, refLen: u32, into: ByteBuffer): Reference {
  let len: u32 = 0;
  while (len < refLen && load<u8>(ref + len) != HASH) len++; // a fragment never reaches the server
  if (len == 0) return Reference.None;
  if (hasScheme(ref, len)) return Reference.Absolute;
  if (len >= 2 && load<u8>(ref) == SLASH && load<u8>(ref + 1) == SLASH) return Reference.Absolute;
  let pathLen: u32 = 0;
  while (pathLen < len && load<u8>(ref + pathLen) != QUESTION) pathLen++;
  const merged = new ByteBuffer(baseLen + pathLen + 1);
  if (pathLen == 0) {
    merged.appendBytes(basePath, baseLen); // "?q": the request's own path with another query
  } else if (load<u8>(ref) == SLASH) {
    merged.appendBytes(ref, pathLen);
  } else {
    // Merge (§5.2.3): the base path up to its last "/", then the reference.
    let dir = baseLen;
    while (dir > 0 && load<u8>(basePath + dir - 1) != SLASH) dir--;
    if (dir == 0) merged.appendByte(SLASH);
    else merged.appendBytes(basePath, dir);
    merged.appendBytes(ref, pathLen);
  }
  removeDotSegments(merged.ptr, merged.length, into);
  heap.free(merged.ptr);
  into.appendBytes(ref + pathLen, len - pathLen);
  return Reference.Path;
}

/** §5.2.4, on a path that starts with "/": "." and ".." segments resolved. */
export function removeDotSegments(path: usize, len: u32, into: ByteBuffer): void {
  const start = into.length;
  let i: u32 = 0;
  while (i < len) {
    // Each step takes one "/segment" from the input.
    let end = i + 1;
    while (end < len && load<u8>(path + end) != SLASH) end++;
    const segLen = end - i - 1;
    const seg = path + i + 1;
    const last = end >= len;
    if (segLen == 1 && load<u8>(seg) == DOT) {
      if (last) into.appendByte(SLASH);
    } else if (segLen == 2 && load<u8>(seg) == DOT && load<u8>(seg + 1) == DOT) {
      // Drop the last output segment.
      let cut = into.length;
      while (cut > start && load<u8>(into.ptr + cut - 1) != SLASH) cut--;
      if (cut > start) cut--;
      into.length = cut;
      if (last) into.appendByte(SLASH);
    } else {
      into.appendBytes(path + i, end - i);
    }
    i = end;
  }
  if (into.length == start) into.appendByte(SLASH);
}
