import { bytes, len, ptr } from "./helpers";
import { ABSENT, ANY_STALENESS, CacheControl } from "../http/cache_control";

function parse(value: string): CacheControl {
  const cc = new CacheControl();
  const b = bytes(value);
  cc.parse(ptr(b), len(b));
  return cc;
}

describe("Cache-Control parsing", () => {
  it("reads the common response directives", () => {
    const cc = parse("public, max-age=300, s-maxage=60, must-revalidate");
    expect(cc.isPublic).toBe(true);
    expect(cc.maxAge).toBe(300);
    expect(cc.sMaxAge).toBe(60);
    expect(cc.mustRevalidate).toBe(true);
    expect(cc.noStore).toBe(false);
  });

  it("is case-insensitive in directive names", () => {
    const cc = parse("No-Store, MAX-AGE=5, Private");
    expect(cc.noStore).toBe(true);
    expect(cc.maxAge).toBe(5);
    expect(cc.isPrivate).toBe(true);
  });

  it("accepts quoted values", () => {
    expect(parse("max-age=\"60\"").maxAge).toBe(60);
  });

  it("separates qualified no-cache and private from the plain forms", () => {
    const cc = parse("no-cache=\"Set-Cookie, X-Foo\", private=\"Authorization\"");
    expect(cc.noCache).toBe(false);
    expect(cc.noCacheQualified).toBe(true);
    expect(cc.isPrivate).toBe(false);
    expect(cc.privateQualified).toBe(true);
  });

  it("does not split on commas inside quoted strings", () => {
    const cc = parse("no-cache=\"a, max-age=99\", max-age=7");
    expect(cc.maxAge).toBe(7);
  });

  it("keeps the most restrictive of duplicate max-age values", () => {
    expect(parse("max-age=100, max-age=10, max-age=50").maxAge).toBe(10);
  });

  it("marks invalid max-age values so the response counts as stale", () => {
    const cc = parse("max-age=abc");
    expect(cc.maxAge).toBe(ABSENT);
    expect(cc.maxAgeInvalid).toBe(true);
    expect(parse("max-age=").maxAgeInvalid).toBe(true);
    expect(parse("max-age=-5").maxAgeInvalid).toBe(true);
    expect(parse("max-age=1.5").maxAgeInvalid).toBe(true);
  });

  it("clamps huge delta-seconds to 2^31", () => {
    expect(parse("max-age=99999999999999999999999").maxAge).toBe(2147483648);
  });

  it("skips junk and empty members without losing the rest", () => {
    const cc = parse(",,, ;;; =x, max-age=42 junk, , no-store");
    expect(cc.maxAge).toBe(42);
    expect(cc.noStore).toBe(true);
  });

  it("combines several field lines separated by NUL, as the host gives them", () => {
    const cc = parse("public\0max-age=30\0");
    expect(cc.isPublic).toBe(true);
    expect(cc.maxAge).toBe(30);
  });

  it("reads request directives", () => {
    const cc = parse("max-stale, min-fresh=10, only-if-cached, no-cache");
    expect(cc.maxStale).toBe(ANY_STALENESS);
    expect(cc.minFresh).toBe(10);
    expect(cc.onlyIfCached).toBe(true);
    expect(cc.noCache).toBe(true);
  });

  it("reports whether any directive was present", () => {
    expect(parse("").present).toBe(false);
    expect(parse(" , ").present).toBe(false);
    expect(parse("x-custom").present).toBe(true);
  });

  it("resets between uses", () => {
    const cc = parse("no-store, max-age=1");
    cc.reset();
    expect(cc.noStore).toBe(false);
    expect(cc.maxAge).toBe(ABSENT);
  });
});
