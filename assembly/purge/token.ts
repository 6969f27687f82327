// The purge token check. The comparison takes the same time whatever the bytes are, so that
// response timing tells an attacker nothing about how much of a guess was right.
import { equalsIgnoreCase, skipWhitespace, trimmed } from "../http/bytes";

const BEARER = String.UTF8.encode("bearer");

/**
 * Whether `given` equals `expected` (never empty). It loops over every given byte whatever
 * happens: no early exit on the first difference, and a length difference only flips the
 * result. The time depends on the given length alone, which the caller already knows.
 */
export function tokenMatches(given: usize, givenLen: u32, expected: ArrayBuffer): bool {
  const want = changetype<usize>(expected);
  const wantLen = <u32>expected.byteLength;
  if (wantLen == 0) return false;
  let diff: u32 = givenLen ^ wantLen;
  for (let i: u32 = 0; i < givenLen; i++) {
    diff |= <u32>(load<u8>(given + i) ^ load<u8>(want + i % wantLen));
  }
  return diff == 0;
}

/**
 * The credentials of an Authorization value: (start << 32 | end) of what follows "Bearer ",
 * or an empty span (0) for another scheme. The scheme is case-insensitive (RFC 9110 §11.1).
 */
export function bearerCredentials(ptr: usize, len: u32): u64 {
  const schemeLen = <u32>BEARER.byteLength;
  if (len <= schemeLen || !equalsIgnoreCase(ptr, schemeLen, BEARER)) return 0;
  const start = skipWhitespace(ptr, schemeLen, len);
  if (start == schemeLen) return 0; // "Bearerxyz" is not the Bearer scheme
  return trimmed(ptr, start, len);
}
