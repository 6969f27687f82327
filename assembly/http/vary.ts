// Vary (RFC 9111 §4.1): the secondary cache key. A stored response names the request headers it
// varies on; a later request matches only if those headers normalise to the same values.
// Names are kept as a canonical list (lowercase, sorted, deduplicated, NUL-terminated) so that
// equivalent Vary fields give identical bytes; values are normalised so that semantically equal
// spellings ("gzip,  br" vs two lines "gzip" + "br") select the same variant.
// To walk a name list, use nextNul from ./bytes.
import { ByteBuffer } from "../host/buffer";
import { BACKSLASH, COMMA, DQUOTE, NUL, SP, isTokenChar, isWhitespace, toLowerAscii } from "./bytes";

/** Returned by parseVaryNames for `Vary: *` (never stored). */
export const VARY_ANY: i32 = -1;

/**
 * More distinct names than this and parseVaryNames answers VARY_ANY: every name costs a header
 * read and a key component on each lookup, and a response varying on that many headers is
 * unlikely to ever be hit again, so it is treated like `*` (not stored) instead of keyed.
 */
export const MAX_VARY_NAMES: u32 = 16;

const STAR: u8 = 0x2a;
const LF: u8 = 0x0a;
/** Variant key component for a request header that is absent. */
const ABSENT_MARK: u8 = 0x01;
/** Prefix of the variant key component for a request header that is present (even if empty). */
const PRESENT_MARK: u8 = 0x02;

function isToken(ptr: usize, len: u32): bool {
  if (len == 0) return false;
  for (let i: u32 = 0; i < len; i++) if (!isTokenChar(load<u8>(ptr + i))) return false;
  return true;
}

/** Compares a raw name, lowercased on the fly, with a stored (already lowercase) one: <0, 0, >0. */
function compareLowered(raw: usize, rawLen: u32, stored: usize, storedLen: u32): i32 {
  const n = rawLen < storedLen ? rawLen : storedLen;
  for (let i: u32 = 0; i < n; i++) {
    const a = <i32>toLowerAscii(load<u8>(raw + i));
    const b = <i32>load<u8>(stored + i);
    if (a != b) return a - b;
  }
  return rawLen < storedLen ? -1 : rawLen > storedLen ? 1 : 0;
}

/**
 * Inserts a name (a valid token, any case) into the sorted list at into[base, into.length),
 * lowercased and NUL-terminated. Returns false when it was already there.
 */
function insertName(into: ByteBuffer, base: u32, name: usize, nameLen: u32): bool {
  // Find the first stored name that sorts after this one (or an equal one: duplicate).
  let at = base;
  while (at < into.length) {
    let end = at;
    while (load<u8>(into.ptr + end) != NUL) end++;
    const c = compareLowered(name, nameLen, into.ptr + at, end - at);
    if (c == 0) return false;
    if (c < 0) break;
    at = end + 1;
  }
  into.reserve(nameLen + 1); // may move into.ptr: take addresses after this
  const dst = into.ptr + <usize>at;
  memory.copy(dst + nameLen + 1, dst, into.length - at);
  for (let i: u32 = 0; i < nameLen; i++) store<u8>(dst + i, toLowerAscii(load<u8>(name + i)));
  store<u8>(dst + nameLen, NUL);
  into.length += nameLen + 1;
  return true;
}

/**
 * Parses a Vary field value (one or more field lines, NUL-separated, as the host gives them; each a
 * comma-separated list of header names, optional whitespace) into `into`: each name lowercased,
 * followed by NUL, duplicates dropped, sorted by bytes (so that `Vary: B, a` and `Vary: A,b` give
 * the same list). Returns how many names, 0 when it names nothing (empty / only commas), or
 * VARY_ANY when any member is `*`, a member is not an RFC 9110 token (unparseable: treated like
 * `*`), or there are more than MAX_VARY_NAMES distinct names (then nothing is left appended).
 * Appends to `into` (does not reset it); `ptr` must not point into `into`.
 */
export function parseVaryNames(ptr: usize, len: u32, into: ByteBuffer): i32 {
  const base = into.length;
  let count: u32 = 0;
  let i: u32 = 0;
  while (i <= len) {
    // One member: up to the next comma or line end (field names hold no quoted strings).
    let start = i;
    let end = i;
    while (end < len) {
      const b = load<u8>(ptr + end);
      if (b == COMMA || b == NUL) break;
      end++;
    }
    i = end + 1;
    while (start < end && isWhitespace(load<u8>(ptr + start))) start++;
    while (end > start && isWhitespace(load<u8>(ptr + end - 1))) end--;
    const memberLen = end - start;
    if (memberLen == 1 && load<u8>(ptr + start) == STAR) {
      into.length = base;
      return VARY_ANY;
    }
    if (memberLen == 0) continue; // empty list members are allowed (RFC 9110 §5.6.1)
    if (!isToken(ptr + start, memberLen)) {
      // Not a field name (`Vary: Cookie;`): what it varies on is unknown, so it is never shared.
      into.length = base;
      return VARY_ANY;
    }
    if (insertName(into, base, ptr + start, memberLen) && ++count > MAX_VARY_NAMES) {
      into.length = base;
      return VARY_ANY;
    }
  }
  return <i32>count;
}

/**
 * Appends the normalised value of one request header, as a variant key component:
 * absent (present=false) -> the single byte 0x01 (so absent never equals any present value, not even empty);
 * present -> 0x02 then the members of all its field lines (NUL-separated) as one comma-separated list:
 * each member trimmed of SP/HTAB at both ends, internal runs of SP/HTAB collapsed to one SP, empty
 * members dropped, members joined by "," (no space); commas inside a quoted-string (with backslash
 * escapes) do not split, and whitespace inside one is kept as is (it is data there; keeping it can
 * only make keys more distinct, never merge different values). A field line ends an unterminated
 * quoted-string. Case is kept (RFC 9110: values compare case-sensitively unless the field says
 * otherwise). Bytes 0x00 and 0x0A never reach the output (the key uses "\n" as a separator).
 */
export function appendVaryValue(into: ByteBuffer, values: usize, valuesLen: u32, present: bool): void {
  if (!present) {
    into.appendByte(ABSENT_MARK);
    return;
  }
  // The output is never longer than the input (each "," written stands for a "," or NUL read,
  // each SP for at least one whitespace byte), so one reserve covers it.
  into.reserve(valuesLen + 1);
  const out = into.ptr;
  let o = into.length;
  store<u8>(out + o++, PRESENT_MARK);
  let members: u32 = 0;
  let inMember = false; // a byte of the current member has been written
  let pendingSpace = false;
  let inQuote = false;
  let escaped = false;
  for (let i: u32 = 0; i < valuesLen; i++) {
    const b = load<u8>(values + i);
    if (b == NUL || (b == COMMA && !inQuote)) {
      if (inMember) members++;
      inMember = false;
      pendingSpace = false;
      inQuote = false;
      escaped = false;
      continue;
    }
    if (b == LF) continue;
    if (!inQuote && isWhitespace(b)) {
      if (inMember) pendingSpace = true; // written only if more of the member follows
      continue;
    }
    if (!inMember) {
      if (members > 0) store<u8>(out + o++, COMMA);
      inMember = true;
    } else if (pendingSpace) {
      store<u8>(out + o++, SP);
    }
    pendingSpace = false;
    store<u8>(out + o++, b);
    if (inQuote) {
      if (escaped) escaped = false;
      else if (b == BACKSLASH) escaped = true;
      else if (b == DQUOTE) inQuote = false;
    } else if (b == DQUOTE) {
      inQuote = true;
    }
  }
  into.length = o;
}
