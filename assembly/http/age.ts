// The Age header (RFC 9111 §5.1): a non-negative integer number of seconds.
import { nextNul, parseDeltaSeconds, trimmed } from "./bytes";

/**
 * Parses the first value of a NUL-separated Age value list. Returns -1 when absent or invalid
 * (a float, a suffix, a sign): an invalid Age is ignored.
 */
export function parseAge(ptr: usize, len: u32): i64 {
  if (len == 0) return -1;
  const end = nextNul(ptr, 0, len);
  const span = trimmed(ptr, 0, end);
  const start = <u32>(span >>> 32);
  return parseDeltaSeconds(ptr + start, <u32>span - start);
}
