// Stored header lines, as records keep them: [u32 nameLength][u32 valueLength][name][value] each,
// names in Go's canonical form. Reading, freshening with a 304 (RFC 9111 §4.3.4) and dropping
// fields. Names compare case-insensitively: lines may come from elsewhere than our own canonical
// writer (a 304's lines, an older record). No allocation beyond the output buffer's appends.
import { ByteBuffer } from "../host/buffer";
import { equalsIgnoreCase, toLowerAscii } from "./bytes";
import { CONTENT_LENGTH } from "./names";

/** Bytes before a line's name: the two lengths. */
export const LINE_HEAD: u32 = 8;

@inline export function lineNameLength(line: usize): u32 { return load<u32>(line, 0); }
@inline export function lineValueLength(line: usize): u32 { return load<u32>(line, 4); }
@inline export function lineName(line: usize): usize { return line + LINE_HEAD; }
@inline export function lineValue(line: usize): usize { return line + LINE_HEAD + lineNameLength(line); }
@inline export function lineNext(line: usize): usize { return lineValue(line) + lineValueLength(line); }
@inline export function lineSize(line: usize): u32 { return LINE_HEAD + lineNameLength(line) + lineValueLength(line); }

/**
 * Whether a whole line starts at `line` and ends by `end`. In 64 bits: lengths read from a record
 * are not trusted to be small, and a wrapped sum would walk out of the buffer.
 */
export function lineFits(line: usize, end: usize): bool {
  if (<u64>line + <u64>LINE_HEAD > <u64>end) return false;
  return <u64>line + <u64>LINE_HEAD + <u64>lineNameLength(line) + <u64>lineValueLength(line) <= <u64>end;
}

/** Case-insensitive equality of two names (either side may be canonical or lowercase). */
function namesEqual(a: usize, aLen: u32, b: usize, bLen: u32): bool {
  if (aLen != bLen) return false;
  for (let i: u32 = 0; i < aLen; i++) {
    if (toLowerAscii(load<u8>(a + i)) != toLowerAscii(load<u8>(b + i))) return false;
  }
  return true;
}

@inline function sameName(a: usize, b: usize): bool {
  return namesEqual(lineName(a), lineNameLength(a), lineName(b), lineNameLength(b));
}

/** Whether a line of [from, before) has the name of `line` (lines already walked: they fit). */
function hasNameBefore(from: usize, before: usize, line: usize): bool {
  for (let l = from; l < before; l = lineNext(l)) if (sameName(l, line)) return true;
  return false;
}

/** The first whole line of [lines, end) named like `line`, or 0. */
function findLike(lines: usize, end: usize, line: usize): usize {
  for (let l = lines; lineFits(l, end); l = lineNext(l)) if (sameName(l, line)) return l;
  return 0;
}

/**
 * The first line named `name` (lowercase), or 0. Read it with lineValue / lineValueLength, and
 * further lines of the same field with lineNext + findLine on the rest.
 */
export function findLine(lines: usize, linesLen: u32, name: ArrayBuffer): usize {
  const end = lines + linesLen;
  for (let l = lines; lineFits(l, end); l = lineNext(l)) {
    if (equalsIgnoreCase(lineName(l), lineNameLength(l), name)) return l;
  }
  return 0;
}

@inline function appendLine(into: ByteBuffer, line: usize): void {
  into.appendBytes(line, lineSize(line));
}

/** Content-Length describes the stored body, not the 304's (empty) one: never taken (§3.2). */
@inline function isKeptFromStored(line: usize): bool {
  return equalsIgnoreCase(lineName(line), lineNameLength(line), CONTENT_LENGTH);
}

/**
 * Appends to `into` the stored lines freshened with a 304's (RFC 9111 §3.2, §4.3.4): every field
 * the update carries replaces all stored lines of that name, its lines taking the place of the
 * first of them (so the order of fields is kept) or going last when the stored response had none.
 * Content-Length stays the stored one. The caller has already left hop-by-hop fields out of
 * `update`. `into` must not hold `stored` or `update`: appending may move its bytes.
 */
export function mergeNotModified(stored: usize, storedLen: u32, update: usize, updateLen: u32, into: ByteBuffer): void {
  const storedEnd = stored + storedLen;
  const updateEnd = update + updateLen;
  for (let l = stored; lineFits(l, storedEnd); l = lineNext(l)) {
    const replacement: usize = isKeptFromStored(l) ? 0 : findLike(update, updateEnd, l);
    if (replacement == 0) {
      appendLine(into, l);
      continue;
    }
    if (hasNameBefore(stored, l, l)) continue; // dropped: the update's lines went in already
    for (let u = replacement; lineFits(u, updateEnd); u = lineNext(u)) {
      if (sameName(u, l)) appendLine(into, u);
    }
  }
  // Fields the stored response did not have, in the update's order.
  for (let u = update; lineFits(u, updateEnd); u = lineNext(u)) {
    if (!isKeptFromStored(u) && findLike(stored, storedEnd, u) == 0) appendLine(into, u);
  }
}

/** Whether a line's name is one of `names` (lowercase). */
function isNamed(line: usize, names: ArrayBuffer[]): bool {
  for (let i = 0; i < names.length; i++) {
    if (equalsIgnoreCase(lineName(line), lineNameLength(line), unchecked(names[i]))) return true;
  }
  return false;
}

/**
 * Appends to `into` every line except those named in `names` (lowercase): the fields a qualified
 * no-cache="F" or private="F" keeps out of a shared cache (RFC 9111 §5.2.2.4, §5.2.2.7).
 */
export function removeLines(lines: usize, linesLen: u32, names: ArrayBuffer[], into: ByteBuffer): void {
  const end = lines + linesLen;
  for (let l = lines; lineFits(l, end); l = lineNext(l)) {
    if (!isNamed(l, names)) appendLine(into, l);
  }
}
