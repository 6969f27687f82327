// Byte-level helpers over (pointer, length) slices of UTF-8/ASCII data. No allocation.

export const SP: u8 = 0x20;
export const HTAB: u8 = 0x09;
export const COMMA: u8 = 0x2c;
export const EQUALS: u8 = 0x3d;
export const DQUOTE: u8 = 0x22;
export const BACKSLASH: u8 = 0x5c;
export const AMPERSAND: u8 = 0x26;
export const QUESTION: u8 = 0x3f;
export const NUL: u8 = 0;

/** Seconds values above this are clamped (RFC 9111 §1.2.2: 2^31). */
export const DELTA_SECONDS_MAX: i64 = 2147483648;

@inline export function isWhitespace(b: u8): bool {
  return b == SP || b == HTAB;
}

@inline export function isDigit(b: u8): bool {
  return b >= 0x30 && b <= 0x39;
}

@inline export function toLowerAscii(b: u8): u8 {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** Case-insensitive comparison of a slice with a lowercase ASCII constant. */
export function equalsIgnoreCase(ptr: usize, len: u32, lower: ArrayBuffer): bool {
  return equalsLowercase(ptr, len, changetype<usize>(lower), <u32>lower.byteLength);
}

/** Case-insensitive comparison of a slice with a lowercase ASCII slice. */
export function equalsLowercase(ptr: usize, len: u32, lower: usize, lowerLen: u32): bool {
  if (len != lowerLen) return false;
  for (let i: u32 = 0; i < len; i++) {
    if (toLowerAscii(load<u8>(ptr + i)) != load<u8>(lower + i)) return false;
  }
  return true;
}

/** tchar (RFC 9110 §5.6.2): digits, letters and "!#$%&'*+-.^_`|~". */
export function isTokenChar(c: u32): bool {
  if ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a:
    case 0x2b: case 0x2d: case 0x2e: case 0x5e: case 0x5f: case 0x60: case 0x7c: case 0x7e:
      return true;
  }
  return false;
}

export function bytesEqual(a: usize, aLen: u32, b: usize, bLen: u32): bool {
  return aLen == bLen && memory.compare(a, b, aLen) == 0;
}

/** Whether a slice holds exactly the bytes of a constant (a lowercase header name, say). */
export function equalsName(ptr: usize, len: u32, name: ArrayBuffer): bool {
  return bytesEqual(ptr, len, changetype<usize>(name), <u32>name.byteLength);
}

/** Compares two slices byte by byte: <0, 0, >0. */
export function compareBytes(a: usize, aLen: u32, b: usize, bLen: u32): i32 {
  const n = aLen < bLen ? aLen : bLen;
  const c = memory.compare(a, b, n);
  if (c != 0) return c;
  return aLen < bLen ? -1 : aLen > bLen ? 1 : 0;
}

/**
 * Parses delta-seconds: digits only, clamped to 2^31 (§1.2.2). Returns -1 when the slice is
 * empty or holds anything but digits.
 */
export function parseDeltaSeconds(ptr: usize, len: u32): i64 {
  if (len == 0) return -1;
  let value: i64 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const b = load<u8>(ptr + i);
    if (!isDigit(b)) return -1;
    if (value < DELTA_SECONDS_MAX) value = value * 10 + <i64>(b - 0x30);
  }
  return value > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : value;
}

/** Index of the first byte > offset that is not OWS, or `len`. */
export function skipWhitespace(ptr: usize, from: u32, len: u32): u32 {
  let i = from;
  while (i < len && isWhitespace(load<u8>(ptr + i))) i++;
  return i;
}

/** Trims OWS at both ends; returns the packed (start << 32 | end). */
export function trimmed(ptr: usize, start: u32, end: u32): u64 {
  while (start < end && isWhitespace(load<u8>(ptr + start))) start++;
  while (end > start && isWhitespace(load<u8>(ptr + end - 1))) end--;
  return (<u64>start << 32) | <u64>end;
}

/** Index of the next NUL at or after `from` (value lists from the host are NUL-terminated). */
export function nextNul(ptr: usize, from: u32, len: u32): u32 {
  let i = from;
  while (i < len && load<u8>(ptr + i) != NUL) i++;
  return i;
}
