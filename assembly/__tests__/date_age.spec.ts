import { bytes, len, ptr } from "./helpers";
import { parseAge } from "../http/age";
import { INVALID_DATE, daysFromCivil, parseHttpDate, yearOf } from "../http/date";

function date(s: string): i64 {
  const b = bytes(s);
  return parseHttpDate(ptr(b), len(b));
}

function age(s: string): i64 {
  const b = bytes(s);
  return parseAge(ptr(b), len(b));
}

const NOV_6_1994: i64 = 784111777;

describe("HTTP dates", () => {
  it("parses IMF-fixdate", () => {
    expect(date("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(NOV_6_1994);
  });
  it("parses the obsolete RFC 850 form", () => {
    expect(date("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(NOV_6_1994);
  });
  it("parses the obsolete asctime form", () => {
    expect(date("Sun Nov  6 08:49:37 1994")).toBe(NOV_6_1994);
  });
  it("places RFC 850 two-digit years within 50 years of now", () => {
    expect(date("Saturday, 01-Jan-77 00:00:00 GMT")).toBe(daysFromCivil(1977, 1, 1) * 86400);
    expect(date("Friday, 01-Jan-38 00:00:00 GMT")).toBe(daysFromCivil(2038, 1, 1) * 86400);
  });
  it("derives the current year from a timestamp", () => {
    expect(yearOf(NOV_6_1994)).toBe(1994);
    expect(yearOf(daysFromCivil(2026, 12, 31) * 86400)).toBe(2026);
    expect(yearOf(daysFromCivil(2027, 1, 1) * 86400)).toBe(2027);
  });
  it("knows leap years", () => {
    expect(date("Thu, 29 Feb 2024 00:00:00 GMT")).toBe(daysFromCivil(2024, 2, 29) * 86400);
    expect(date("Thu, 29 Feb 2023 00:00:00 GMT")).toBe(INVALID_DATE);
  });
  it("rejects what mixes the forms or drops a digit (RFC 9110 §5.6.7)", () => {
    expect(date("Thu, 18 Aug 50 02:01:18 GMT")).toBe(INVALID_DATE); // IMF-fixdate with a 2-digit year
    expect(date("Thu, 18-Aug-2050 02:01:18 GMT")).toBe(INVALID_DATE); // dashes with a 3-letter day
    expect(date("Thursday, 18 Aug 2050 02:01:18 GMT")).toBe(INVALID_DATE); // a full day with spaces
    expect(date("Thu, 18 Aug 2050 2:01:18 GMT")).toBe(INVALID_DATE); // a 1-digit hour
    expect(date("Thu, 8 Aug 2050 02:01:18 GMT")).toBe(INVALID_DATE); // a 1-digit day
    expect(date("Thu Aug  8 2:01:18 2050")).toBe(INVALID_DATE);
    expect(date("THU, 18 AUG 2050 02:01:18 gMT")).not.toBe(INVALID_DATE); // case is not a form
  });
  it("rejects garbage and near misses", () => {
    expect(date("")).toBe(INVALID_DATE);
    expect(date("garbage")).toBe(INVALID_DATE);
    expect(date("0")).toBe(INVALID_DATE);
    expect(date("-1")).toBe(INVALID_DATE);
    expect(date("Sun, 06 Nov 1994 08:49:37 PST")).toBe(INVALID_DATE);
    expect(date("Sun, 06 Foo 1994 08:49:37 GMT")).toBe(INVALID_DATE);
    expect(date("Sun, 32 Nov 1994 08:49:37 GMT")).toBe(INVALID_DATE);
    expect(date("Sun, 06 Nov 1994 25:49:37 GMT")).toBe(INVALID_DATE);
    expect(date("Sun, 06 Nov 1994 08:49:37 GMT trailing")).toBe(INVALID_DATE);
  });
  it("tolerates surrounding whitespace", () => {
    expect(date("  Sun, 06 Nov 1994 08:49:37 GMT ")).toBe(NOV_6_1994);
  });
});

describe("Age", () => {
  it("reads a non-negative integer", () => {
    expect(age("0")).toBe(0);
    expect(age(" 42 ")).toBe(42);
  });
  it("uses the first value of several", () => {
    expect(age("10\x0020\0")).toBe(10);
  });
  it("uses the first member of a list on one line: `7200, 0` is old (age-parse-suffix)", () => {
    expect(age("7200, 0")).toBe(7200);
    expect(age("0, old")).toBe(0);
    expect(age("old, 0")).toBe(-1);
  });
  it("ignores floats, signs, suffixes and empty values", () => {
    expect(age("1.5")).toBe(-1);
    expect(age("-5")).toBe(-1);
    expect(age("+5")).toBe(-1);
    expect(age("10s")).toBe(-1);
    expect(age("")).toBe(-1);
  });
  it("clamps huge values to 2^31", () => {
    expect(age("99999999999999999999")).toBe(2147483648);
  });
});
