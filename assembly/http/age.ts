// The Age header (RFC 9111 §5.1): a non-negative integer number of seconds.
import { COMMA, nextNul, parseDeltaSeconds, trimmed } from "./bytes";

/**
 * Parses the first member of the first line of a NUL-separated Age value list (`7200, 0` is
 * 7200: a list is the field sent twice, and the first one counts). Returns -1 when absent or
 * invalid (a float, a suffix, a sign): an invalid Age is ignored.
 */
export function parseAge(ptr: usize, len: u32): i64 {
  if (len == 0) return -1;
  const line = nextNul(ptr, 0, len);
  let end: u32 = 0;
  while (end < line && load<u8>(ptr + end) != COMMA) end++;
  const span = trimmed(ptr, 0, end);
  const start = <u32>(span >>> 32);
  return parseDeltaSeconds(ptr + start, <u32>span - start);
}
