import { bytes, len, ptr } from "./helpers";
import { Config } from "../config";
import { Method, RequestFacts, StoredFacts } from "../policy/facts";
import { Reuse, isBackendFailure, measured, reuseOf, staleIfErrorAllows } from "../policy/reuse";

/** When the stored response was received and stored, in ms. */
const T0: i64 = 1_700_000_000_000;

// Flags of a stored entry, combined with |.
const NO_CACHE: i32 = 1;
const NO_STALE: i32 = 2;
const IMMUTABLE: i32 = 4;

/** A stored response fresh for `lifetimeS` seconds, `initialAgeMs` old when received at T0. */
function entry(lifetimeS: i64, flags: i32 = 0, swrS: i64 = 0, sieS: i64 = 0, initialAgeMs: i64 = 0): StoredFacts {
  const s = new StoredFacts();
  s.storedAt = T0;
  s.responseTime = T0;
  s.initialAge = initialAgeMs;
  s.freshnessLifetime = lifetimeS * 1000;
  s.noCache = (flags & NO_CACHE) != 0;
  s.noStale = (flags & NO_STALE) != 0;
  s.immutable = (flags & IMMUTABLE) != 0;
  s.staleWhileRevalidate = swrS;
  s.staleIfError = sieS;
  return s;
}

function get(cacheControl: string = "", pragmaNoCache: bool = false): RequestFacts {
  const r = new RequestFacts();
  r.method = Method.Get;
  r.pragmaNoCache = pragmaNoCache;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

/** Default settings but a maxTtl long enough not to matter. */
function settings(maxStaleMs: i64 = 0, staleIfErrorMs: i64 = 0): Config {
  const c = new Config();
  c.maxTtlMs = 86_400_000;
  c.maxStaleMs = maxStaleMs;
  c.staleIfErrorMs = staleIfErrorMs;
  return c;
}

const plain = settings();

function name(r: Reuse): string {
  switch (r) {
    case Reuse.Fresh: return "Fresh";
    case Reuse.Stale: return "Stale";
    case Reuse.StaleWhileRevalidate: return "StaleWhileRevalidate";
    case Reuse.Validate: return "Validate";
  }
  return "?";
}

/** One row: what `stored` answers to `request` `atMs` after T0. */
function row(label: string, stored: StoredFacts, request: RequestFacts, atMs: i64, expected: Reuse, config: Config = plain): void {
  expect(name(reuseOf(stored, request, config, T0 + atMs))).toBe(name(expected), label);
}

describe("reuse: freshness (§4.2)", () => {
  it("serves fresh and validates stale", () => {
    row("just stored", entry(60), get(), 0, Reuse.Fresh);
    row("1 ms before expiry", entry(60), get(), 59_999, Reuse.Fresh);
    row("1 ms after expiry", entry(60), get(), 60_001, Reuse.Validate);
    row("long stale", entry(60), get(), 3_600_000, Reuse.Validate);
    row("stored with no lifetime", entry(0), get(), 1, Reuse.Validate);
  });

  it("counts the age the response had when received", () => {
    // 50 s old on arrival, fresh for 60 s: 10 s left.
    row("9.999 s later", entry(60, 0, 0, 0, 50_000), get(), 9_999, Reuse.Fresh);
    row("10.001 s later", entry(60, 0, 0, 0, 50_000), get(), 10_001, Reuse.Validate);
  });

  it("measures age and remaining freshness in ms", () => {
    reuseOf(entry(60, 0, 0, 0, 3_000), get(), plain, T0 + 7_000);
    expect(measured.age).toBe(10_000);
    expect(measured.remaining).toBe(50_000);
    reuseOf(entry(60), get(), plain, T0 + 61_500);
    expect(measured.age).toBe(61_500);
    expect(measured.remaining).toBe(-1_500);
    // Measured even when the answer is to validate.
    reuseOf(entry(60, NO_CACHE), get(), plain, T0 + 2_000);
    expect(measured.age).toBe(2_000);
    expect(measured.remaining).toBe(58_000);
  });

  it("caps freshness with maxTtl counted from when it was stored", () => {
    const c = settings();
    c.maxTtlMs = 10_000;
    row("within maxTtl", entry(60), get(), 9_999, Reuse.Fresh, c);
    expect(measured.remaining).toBe(1);
    row("past maxTtl", entry(60), get(), 10_001, Reuse.Validate, c);
    expect(measured.remaining).toBe(-1);
    const freshened = entry(60);
    freshened.storedAt = T0 + 5_000; // stored again (a 304 freshened it) 5 s after receipt
    row("maxTtl from the second storing", freshened, get(), 14_999, Reuse.Fresh, c);
    row("past maxTtl from the second storing", freshened, get(), 15_001, Reuse.Validate, c);
  });

  it("never extends freshness with maxTtl", () => {
    row("own lifetime shorter", entry(5), get(), 5_001, Reuse.Validate, new Config());
  });
});

describe("reuse: no-cache (§5.2.2.4, §5.2.1.4, §5.4)", () => {
  it("validates a response no-cache entry before every use", () => {
    row("fresh", entry(60, NO_CACHE), get(), 0, Reuse.Validate);
    row("client accepts stale", entry(60, NO_CACHE), get("max-stale"), 120_000, Reuse.Validate);
    row("within its swr window", entry(60, NO_CACHE, 600), get(), 61_000, Reuse.Validate);
  });

  it("validates for a request no-cache, and for Pragma: no-cache without Cache-Control", () => {
    row("request no-cache", entry(60), get("no-cache"), 0, Reuse.Validate);
    row("Pragma alone", entry(60), get("", true), 0, Reuse.Validate);
    row("Pragma with Cache-Control", entry(60), get("max-stale=5", true), 0, Reuse.Fresh);
    row("request no-cache on immutable", entry(60, IMMUTABLE), get("no-cache"), 0, Reuse.Validate);
  });

  it("says when a fresh entry is validated only because of the request (byRequest)", () => {
    row("request no-cache, fresh", entry(60), get("no-cache"), 0, Reuse.Validate);
    expect(measured.byRequest).toBe(true, "no-cache");
    row("request max-age, fresh", entry(60), get("max-age=0"), 1_000, Reuse.Validate);
    expect(measured.byRequest).toBe(true, "max-age");
    row("request min-fresh, fresh", entry(60), get("min-fresh=30"), 40_000, Reuse.Validate);
    expect(measured.byRequest).toBe(true, "min-fresh");
    row("request no-cache, stale", entry(60), get("no-cache"), 61_000, Reuse.Validate);
    expect(measured.byRequest).toBe(false, "stale anyway");
    row("response no-cache, fresh", entry(60, NO_CACHE), get("no-cache"), 0, Reuse.Validate);
    expect(measured.byRequest).toBe(false, "the response's no-cache");
    row("fresh hit after a validation", entry(60), get(), 0, Reuse.Fresh);
    expect(measured.byRequest).toBe(false, "reset by the next decision");
  });
});

describe("reuse: request max-age and min-fresh (§5.2.1.1, §5.2.1.3)", () => {
  it("validates an entry older than the request's max-age", () => {
    row("age equal to max-age", entry(60), get("max-age=10"), 10_000, Reuse.Fresh);
    row("age over max-age", entry(60), get("max-age=10"), 10_001, Reuse.Validate);
    row("reload right after storing", entry(60), get("max-age=0"), 0, Reuse.Fresh);
    row("reload", entry(60), get("max-age=0"), 1, Reuse.Validate);
    row("age from arrival counts", entry(60, 0, 0, 0, 20_000), get("max-age=10"), 0, Reuse.Validate);
  });

  it("lets a fresh immutable entry ignore the request's max-age, but not a stale one", () => {
    row("fresh immutable reload", entry(60, IMMUTABLE), get("max-age=0"), 30_000, Reuse.Fresh);
    row("stale immutable reload", entry(60, IMMUTABLE), get("max-age=0, max-stale"), 61_000, Reuse.Validate);
    row("stale immutable", entry(60, IMMUTABLE), get(), 61_000, Reuse.Validate);
  });

  it("lets max-age win over max-stale", () => {
    row("too old for max-age", entry(60), get("max-age=30, max-stale"), 61_000, Reuse.Validate);
    row("young enough", entry(60), get("max-age=120, max-stale"), 61_000, Reuse.Stale);
  });

  it("validates a fresh entry with less freshness left than min-fresh", () => {
    row("exactly min-fresh left", entry(60), get("min-fresh=10"), 50_000, Reuse.Fresh);
    row("less left", entry(60), get("min-fresh=10"), 50_001, Reuse.Validate);
    row("min-fresh longer than the lifetime", entry(60), get("min-fresh=120"), 0, Reuse.Validate);
  });
});

describe("reuse: serving stale (§4.2.4, §5.2.1.2, RFC 5861)", () => {
  it("serves stale within the request's max-stale", () => {
    row("at max-stale", entry(60), get("max-stale=5"), 65_000, Reuse.Stale);
    row("past max-stale", entry(60), get("max-stale=5"), 65_001, Reuse.Validate);
    row("max-stale without a value", entry(60), get("max-stale"), 86_400_000, Reuse.Stale);
    row("invalid max-stale grants nothing", entry(60), get("max-stale=x"), 60_001, Reuse.Validate);
    row("fresh with max-stale", entry(60), get("max-stale=5"), 1_000, Reuse.Fresh);
  });

  it("serves stale within the stale-while-revalidate window, to the millisecond", () => {
    row("just stale", entry(60, 0, 30), get(), 60_001, Reuse.StaleWhileRevalidate);
    row("at the window's end", entry(60, 0, 30), get(), 90_000, Reuse.StaleWhileRevalidate);
    row("past the window", entry(60, 0, 30), get(), 90_001, Reuse.Validate);
  });

  it("uses the longer of the response's window and config maxStale", () => {
    const longer = settings(60_000);
    row("config longer: at its end", entry(60, 0, 30), get(), 120_000, Reuse.StaleWhileRevalidate, longer);
    row("config longer: past it", entry(60, 0, 30), get(), 120_001, Reuse.Validate, longer);
    row("config without a response window", entry(60), get(), 120_000, Reuse.StaleWhileRevalidate, longer);
    const shorter = settings(10_000);
    row("response longer: at its end", entry(60, 0, 30), get(), 90_000, Reuse.StaleWhileRevalidate, shorter);
    row("response longer: past it", entry(60, 0, 30), get(), 90_001, Reuse.Validate, shorter);
  });

  it("answers max-stale before stale-while-revalidate", () => {
    row("both allow", entry(60, 0, 30), get("max-stale=100"), 70_000, Reuse.Stale);
    row("only swr allows", entry(60, 0, 30), get("max-stale=5"), 70_000, Reuse.StaleWhileRevalidate);
  });

  it("never serves stale what forbids it (must-revalidate, proxy-revalidate, s-maxage, no-cache)", () => {
    row("max-stale", entry(60, NO_STALE), get("max-stale"), 60_001, Reuse.Validate);
    row("max-stale with a value", entry(60, NO_STALE), get("max-stale=600"), 61_000, Reuse.Validate);
    row("own swr window", entry(60, NO_STALE, 600), get(), 61_000, Reuse.Validate);
    row("config maxStale", entry(60, NO_STALE), get(), 61_000, Reuse.Validate, settings(600_000));
    row("still fresh", entry(60, NO_STALE), get(), 59_000, Reuse.Fresh);
  });

  it("does not serve stale without any window at the moment freshness ends", () => {
    // Fresh means remaining > 0: at 0 the entry is stale, and nothing allows serving it stale.
    row("remaining exactly 0", entry(60), get(), 60_000, Reuse.Validate);
    row("stored with max-age=0, used in the same ms", entry(0), get(), 0, Reuse.Validate);
  });
});

describe("stale-if-error (RFC 5861 §4)", () => {
  it("answers with a fresh entry", () => {
    expect(staleIfErrorAllows(entry(60), get("no-cache"), plain, T0 + 1_000)).toBe(true);
  });

  it("refuses a stale entry without any window", () => {
    expect(staleIfErrorAllows(entry(60), get(), plain, T0 + 60_001)).toBe(false);
    // stale-while-revalidate is no stale-if-error window.
    expect(staleIfErrorAllows(entry(60, 0, 600), get(), plain, T0 + 60_001)).toBe(false);
  });

  it("uses the response's window, to the millisecond", () => {
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get(), plain, T0 + 90_000)).toBe(true);
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get(), plain, T0 + 90_001)).toBe(false);
  });

  it("uses the request's stale-if-error when it is longer", () => {
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get("stale-if-error=60"), plain, T0 + 120_000)).toBe(true);
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get("stale-if-error=60"), plain, T0 + 120_001)).toBe(false);
    expect(staleIfErrorAllows(entry(60), get("stale-if-error=10"), plain, T0 + 70_000)).toBe(true);
    // A shorter request window does not shorten the response's.
    expect(staleIfErrorAllows(entry(60, 0, 0, 60), get("stale-if-error=10"), plain, T0 + 120_000)).toBe(true);
  });

  it("uses config staleIfError when it is longer", () => {
    const c = settings(0, 120_000);
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get(), c, T0 + 180_000)).toBe(true);
    expect(staleIfErrorAllows(entry(60, 0, 0, 30), get(), c, T0 + 180_001)).toBe(false);
    expect(staleIfErrorAllows(entry(60, 0, 0, 300), get(), c, T0 + 360_000)).toBe(true);
  });

  it("never answers with an entry that forbids serving stale, even fresh", () => {
    expect(staleIfErrorAllows(entry(60, NO_STALE, 0, 600), get("stale-if-error=600"), settings(0, 600_000), T0 + 61_000))
      .toBe(false);
    expect(staleIfErrorAllows(entry(60, NO_STALE), get(), plain, T0 + 1_000)).toBe(false);
  });

  it("measures the entry it answers with", () => {
    staleIfErrorAllows(entry(60, 0, 0, 30, 2_000), get(), plain, T0 + 70_000);
    expect(measured.age).toBe(72_000);
    expect(measured.remaining).toBe(-12_000);
  });

  it("counts maxTtl as the end of freshness", () => {
    const c = settings(0, 0);
    c.maxTtlMs = 10_000;
    expect(staleIfErrorAllows(entry(60, 0, 0, 5), get(), c, T0 + 15_000)).toBe(true);
    expect(staleIfErrorAllows(entry(60, 0, 0, 5), get(), c, T0 + 15_001)).toBe(false);
  });

  it("counts 500, 502, 503 and 504 as backend failures", () => {
    const failures: u32[] = [500, 502, 503, 504];
    const others: u32[] = [200, 304, 404, 429, 501, 505, 599];
    for (let i = 0; i < failures.length; i++) expect(isBackendFailure(failures[i])).toBe(true, failures[i].toString());
    for (let i = 0; i < others.length; i++) expect(isBackendFailure(others[i])).toBe(false, others[i].toString());
  });
});
