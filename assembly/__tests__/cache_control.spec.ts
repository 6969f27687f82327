import { bytes, len, ptr } from "./helpers";
import { ABSENT, ANY_STALENESS, CacheControl } from "../http/cache_control";

function parse(value: string): CacheControl {
  const cc = new CacheControl();
  const b = bytes(value);
  cc.parse(ptr(b), len(b));
  return cc;
}

/** The dropped field names, NUL shown as "|". */
function dropped(value: string): string {
  const buf = parse(value).droppedFields;
  let s = "";
  for (let i: u32 = 0; i < buf.length; i++) {
    const c = load<u8>(buf.ptr + i);
    s += c == 0 ? "|" : String.fromCharCode(c);
  }
  return s;
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

// [value, stale-while-revalidate, stale-if-error] (ABSENT is -1)
const WINDOW_CASES: string[][] = [
  ["max-age=60", "-1", "-1"],
  ["stale-while-revalidate=30", "30", "-1"],
  ["stale-if-error=600", "-1", "600"],
  ["stale-while-revalidate=30, stale-if-error=86400", "30", "86400"],
  ["Stale-While-Revalidate=\"45\"", "45", "-1"],
  ["stale-while-revalidate=0", "0", "-1"],
  // Duplicates keep the smallest window.
  ["stale-while-revalidate=30, stale-while-revalidate=10, stale-while-revalidate=20", "10", "-1"],
  ["stale-if-error=5\0stale-if-error=60", "-1", "5"],
  // An invalid value grants nothing, and then wins over any duplicate.
  ["stale-while-revalidate=soon", "0", "-1"],
  ["stale-while-revalidate", "0", "-1"],
  ["stale-if-error=-5", "-1", "0"],
  ["stale-if-error=1.5", "-1", "0"],
  ["stale-if-error=600, stale-if-error=x", "-1", "0"],
];

// [value, dropped names with NUL shown as "|"]
const DROPPED_CASES: string[][] = [
  ["no-cache=\"a, B\", private=\"c\"", "a|b|c|"],
  ["no-cache=\"Set-Cookie\"", "set-cookie|"],
  ["private=\"X-Secret,Authorization\"", "x-secret|authorization|"],
  ["no-cache=Set-Cookie, max-age=60", "set-cookie|"],
  ["no-cache=\" a ,, b \"", "a|b|"],
  ["no-cache=\"a\"\0private=\"b\"", "a|b|"],
  // The plain forms drop nothing: they cover the whole response.
  ["no-cache, private, max-age=60", ""],
  ["no-cache=\"\"", ""],
  ["public, max-age=60", ""],
];

describe("RFC 5861 windows", () => {
  it("reads stale-while-revalidate and stale-if-error in seconds", () => {
    for (let i = 0; i < WINDOW_CASES.length; i++) {
      const c = WINDOW_CASES[i];
      const cc = parse(c[0]);
      expect(cc.staleWhileRevalidate).toBe(I64.parseInt(c[1]), c[0]);
      expect(cc.staleIfError).toBe(I64.parseInt(c[2]), c[0]);
    }
  });

  it("reads them from requests too", () => {
    expect(parse("max-age=0, stale-if-error=120").staleIfError).toBe(120);
  });

  it("clears them on reset", () => {
    const cc = parse("stale-while-revalidate=30, stale-if-error=60");
    cc.reset();
    expect(cc.staleWhileRevalidate).toBe(ABSENT);
    expect(cc.staleIfError).toBe(ABSENT);
  });
});

describe("fields dropped from a stored response (§5.2.2.4, §5.2.2.7)", () => {
  it("lists the named fields, lowercased and NUL-terminated", () => {
    for (let i = 0; i < DROPPED_CASES.length; i++) {
      expect(dropped(DROPPED_CASES[i][0])).toBe(DROPPED_CASES[i][1], DROPPED_CASES[i][0]);
    }
  });

  it("does not make the response private or no-cache", () => {
    const cc = parse("no-cache=\"a, B\", private=\"c\"");
    expect(cc.noCache).toBe(false);
    expect(cc.isPrivate).toBe(false);
    expect(cc.forbidsStale).toBe(false);
  });

  it("counts an empty no-cache value as plain no-cache", () => {
    expect(parse("no-cache=\"\"").noCache).toBe(true);
  });

  it("forgets them on reset", () => {
    const cc = parse("private=\"c\"");
    cc.reset();
    expect(cc.droppedFields.length).toBe(0);
  });
});

describe("must-understand and stale serving", () => {
  it("reads must-understand", () => {
    const cc = parse("must-understand, no-store");
    expect(cc.mustUnderstand).toBe(true);
    expect(cc.noStore).toBe(true);
    expect(parse("MUST-UNDERSTAND").mustUnderstand).toBe(true);
    expect(parse("no-store").mustUnderstand).toBe(false);
  });

  it("forbids serving stale for must-revalidate, proxy-revalidate, s-maxage (even invalid) and no-cache", () => {
    const forbid: string[] = [
      "must-revalidate", "proxy-revalidate", "s-maxage=60", "s-maxage=0", "s-maxage=x", "s-maxage",
      "no-cache", "max-age=60, Must-Revalidate",
    ];
    const allow: string[] = [
      "max-age=60", "public, max-age=60, stale-while-revalidate=30", "no-cache=\"Set-Cookie\"", "immutable",
      "private=\"a\"", "",
    ];
    for (let i = 0; i < forbid.length; i++) expect(parse(forbid[i]).forbidsStale).toBe(true, forbid[i]);
    for (let i = 0; i < allow.length; i++) expect(parse(allow[i]).forbidsStale).toBe(false, allow[i]);
  });

  it("reads immutable and max-stale with a value", () => {
    expect(parse("max-age=31536000, immutable").immutable).toBe(true);
    expect(parse("max-stale=30").maxStale).toBe(30);
    expect(parse("max-stale=60, max-stale=30").maxStale).toBe(30);
    expect(parse("max-stale=x").maxStale).toBe(0);
  });
});

