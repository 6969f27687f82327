import { bytes, len, ptr } from "./helpers";
import { ifNoneMatchMatches, notModifiedSince, strongEtagEquals } from "../http/conditional";
import { INVALID_DATE } from "../http/date";

/** If-None-Match `field` (lines separated by NUL, as the host gives them) against ETag `etag`. */
function inm(field: string, etag: string): bool {
  const f = bytes(field);
  const e = bytes(etag);
  return ifNoneMatchMatches(ptr(f), len(f), ptr(e), len(e));
}

function strong(a: string, b: string): bool {
  const x = bytes(a);
  const y = bytes(b);
  return strongEtagEquals(ptr(x), len(x), ptr(y), len(y));
}

describe("If-None-Match, weak comparison", () => {
  it("matches the same strong tag", () => {
    expect(inm("\"abc\"", "\"abc\"")).toBe(true);
    expect(inm("\"abc\"", "\"abd\"")).toBe(false);
  });
  it("ignores W/ on either side", () => {
    expect(inm("W/\"abc\"", "\"abc\"")).toBe(true);
    expect(inm("\"abc\"", "W/\"abc\"")).toBe(true);
    expect(inm("W/\"abc\"", "W/\"abc\"")).toBe(true);
    expect(inm("W/\"abc\"", "W/\"xyz\"")).toBe(false);
  });
  it("compares opaque-tags exactly: case matters, quotes are part of it", () => {
    expect(inm("\"ABC\"", "\"abc\"")).toBe(false);
    expect(inm("\"abc\"", "abc")).toBe(false); // a malformed stored ETag matches no tag
    expect(inm("\"\"", "\"\"")).toBe(true);
  });
  it("matches any member of a list", () => {
    expect(inm("\"a\", \"b\", \"c\"", "\"c\"")).toBe(true);
    expect(inm("\"a\",W/\"b\" ,\"c\"", "\"b\"")).toBe(true);
    expect(inm("\"a\", \"b\"", "\"c\"")).toBe(false);
  });
  it("reads every line of a repeated field", () => {
    expect(inm("\"a\"\0\"b\"\0", "\"b\"")).toBe(true);
    expect(inm("\"a\"\0\"b\"\0", "\"c\"")).toBe(false);
  });
  it("never lets a tag run on into the next line", () => {
    expect(inm("\"a\0\"b\"", "\"a\0\"")).toBe(false);
    expect(inm("\"a\0\"b\"", "\"b\"")).toBe(true);
  });
  it("matches * against any stored response, even one without an ETag", () => {
    expect(inm("*", "\"abc\"")).toBe(true);
    expect(inm(" * ", "")).toBe(true);
    expect(inm("\"a\", *", "\"b\"")).toBe(true);
    expect(inm("\"a\"\0*", "")).toBe(true);
  });
  it("never matches a missing ETag with a list of tags", () => {
    expect(inm("\"a\"", "")).toBe(false);
    expect(inm("\"\"", "")).toBe(false);
    expect(inm("W/\"a\"", "   ")).toBe(false);
  });
  it("tolerates whitespace around members and the stored ETag", () => {
    expect(inm("  \"a\"  ,\t\"b\"\t", "\"b\"")).toBe(true);
    expect(inm("\"b\"", "  \"b\" ")).toBe(true);
    expect(inm(" ,, \"b\" ,", "\"b\"")).toBe(true);
  });
  it("keeps commas inside quotes as part of the tag", () => {
    expect(inm("\"a,b\"", "\"a,b\"")).toBe(true);
    expect(inm("\"a,b\"", "\"a\"")).toBe(false);
    expect(inm("\"x, \"a,b\"", "\"a,b\"")).toBe(false); // `"x, "` then junk
  });
  it("skips malformed members without trapping", () => {
    expect(inm("abc, \"b\"", "\"b\"")).toBe(true);
    expect(inm("abc", "abc")).toBe(false);
    expect(inm("W/abc, \"b\"", "\"b\"")).toBe(true);
    expect(inm("w/\"b\"", "\"b\"")).toBe(false); // W/ is case-sensitive
    expect(inm("\"b\"junk", "\"b\"")).toBe(false);
    expect(inm("\"b\"junk, \"b\"", "\"b\"")).toBe(true);
    expect(inm("\"unterminated", "\"unterminated\"")).toBe(false);
    expect(inm("\"", "\"")).toBe(false);
    expect(inm("W/", "\"b\"")).toBe(false);
    expect(inm("*x, **", "\"b\"")).toBe(false);
    expect(inm("", "\"b\"")).toBe(false);
    expect(inm("\0\0", "\"b\"")).toBe(false);
  });
});

describe("strong ETag comparison", () => {
  it("needs identical strong tags", () => {
    expect(strong("\"abc\"", "\"abc\"")).toBe(true);
    expect(strong(" \"abc\" ", "\"abc\"")).toBe(true);
    expect(strong("\"abc\"", "\"abd\"")).toBe(false);
    expect(strong("\"abc\"", "\"abc \"")).toBe(false);
  });
  it("never matches a weak tag", () => {
    expect(strong("W/\"abc\"", "\"abc\"")).toBe(false);
    expect(strong("\"abc\"", "W/\"abc\"")).toBe(false);
    expect(strong("W/\"abc\"", "W/\"abc\"")).toBe(false);
  });
  it("never matches malformed or missing tags", () => {
    expect(strong("abc", "abc")).toBe(false);
    expect(strong("", "")).toBe(false);
    expect(strong("\"abc\"x", "\"abc\"x")).toBe(false);
    expect(strong("\"abc", "\"abc")).toBe(false);
  });
});

describe("If-Modified-Since", () => {
  it("holds when the response has not changed since", () => {
    expect(notModifiedSince(1000, 1000)).toBe(true);
    expect(notModifiedSince(1000, 999)).toBe(true);
    expect(notModifiedSince(1000, 1001)).toBe(false);
  });
  it("never holds without two valid dates", () => {
    expect(notModifiedSince(INVALID_DATE, 1000)).toBe(false);
    expect(notModifiedSince(1000, INVALID_DATE)).toBe(false);
    expect(notModifiedSince(INVALID_DATE, INVALID_DATE)).toBe(false);
  });
});
