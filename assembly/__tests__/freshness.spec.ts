import { bytes, len, ptr } from "./helpers";
import { Config } from "../config";
import { INVALID_DATE } from "../http/date";
import { ResponseFacts } from "../policy/facts";
import {
  NO_EXPLICIT_FRESHNESS, correctedInitialAge, currentAge, explicitLifetime, freshnessLifetime,
  isHeuristicallyCacheable, remainingFreshness,
} from "../policy/freshness";

/** When the response was received, in ms; NOW_S the same in seconds (header dates are seconds). */
const NOW: i64 = 1_700_000_000_000;
const NOW_S: i64 = NOW / 1000;

function response(status: u32, cacheControl: string): ResponseFacts {
  const r = new ResponseFacts();
  r.status = status;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

/** A response with the given Cache-Control and, when not INVALID_DATE, Date and Expires (seconds). */
function dated(cacheControl: string, date: i64, expires: i64, hasExpires: bool = true): ResponseFacts {
  const r = response(200, cacheControl);
  r.date = date;
  r.hasExpires = hasExpires;
  r.expires = expires;
  return r;
}

function heuristic(defaultTtlMs: i64 = 0): Config {
  const c = new Config();
  c.heuristicFreshness = true;
  c.defaultTtlMs = defaultTtlMs;
  return c;
}

describe("explicit lifetime (§4.2.1)", () => {
  it("prefers s-maxage over max-age over Expires", () => {
    expect(explicitLifetime(dated("max-age=60, s-maxage=30", NOW_S, NOW_S + 900), NOW)).toBe(30_000);
    expect(explicitLifetime(dated("s-maxage=30, max-age=60", NOW_S, NOW_S + 900), NOW)).toBe(30_000);
    expect(explicitLifetime(dated("max-age=60", NOW_S, NOW_S + 900), NOW)).toBe(60_000);
    expect(explicitLifetime(dated("", NOW_S, NOW_S + 900), NOW)).toBe(900_000);
    // A longer max-age than s-maxage does not win either.
    expect(explicitLifetime(dated("max-age=10, s-maxage=3600", NOW_S, NOW_S + 900), NOW)).toBe(3_600_000);
  });

  it("gives an explicit zero for max-age=0 (stale at once), not no lifetime", () => {
    expect(explicitLifetime(response(200, "max-age=0"), NOW)).toBe(0);
    expect(explicitLifetime(response(200, "s-maxage=0, max-age=60"), NOW)).toBe(0);
  });

  it("uses Expires - Date, not Expires - the receipt time", () => {
    // Date 40 s before we received it: the origin's clock decides, the lifetime is 60 s.
    expect(explicitLifetime(dated("", NOW_S - 40, NOW_S + 20), NOW)).toBe(60_000);
  });

  it("uses Expires - the receipt time without a valid Date", () => {
    expect(explicitLifetime(dated("", INVALID_DATE, NOW_S + 100), NOW)).toBe(100_000);
    // Receipt time in ms counts to the millisecond.
    expect(explicitLifetime(dated("", INVALID_DATE, NOW_S + 100), NOW + 250)).toBe(99_750);
  });

  it("treats Expires at or before Date as already expired", () => {
    expect(explicitLifetime(dated("", NOW_S, NOW_S), NOW)).toBe(0);
    expect(explicitLifetime(dated("", NOW_S, NOW_S - 3600), NOW)).toBe(0);
    expect(explicitLifetime(dated("", INVALID_DATE, NOW_S - 1), NOW)).toBe(0);
  });

  it("treats an invalid Expires as already expired", () => {
    expect(explicitLifetime(dated("", NOW_S, INVALID_DATE), NOW)).toBe(0);
  });

  it("treats an invalid value of the directive that applies as already expired", () => {
    const cases: string[] = [
      "max-age=soon", "max-age=", "max-age=-1", "max-age=60, max-age=x",
      "s-maxage=x, max-age=60", "s-maxage", "s-maxage=60, s-maxage=1.5",
    ];
    for (let i = 0; i < cases.length; i++) {
      expect(explicitLifetime(dated(cases[i], NOW_S, NOW_S + 900), NOW)).toBe(0, cases[i]);
    }
  });

  it("ignores an invalid max-age when a valid s-maxage applies", () => {
    expect(explicitLifetime(response(200, "s-maxage=30, max-age=x"), NOW)).toBe(30_000);
  });

  it("has no explicit lifetime without any of them", () => {
    expect(explicitLifetime(response(200, "public"), NOW)).toBe(NO_EXPLICIT_FRESHNESS);
    expect(explicitLifetime(response(200, "stale-while-revalidate=60, immutable"), NOW)).toBe(NO_EXPLICIT_FRESHNESS);
    // A Date alone is not freshness information.
    expect(explicitLifetime(dated("", NOW_S, INVALID_DATE, false), NOW)).toBe(NO_EXPLICIT_FRESHNESS);
  });
});

describe("freshness lifetime with defaults and heuristics (§4.2.2)", () => {
  it("knows the heuristically cacheable statuses (RFC 9110 §15.1)", () => {
    const yes: u32[] = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501];
    const no: u32[] = [201, 202, 302, 303, 307, 400, 403, 418, 500, 502, 503, 504];
    for (let i = 0; i < yes.length; i++) expect(isHeuristicallyCacheable(yes[i])).toBe(true, yes[i].toString());
    for (let i = 0; i < no.length; i++) expect(isHeuristicallyCacheable(no[i])).toBe(false, no[i].toString());
  });

  it("gives defaultTtl only to heuristically cacheable or public responses without explicit freshness", () => {
    const c = new Config();
    c.defaultTtlMs = 10_000;
    expect(freshnessLifetime(response(200, ""), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(404, ""), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(302, ""), NOW, c)).toBe(0);
    expect(freshnessLifetime(response(500, ""), NOW, c)).toBe(0);
    expect(freshnessLifetime(response(500, "public"), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(200, "max-age=5"), NOW, c)).toBe(5_000);
    expect(freshnessLifetime(response(200, "max-age=0"), NOW, c)).toBe(0);
    expect(freshnessLifetime(response(200, ""), NOW, new Config())).toBe(0);
  });

  it("gives a tenth of Date - Last-Modified with heuristicFreshness", () => {
    const r = response(200, "");
    r.date = NOW_S;
    r.lastModified = NOW_S - 1000; // modified 1000 s ago: fresh for 100 s
    expect(freshnessLifetime(r, NOW, heuristic(10_000))).toBe(100_000);
    r.lastModified = NOW_S - 10 * 86_400; // ten days: one day
    expect(freshnessLifetime(r, NOW, heuristic())).toBe(86_400_000);
  });

  it("measures from Date, not from when the response was received", () => {
    const r = response(200, "");
    r.date = NOW_S - 100;
    r.lastModified = NOW_S - 1100; // 1000 s before Date (1100 s before receipt)
    expect(freshnessLifetime(r, NOW, heuristic())).toBe(100_000);
  });

  it("measures from the receipt time when there is no Date", () => {
    const r = response(200, "");
    r.lastModified = NOW_S - 500;
    expect(freshnessLifetime(r, NOW, heuristic())).toBe(50_000);
  });

  it("does not cap the heuristic here (maxTtl caps it when reused)", () => {
    const r = response(200, "");
    r.date = NOW_S;
    r.lastModified = NOW_S - 100 * 86_400;
    expect(freshnessLifetime(r, NOW, heuristic())).toBe(864_000_000);
  });

  it("falls back to defaultTtl without a usable Last-Modified", () => {
    const none = response(200, "");
    none.date = NOW_S;
    expect(freshnessLifetime(none, NOW, heuristic(7_000))).toBe(7_000);
    const future = response(200, "");
    future.date = NOW_S;
    future.lastModified = NOW_S + 60;
    expect(freshnessLifetime(future, NOW, heuristic(7_000))).toBe(7_000);
    const same = response(200, "");
    same.date = NOW_S;
    same.lastModified = NOW_S;
    expect(freshnessLifetime(same, NOW, heuristic(7_000))).toBe(7_000);
  });

  it("applies the heuristic only to heuristically cacheable statuses or public responses", () => {
    const error = response(500, "");
    error.date = NOW_S;
    error.lastModified = NOW_S - 1000;
    expect(freshnessLifetime(error, NOW, heuristic(7_000))).toBe(0);
    const publicError = response(500, "public");
    publicError.date = NOW_S;
    publicError.lastModified = NOW_S - 1000;
    expect(freshnessLifetime(publicError, NOW, heuristic(7_000))).toBe(100_000);
  });

  it("never applies the heuristic when the response has explicit freshness or it is off", () => {
    const r = response(200, "max-age=5");
    r.date = NOW_S;
    r.lastModified = NOW_S - 1000;
    expect(freshnessLifetime(r, NOW, heuristic())).toBe(5_000);
    const off = response(200, "");
    off.date = NOW_S;
    off.lastModified = NOW_S - 1000;
    const c = new Config();
    c.defaultTtlMs = 7_000;
    expect(freshnessLifetime(off, NOW, c)).toBe(7_000);
  });
});

describe("age (§4.2.3)", () => {
  it("takes the larger of apparent age and corrected Age", () => {
    // Requested at NOW - 1 s, received at NOW.
    const r = response(200, "max-age=60");
    r.date = NOW_S - 5; // apparent_age 5 s
    r.age = 2; // corrected_age_value 2 s + 1 s in flight = 3 s
    expect(correctedInitialAge(r, NOW - 1000, NOW)).toBe(5_000);
    r.age = 10; // 10 s + 1 s in flight = 11 s
    expect(correctedInitialAge(r, NOW - 1000, NOW)).toBe(11_000);
  });

  it("counts apparent age to the millisecond of receipt", () => {
    const r = response(200, "");
    r.date = NOW_S - 3;
    expect(correctedInitialAge(r, NOW + 400, NOW + 400)).toBe(3_400);
  });

  it("ignores a Date in the future", () => {
    const r = response(200, "max-age=60");
    r.date = NOW_S + 100;
    expect(correctedInitialAge(r, NOW, NOW)).toBe(0);
    expect(correctedInitialAge(r, NOW - 300, NOW)).toBe(300);
  });

  it("counts the response delay even without Date or Age", () => {
    expect(correctedInitialAge(response(200, ""), NOW - 250, NOW)).toBe(250);
    expect(correctedInitialAge(response(200, ""), NOW, NOW)).toBe(0);
  });

  it("never counts a negative response delay", () => {
    const r = response(200, "");
    r.age = 4;
    expect(correctedInitialAge(r, NOW + 1000, NOW)).toBe(4_000);
  });

  it("adds resident time to the initial age", () => {
    expect(currentAge(3_000, NOW, NOW + 7_000)).toBe(10_000);
    expect(currentAge(3_000, NOW, NOW)).toBe(3_000);
    // A clock that went back adds nothing.
    expect(currentAge(3_000, NOW, NOW - 5_000)).toBe(3_000);
  });
});

describe("remaining freshness", () => {
  it("is the lifetime minus the current age", () => {
    const c = new Config();
    c.maxTtlMs = 3_600_000;
    expect(remainingFreshness(60_000, 5_000, NOW, NOW, NOW + 10_000, c)).toBe(45_000);
    expect(remainingFreshness(60_000, 5_000, NOW, NOW, NOW + 55_000, c)).toBe(0);
    expect(remainingFreshness(60_000, 5_000, NOW, NOW, NOW + 56_000, c)).toBe(-1_000);
  });

  it("is capped by maxTtl counted from storage, never extended by it", () => {
    const c = new Config();
    c.maxTtlMs = 5_000;
    expect(remainingFreshness(60_000, 0, NOW, NOW, NOW + 1_000, c)).toBe(4_000);
    expect(remainingFreshness(60_000, 0, NOW, NOW, NOW + 6_000, c)).toBe(-1_000);
    // Stored (freshened) 10 s after the response was received: maxTtl counts from then.
    expect(remainingFreshness(60_000, 0, NOW, NOW + 10_000, NOW + 12_000, c)).toBe(3_000);
    c.maxTtlMs = 3_600_000;
    expect(remainingFreshness(10_000, 8_000, NOW, NOW, NOW + 1_000, c)).toBe(1_000);
  });

  it("caps with the default maxTtl of 5 minutes", () => {
    expect(remainingFreshness(3_600_000, 0, NOW, NOW, NOW, new Config())).toBe(300_000);
  });
});
