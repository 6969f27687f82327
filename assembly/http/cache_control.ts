// Cache-Control directives (RFC 9111 §5.2), parsed from one or more field lines.
// Directive names are case-insensitive; values may be tokens or quoted strings; junk between
// directives is skipped. Duplicates resolve to the most restrictive value; an invalid value of a
// freshness directive makes the response stale (it is remembered as `...Invalid`).
import { ByteBuffer } from "../host/buffer";
import {
  BACKSLASH, COMMA, DQUOTE, EQUALS, NUL, equalsIgnoreCase, isTokenChar, isWhitespace, parseDeltaSeconds, toLowerAscii,
} from "./bytes";

const NO_STORE = String.UTF8.encode("no-store");
const NO_CACHE = String.UTF8.encode("no-cache");
const PRIVATE = String.UTF8.encode("private");
const PUBLIC = String.UTF8.encode("public");
const MAX_AGE = String.UTF8.encode("max-age");
const S_MAXAGE = String.UTF8.encode("s-maxage");
const MUST_REVALIDATE = String.UTF8.encode("must-revalidate");
const PROXY_REVALIDATE = String.UTF8.encode("proxy-revalidate");
const IMMUTABLE = String.UTF8.encode("immutable");
const ONLY_IF_CACHED = String.UTF8.encode("only-if-cached");
const MAX_STALE = String.UTF8.encode("max-stale");
const MIN_FRESH = String.UTF8.encode("min-fresh");
const STALE_WHILE_REVALIDATE = String.UTF8.encode("stale-while-revalidate");
const STALE_IF_ERROR = String.UTF8.encode("stale-if-error");
const MUST_UNDERSTAND = String.UTF8.encode("must-understand");
const SEMICOLON: u8 = 0x3b;

/** Marks a numeric directive that is absent. */
export const ABSENT: i64 = -1;
/** `max-stale` without a value: any staleness is acceptable. */
export const ANY_STALENESS: i64 = -2;

@final
export class CacheControl {
  present: bool = false;
  noStore: bool = false;
  noCache: bool = false;
  /** `no-cache="field"`: only the named fields need revalidation. */
  noCacheQualified: bool = false;
  isPrivate: bool = false;
  privateQualified: bool = false;
  isPublic: bool = false;
  mustRevalidate: bool = false;
  proxyRevalidate: bool = false;
  immutable: bool = false;
  /** §5.2.2.3: store only when the status code's caching rules are understood (and then despite no-store). */
  mustUnderstand: bool = false;
  onlyIfCached: bool = false;
  /**
   * Set by parseTargeted: a targeted field is a Structured Field Dictionary (RFC 9213 §2.1), where
   * max-age="60" is a string, not a number, and ";param" after a value is ignored.
   */
  private strict: bool = false;
  /** The directive being applied had a quoted value. */
  private quotedValue: bool = false;
  maxAge: i64 = ABSENT;
  maxAgeInvalid: bool = false;
  sMaxAge: i64 = ABSENT;
  sMaxAgeInvalid: bool = false;
  maxStale: i64 = ABSENT;
  minFresh: i64 = ABSENT;
  /** RFC 5861 windows in seconds; the smallest of duplicates, an invalid value grants nothing. */
  staleWhileRevalidate: i64 = ABSENT;
  staleIfError: i64 = ABSENT;
  /**
   * Field names (lowercase, each followed by NUL) of `no-cache="F"` and `private="F"`: a shared
   * cache stores the response without them (§5.2.2.4, §5.2.2.7).
   */
  droppedFields: ByteBuffer = new ByteBuffer(64);

  reset(): void {
    this.present = false;
    this.noStore = false;
    this.noCache = false;
    this.noCacheQualified = false;
    this.isPrivate = false;
    this.privateQualified = false;
    this.isPublic = false;
    this.mustRevalidate = false;
    this.proxyRevalidate = false;
    this.immutable = false;
    this.mustUnderstand = false;
    this.onlyIfCached = false;
    this.maxAge = ABSENT;
    this.maxAgeInvalid = false;
    this.sMaxAge = ABSENT;
    this.sMaxAgeInvalid = false;
    this.maxStale = ABSENT;
    this.minFresh = ABSENT;
    this.staleWhileRevalidate = ABSENT;
    this.staleIfError = ABSENT;
    this.droppedFields.reset();
  }

  /** Serving this response stale is forbidden (§4.2.4, §5.2.2.2, .8, .10; s-maxage implies proxy-revalidate). */
  get forbidsStale(): bool {
    return this.mustRevalidate || this.proxyRevalidate || this.sMaxAge != ABSENT || this.sMaxAgeInvalid || this.noCache;
  }

  /**
   * Adds the directives of a field value. Several field lines may be given at once, separated
   * by NUL (as the host returns them) - they combine like one comma-separated list.
   */
  parse(ptr: usize, len: u32): void {
    let i: u32 = 0;
    while (i < len) {
      const b = load<u8>(ptr + i);
      if (b == COMMA || b == NUL || isWhitespace(b)) {
        i++;
        continue;
      }
      // Directive name: up to '=', a separator or whitespace.
      const nameStart = i;
      while (i < len) {
        const c = load<u8>(ptr + i);
        if (c == EQUALS || c == COMMA || c == NUL || isWhitespace(c) || (this.strict && c == SEMICOLON)) break;
        i++;
      }
      const nameEnd = i;
      while (i < len && isWhitespace(load<u8>(ptr + i))) i++;
      let valueStart: u32 = 0;
      let valueEnd: u32 = 0;
      let hasValue = false;
      let quoted = false;
      if (i < len && load<u8>(ptr + i) == EQUALS) {
        i++;
        while (i < len && isWhitespace(load<u8>(ptr + i))) i++;
        hasValue = true;
        if (i < len && load<u8>(ptr + i) == DQUOTE) {
          quoted = true;
          i++;
          valueStart = i;
          while (i < len) {
            const c = load<u8>(ptr + i);
            if (c == BACKSLASH && i + 1 < len) { i += 2; continue; }
            if (c == DQUOTE || c == NUL) break;
            i++;
          }
          valueEnd = i;
          if (i < len && load<u8>(ptr + i) == DQUOTE) i++;
        } else {
          valueStart = i;
          while (i < len) {
            const c = load<u8>(ptr + i);
            if (c == COMMA || c == NUL || isWhitespace(c) || (this.strict && c == SEMICOLON)) break;
            i++;
          }
          valueEnd = i;
        }
      }
      // Skip anything up to the next separator (junk after a value).
      while (i < len) {
        const c = load<u8>(ptr + i);
        if (c == COMMA || c == NUL) break;
        i++;
      }
      this.present = true;
      this.quotedValue = quoted;
      this.apply(ptr + nameStart, nameEnd - nameStart, hasValue, ptr + valueStart, valueEnd - valueStart);
    }
  }

  /** A delta-seconds value (§1.2.2), or -1 when missing or invalid (in a Structured Field, a string is). */
  private seconds(hasValue: bool, value: usize, valueLen: u32): i64 {
    if (!hasValue || (this.strict && this.quotedValue)) return -1;
    return parseDeltaSeconds(value, valueLen);
  }

  private apply(name: usize, nameLen: u32, hasValue: bool, value: usize, valueLen: u32): void {
    if (equalsIgnoreCase(name, nameLen, MAX_AGE)) {
      const seconds = this.seconds(hasValue, value, valueLen);
      if (seconds < 0) this.maxAgeInvalid = true;
      else if (this.maxAge == ABSENT || seconds < this.maxAge) this.maxAge = seconds;
    } else if (equalsIgnoreCase(name, nameLen, S_MAXAGE)) {
      const seconds = this.seconds(hasValue, value, valueLen);
      if (seconds < 0) this.sMaxAgeInvalid = true;
      else if (this.sMaxAge == ABSENT || seconds < this.sMaxAge) this.sMaxAge = seconds;
    } else if (equalsIgnoreCase(name, nameLen, NO_STORE)) {
      this.noStore = true;
    } else if (equalsIgnoreCase(name, nameLen, NO_CACHE)) {
      if (hasValue && valueLen > 0) {
        this.noCacheQualified = true;
        this.addDroppedFields(value, valueLen);
      } else this.noCache = true;
    } else if (equalsIgnoreCase(name, nameLen, PRIVATE)) {
      if (hasValue && valueLen > 0) {
        this.privateQualified = true;
        this.addDroppedFields(value, valueLen);
      } else this.isPrivate = true;
    } else if (equalsIgnoreCase(name, nameLen, PUBLIC)) {
      this.isPublic = true;
    } else if (equalsIgnoreCase(name, nameLen, MUST_REVALIDATE)) {
      this.mustRevalidate = true;
    } else if (equalsIgnoreCase(name, nameLen, PROXY_REVALIDATE)) {
      this.proxyRevalidate = true;
    } else if (equalsIgnoreCase(name, nameLen, IMMUTABLE)) {
      this.immutable = true;
    } else if (equalsIgnoreCase(name, nameLen, MUST_UNDERSTAND)) {
      this.mustUnderstand = true;
    } else if (equalsIgnoreCase(name, nameLen, ONLY_IF_CACHED)) {
      this.onlyIfCached = true;
    } else if (equalsIgnoreCase(name, nameLen, MAX_STALE)) {
      if (!hasValue) this.maxStale = ANY_STALENESS;
      else {
        const seconds = this.seconds(hasValue, value, valueLen);
        // The most restrictive wins; an invalid value grants nothing.
        const effective = seconds < 0 ? 0 : seconds;
        if (this.maxStale < 0 || effective < this.maxStale) this.maxStale = effective;
      }
    } else if (equalsIgnoreCase(name, nameLen, STALE_WHILE_REVALIDATE)) {
      this.staleWhileRevalidate = smallerWindow(this.staleWhileRevalidate, this.seconds(hasValue, value, valueLen));
    } else if (equalsIgnoreCase(name, nameLen, STALE_IF_ERROR)) {
      this.staleIfError = smallerWindow(this.staleIfError, this.seconds(hasValue, value, valueLen));
    } else if (equalsIgnoreCase(name, nameLen, MIN_FRESH)) {
      const seconds = this.seconds(hasValue, value, valueLen);
      if (seconds >= 0 && seconds > this.minFresh) this.minFresh = seconds;
    }
    // Unknown directives are ignored (§5.2.3).
  }

  /**
   * Parses a targeted field (RFC 9213: CDN-Cache-Control). It is a Structured Field Dictionary;
   * one that is not (RFC 8941 §4.2.2: lowercase keys, tokens, integers, strings, booleans) must
   * be ignored whole. Returns false then, and leaves nothing parsed.
   */
  parseTargeted(ptr: usize, len: u32): bool {
    if (!isDictionary(ptr, len)) return false;
    this.strict = true;
    this.parse(ptr, len);
    this.strict = false;
    return true;
  }

  /** Adds the comma-separated field names of a qualified directive's value, lowercased. */
  private addDroppedFields(value: usize, valueLen: u32): void {
    let i: u32 = 0;
    while (i < valueLen) {
      const c = load<u8>(value + i);
      if (c == COMMA || isWhitespace(c) || c == BACKSLASH) { i++; continue; }
      let added = false;
      while (i < valueLen) {
        const t = load<u8>(value + i);
        if (t == COMMA || isWhitespace(t) || t == BACKSLASH || t == DQUOTE) break;
        this.droppedFields.appendByte(toLowerAscii(t));
        added = true;
        i++;
      }
      if (added) this.droppedFields.appendByte(NUL);
      if (i < valueLen && load<u8>(value + i) == DQUOTE) i++;
    }
  }
}

/** Duplicates keep the smallest window; an invalid value (-1) counts as none (0). */
function smallerWindow(current: i64, seconds: i64): i64 {
  const effective = seconds < 0 ? 0 : seconds;
  return current == ABSENT || effective < current ? effective : current;
}

/** RFC 8941 key: lcalpha or "*", then lcalpha, digits, "_", "-", ".", "*". */
function isKeyChar(c: u8, first: bool): bool {
  if ((c >= 0x61 && c <= 0x7a) || c == 0x2a) return true;
  return !first && ((c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d || c == 0x2e);
}

/** RFC 8941 sf-token characters after the first: tchar, ":" and "/". */
function isSfTokenChar(c: u8): bool {
  return isTokenChar(c) || c == 0x3a || c == 0x2f;
}

/**
 * Whether the field lines (NUL-separated: they combine like one comma-separated list, RFC 8941
 * §4.2) form a Structured Field Dictionary: key[=item][;parameters] members separated by "," with
 * optional whitespace, an item being an integer, a decimal, a string, a token or a boolean. Inner
 * lists and byte sequences are not expected in a targeted cache field and make it invalid here.
 */
export function isDictionary(ptr: usize, len: u32): bool {
  let i: u32 = 0;
  let expectMember = true;
  let lineEnded = false; // the last separator was the end of a field line, not a comma
  let members = 0;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c == NUL) {
      if (!expectMember) {
        expectMember = true;
        lineEnded = true;
      }
      i++;
      continue;
    }
    if (c == 0x20 || c == 0x09) { i++; continue; }
    if (!expectMember) {
      if (c != COMMA) return false;
      expectMember = true;
      lineEnded = false;
      i++;
      continue;
    }
    const after = skipMember(ptr, i, len);
    if (after < 0) return false;
    i = <u32>after;
    // Parameters are ignored (RFC 9213 §2.1), but must be well-formed.
    while (i < len && load<u8>(ptr + i) == SEMICOLON) {
      i++;
      while (i < len && load<u8>(ptr + i) == 0x20) i++;
      const param = skipMember(ptr, i, len);
      if (param < 0) return false;
      i = <u32>param;
    }
    members++;
    expectMember = false;
  }
  return members > 0 && (!expectMember || lineEnded);
}

/** Skips key[=bare-item] from `i`; returns where it ends, or -1 when it is not one. */
function skipMember(ptr: usize, start: u32, len: u32): i64 {
  let i = start;
  if (i >= len || !isKeyChar(load<u8>(ptr + i), true)) return -1;
  i++;
  while (i < len && isKeyChar(load<u8>(ptr + i), false)) i++;
  if (i >= len || load<u8>(ptr + i) != EQUALS) return i;
  i++;
  if (i >= len) return -1;
  const v = load<u8>(ptr + i);
  if (v == DQUOTE) {
    i++;
    while (i < len && load<u8>(ptr + i) != DQUOTE) {
      const q = load<u8>(ptr + i);
      if (q == BACKSLASH) {
        i++;
        if (i >= len || (load<u8>(ptr + i) != DQUOTE && load<u8>(ptr + i) != BACKSLASH)) return -1;
      } else if (q < 0x20 || q > 0x7e) {
        return -1;
      }
      i++;
    }
    return i < len ? i + 1 : -1;
  }
  if (v == 0x3f) { // ?0 / ?1
    i++;
    if (i >= len || (load<u8>(ptr + i) != 0x30 && load<u8>(ptr + i) != 0x31)) return -1;
    return i + 1;
  }
  if ((v >= 0x30 && v <= 0x39) || v == 0x2d) {
    i++;
    let digits = v == 0x2d ? 0 : 1;
    while (i < len && isDigitAt(ptr, i)) { i++; digits++; }
    if (digits == 0 || digits > 15) return -1;
    if (i < len && load<u8>(ptr + i) == DOT) {
      i++;
      let fraction = 0;
      while (i < len && isDigitAt(ptr, i)) { i++; fraction++; }
      if (fraction == 0 || fraction > 3 || digits > 12) return -1;
    }
    return i;
  }
  if ((v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a) || v == 0x2a) {
    i++;
    while (i < len && isSfTokenChar(load<u8>(ptr + i))) i++;
    return i;
  }
  return -1;
}

@inline function isDigitAt(ptr: usize, i: u32): bool {
  const c = load<u8>(ptr + i);
  return c >= 0x30 && c <= 0x39;
}

const DOT: u8 = 0x2e;
