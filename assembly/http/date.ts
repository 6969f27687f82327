// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate and the two obsolete forms, all in GMT.
//   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
//   asctime      Sun Nov  6 08:49:37 1994
// Returns seconds since the Unix epoch, or INVALID_DATE.
import { isDigit, isWhitespace, toLowerAscii } from "./bytes";

export const INVALID_DATE: i64 = i64.MIN_VALUE;

// Three lowercase letters per month, packed for a simple scan.
const MONTHS = "janfebmaraprmayjunjulaugsepoctnovdec";

let cursor: u32 = 0;

function skipSpaces(ptr: usize, len: u32): void {
  while (cursor < len && isWhitespace(load<u8>(ptr + cursor))) cursor++;
}

function skipLetters(ptr: usize, len: u32): u32 {
  const start = cursor;
  while (cursor < len) {
    const b = toLowerAscii(load<u8>(ptr + cursor));
    if (b < 0x61 || b > 0x7a) break;
    cursor++;
  }
  return cursor - start;
}

/** Reads 1..maxDigits digits; returns -1 when there are none. */
function readNumber(ptr: usize, len: u32, maxDigits: u32): i32 {
  let value: i32 = 0;
  let digits: u32 = 0;
  while (cursor < len && digits < maxDigits && isDigit(load<u8>(ptr + cursor))) {
    value = value * 10 + <i32>(load<u8>(ptr + cursor) - 0x30);
    cursor++;
    digits++;
  }
  return digits == 0 ? -1 : value;
}

function expect(ptr: usize, len: u32, b: u8): bool {
  if (cursor < len && load<u8>(ptr + cursor) == b) {
    cursor++;
    return true;
  }
  return false;
}

/** Month 1..12 from three letters at the cursor, or -1. */
function readMonth(ptr: usize, len: u32): i32 {
  const start = cursor;
  if (skipLetters(ptr, len) != 3) return -1;
  for (let m = 0; m < 12; m++) {
    if (
      toLowerAscii(load<u8>(ptr + start)) == <u8>MONTHS.charCodeAt(m * 3) &&
      toLowerAscii(load<u8>(ptr + start + 1)) == <u8>MONTHS.charCodeAt(m * 3 + 1) &&
      toLowerAscii(load<u8>(ptr + start + 2)) == <u8>MONTHS.charCodeAt(m * 3 + 2)
    ) return m + 1;
  }
  return -1;
}

/** Exactly `count` digits, or -1. */
function readDigits(ptr: usize, len: u32, count: u32): i32 {
  const start = cursor;
  const value = readNumber(ptr, len, count);
  return cursor - start == count ? value : -1;
}

/** hh:mm:ss (two digits each: time-of-day, RFC 9110 §5.6.7) -> seconds of the day, or -1. */
function readTime(ptr: usize, len: u32): i32 {
  const hour = readDigits(ptr, len, 2);
  if (hour < 0 || hour > 23 || !expect(ptr, len, 0x3a)) return -1;
  const minute = readDigits(ptr, len, 2);
  if (minute < 0 || minute > 59 || !expect(ptr, len, 0x3a)) return -1;
  const second = readDigits(ptr, len, 2);
  if (second < 0 || second > 60) return -1; // 60: a leap second
  return hour * 3600 + minute * 60 + second;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: i64, month: i64, day: i64): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yearOfEra = y - era * 400;
  const dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

function toEpoch(year: i32, month: i32, day: i32, secondOfDay: i32): i64 {
  if (year < 1970 || day < 1 || day > daysInMonth(year, month)) return INVALID_DATE;
  return daysFromCivil(year, month, day) * 86400 + <i64>secondOfDay;
}

/** The Gregorian year of a time in seconds since the epoch. */
export function yearOf(epochSeconds: i64): i32 {
  const days = epochSeconds / 86400;
  let year = <i32>(1970 + days * 400 / 146097);
  // The estimate can be one off around New Year.
  if (daysFromCivil(year + 1, 1, 1) <= days) year++;
  else if (daysFromCivil(year, 1, 1) > days) year--;
  return year;
}

const DEFAULT_YEAR: i32 = 2026;

/** `nowYear`: the current year, to place RFC 850's two-digit years (§5.6.7). */
export function parseHttpDate(ptr: usize, len: u32, nowYear: i32 = DEFAULT_YEAR): i64 {
  cursor = 0;
  skipSpaces(ptr, len);
  const dayNameLen = skipLetters(ptr, len);
  if (dayNameLen < 3) return INVALID_DATE;
  const comma = expect(ptr, len, 0x2c);
  skipSpaces(ptr, len);
  if (cursor >= len) return INVALID_DATE;

  if (!comma) {
    // asctime: month SP (2DIGIT / SP DIGIT) SP time SP year
    const month = readMonth(ptr, len);
    if (month < 0) return INVALID_DATE;
    skipSpaces(ptr, len);
    const day = readNumber(ptr, len, 2);
    if (day < 0 || !expect(ptr, len, 0x20)) return INVALID_DATE;
    const time = readTime(ptr, len);
    if (time < 0 || !expect(ptr, len, 0x20)) return INVALID_DATE;
    const year = readNumber(ptr, len, 4);
    if (year < 0) return INVALID_DATE;
    skipSpaces(ptr, len);
    if (cursor != len) return INVALID_DATE;
    return toEpoch(year, month, day, time);
  }

  // IMF-fixdate names the day in three letters and writes `06 Nov 1994`; RFC 850 names it in
  // full and writes `06-Nov-94`. Any other mix is not an HTTP-date.
  const dashed = dayNameLen > 3;
  const day = readDigits(ptr, len, 2);
  if (day < 0 || !expect(ptr, len, dashed ? <u8>0x2d : <u8>0x20)) return INVALID_DATE;
  const month = readMonth(ptr, len);
  if (month < 0) return INVALID_DATE;
  if (!expect(ptr, len, dashed ? <u8>0x2d : <u8>0x20)) return INVALID_DATE;
  let year = readDigits(ptr, len, dashed ? 2 : 4);
  if (year < 0) return INVALID_DATE;
  if (dashed) {
    // A two-digit year more than 50 years in the future is in the past century.
    const century = nowYear / 100 * 100;
    year += century;
    if (year > nowYear + 50) year -= 100;
  }
  if (!expect(ptr, len, 0x20)) return INVALID_DATE;
  const time = readTime(ptr, len);
  if (time < 0) return INVALID_DATE;
  skipSpaces(ptr, len);
  if (skipLetters(ptr, len) != 3) return INVALID_DATE; // "GMT"
  const g = toLowerAscii(load<u8>(ptr + cursor - 3));
  const m = toLowerAscii(load<u8>(ptr + cursor - 2));
  const t = toLowerAscii(load<u8>(ptr + cursor - 1));
  if (g != 0x67 || m != 0x6d || t != 0x74) return INVALID_DATE;
  skipSpaces(ptr, len);
  if (cursor != len) return INVALID_DATE;
  return toEpoch(year, month, day, time);
}
