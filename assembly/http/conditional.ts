// A client's conditional request against a stored response (RFC 9110 §13.1.1, §13.1.3, §13.2.2;
// RFC 9111 §4.3.2): whether the cache may answer 304 Not Modified itself.
//   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE      (etagc excludes DQUOTE: no escapes)
// Header values arrive as the host returns them: NUL-separated lines. Malformed input never traps
// and never matches: answering 200 in full is always safe, a wrong 304 is not.
import { COMMA, DQUOTE, isWhitespace, nextNul, trimmed } from "./bytes";
import { INVALID_DATE } from "./date";

const STAR: u8 = 0x2a;
const W: u8 = 0x57;
const SLASH: u8 = 0x2f;

/** Set by opaqueTag: where the quoted opaque-tag is (quotes included), and whether it was weak. */
let tagStart: u32 = 0;
let tagEnd: u32 = 0;
let tagWeak = false;

/**
 * Reads an entity-tag at `from` in [ptr, ptr+len): sets tagStart/tagEnd/tagWeak and returns true,
 * or false when there is none (no opening or no closing quote).
 */
function opaqueTag(ptr: usize, from: u32, len: u32): bool {
  let i = from;
  tagWeak = false;
  if (i + 1 < len && load<u8>(ptr + i) == W && load<u8>(ptr + i + 1) == SLASH) {
    tagWeak = true;
    i += 2;
  }
  if (i >= len || load<u8>(ptr + i) != DQUOTE) return false;
  let j = i + 1;
  while (j < len && load<u8>(ptr + j) != DQUOTE) j++;
  if (j >= len) return false;
  tagStart = i;
  tagEnd = j + 1;
  return true;
}

/** A whole value holding exactly one entity-tag (OWS around it), as ETag does. */
function wholeTag(ptr: usize, len: u32): bool {
  const span = trimmed(ptr, 0, len);
  const start = <u32>(span >>> 32);
  const end = <u32>span;
  return opaqueTag(ptr, start, end) && tagEnd == end;
}

/**
 * Whether an If-None-Match field (comma lists of entity-tags, or `*`) matches the stored ETag by
 * weak comparison (§8.8.3.2: W/"x" and "x" match). `*` matches any stored response, so even
 * without an ETag (etagLen 0); a list of tags never matches a missing or malformed ETag. Members
 * that are not entity-tags are skipped.
 */
export function ifNoneMatchMatches(values: usize, valuesLen: u32, etag: usize, etagLen: u32): bool {
  let stored: usize = 0;
  let storedLen: u32 = 0;
  if (wholeTag(etag, etagLen)) {
    stored = etag + tagStart;
    storedLen = tagEnd - tagStart;
  }
  let line: u32 = 0;
  while (line < valuesLen) {
    const lineEnd = nextNul(values, line, valuesLen); // a tag never runs on into the next line
    if (listMatches(values, line, lineEnd, stored, storedLen)) return true;
    line = lineEnd + 1;
  }
  return false;
}

/** One line of If-None-Match, [from, len) of ptr, against the stored opaque-tag (0 when none). */
function listMatches(ptr: usize, from: u32, len: u32, stored: usize, storedLen: u32): bool {
  let i = from;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c == COMMA || isWhitespace(c)) { i++; continue; }
    let end = memberEnd(ptr, i, len);
    if (c == STAR) {
      if (trimmedLength(ptr, i, end) == 1) return true;
    } else if (opaqueTag(ptr, i, len)) {
      end = memberEnd(ptr, tagEnd, len); // commas inside the quotes belong to the tag
      const tagLen = tagEnd - tagStart;
      if (
        trimmedLength(ptr, tagStart, end) == tagLen && storedLen == tagLen &&
        memory.compare(ptr + tagStart, stored, tagLen) == 0
      ) return true;
    }
    i = end;
  }
  return false;
}

/** Where the member at `from` ends: the next comma, or `len`. */
function memberEnd(ptr: usize, from: u32, len: u32): u32 {
  let i = from;
  while (i < len && load<u8>(ptr + i) != COMMA) i++;
  return i;
}

/** Length of [start, end) without trailing OWS (a member followed by junk is malformed). */
function trimmedLength(ptr: usize, start: u32, end: u32): u32 {
  while (end > start && isWhitespace(load<u8>(ptr + end - 1))) end--;
  return end - start;
}

/**
 * Strong comparison (§8.8.3.2): neither weak, and the same opaque-tag byte for byte. For
 * conditions that promise identical bytes (If-Range, If-Match).
 */
export function strongEtagEquals(a: usize, aLen: u32, b: usize, bLen: u32): bool {
  if (!wholeTag(a, aLen) || tagWeak) return false;
  const aStart = tagStart;
  const aTagLen = tagEnd - tagStart;
  if (!wholeTag(b, bLen) || tagWeak) return false;
  return aTagLen == tagEnd - tagStart && memory.compare(a + aStart, b + tagStart, aTagLen) == 0;
}

/**
 * If-Modified-Since against the stored Last-Modified (§13.1.3), both in epoch seconds: true only
 * when both are valid dates and the response has not changed since. The caller falls back to the
 * stored Date when there is no Last-Modified (RFC 9111 §4.3.2), and ignores If-Modified-Since
 * when If-None-Match is present (RFC 9110 §13.2.2).
 */
export function notModifiedSince(ifModifiedSince: i64, lastModified: i64): bool {
  return ifModifiedSince != INVALID_DATE && lastModified != INVALID_DATE && lastModified <= ifModifiedSince;
}
