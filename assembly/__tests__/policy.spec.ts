import { bytes, len, ptr } from "./helpers";
import { Config } from "../config";
import { Method, RequestFacts, ResponseFacts } from "../policy/facts";
import {
  NO_EXPLICIT_FRESHNESS, correctedInitialAge, currentAge, explicitLifetime, freshnessLifetime, remainingFreshness,
} from "../policy/freshness";
import { RequestDecision, decideRequest } from "../policy/request";
import { NotStorable, allowsAuthorizedReuse, checkStorable, isLastingReason } from "../policy/storable";

function response(status: u32, cacheControl: string): ResponseFacts {
  const r = new ResponseFacts();
  r.status = status;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

function get(cacheControl: string = ""): RequestFacts {
  const r = new RequestFacts();
  r.method = Method.Get;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

const NOW: i64 = 1_700_000_000_000;
const config = new Config(); // defaults; tests that change settings make their own

describe("request decisions", () => {
  it("looks up GET and HEAD", () => {
    expect(decideRequest(get(), config)).toBe(RequestDecision.Lookup);
    const head = get();
    head.method = Method.Head;
    expect(decideRequest(head, config)).toBe(RequestDecision.Lookup);
  });
  it("passes other methods through", () => {
    const post = get();
    post.method = Method.Other;
    expect(decideRequest(post, config)).toBe(RequestDecision.BypassMethod);
  });
  it("passes HEAD through when only GET is configured", () => {
    const c = new Config();
    c.cacheHead = false;
    const head = get();
    head.method = Method.Head;
    expect(decideRequest(head, c)).toBe(RequestDecision.BypassMethod);
  });
  it("refreshes on no-cache and on Pragma: no-cache without Cache-Control", () => {
    expect(decideRequest(get("no-cache"), config)).toBe(RequestDecision.Refresh);
    const pragma = get();
    pragma.pragmaNoCache = true;
    expect(decideRequest(pragma, config)).toBe(RequestDecision.Refresh);
    const both = get("max-age=10");
    both.pragmaNoCache = true;
    expect(decideRequest(both, config)).toBe(RequestDecision.Lookup);
  });
  it("bypasses no-store, Range and unkeyable requests", () => {
    expect(decideRequest(get("no-store"), config)).toBe(RequestDecision.BypassRequest);
    const range = get();
    range.hasRange = true;
    expect(decideRequest(range, config)).toBe(RequestDecision.BypassRequest);
    const unkeyable = get();
    unkeyable.keyable = false;
    expect(decideRequest(unkeyable, config)).toBe(RequestDecision.BypassRequest);
  });
});

describe("storability (§3)", () => {
  it("stores a public max-age response", () => {
    expect(checkStorable(get(), response(200, "max-age=60"), config)).toBe(NotStorable.No);
  });
  it("refuses no-store, private and no-cache", () => {
    expect(checkStorable(get(), response(200, "max-age=60, no-store"), config)).toBe(NotStorable.NoStore);
    expect(checkStorable(get("no-store"), response(200, "max-age=60"), config)).toBe(NotStorable.NoStore);
    expect(checkStorable(get(), response(200, "private, max-age=60"), config)).toBe(NotStorable.Private);
    expect(checkStorable(get(), response(200, "private=\"x\", max-age=60"), config)).toBe(NotStorable.Private);
    expect(checkStorable(get(), response(200, "no-cache, max-age=60"), config)).toBe(NotStorable.NoCache);
  });
  it("refuses partial, interim and not-modified statuses", () => {
    expect(checkStorable(get(), response(206, "max-age=60"), config)).toBe(NotStorable.Status);
    expect(checkStorable(get(), response(304, "max-age=60"), config)).toBe(NotStorable.Status);
    expect(checkStorable(get(), response(101, "max-age=60"), config)).toBe(NotStorable.Status);
  });
  it("stores unknown final statuses with explicit freshness", () => {
    expect(checkStorable(get(), response(299, "max-age=60"), config)).toBe(NotStorable.No);
    expect(checkStorable(get(), response(599, "max-age=60"), config)).toBe(NotStorable.No);
  });
  it("honours excludedResponseCodes", () => {
    const c = new Config();
    c.excludedStatus = [500, 599];
    expect(checkStorable(get(), response(503, "max-age=60"), c)).toBe(NotStorable.Excluded);
    expect(checkStorable(get(), response(404, "max-age=60"), c)).toBe(NotStorable.No);
  });
  it("refuses Set-Cookie unless stripping, and Vary", () => {
    const r = response(200, "max-age=60");
    r.hasSetCookie = true;
    expect(checkStorable(get(), r, config)).toBe(NotStorable.SetCookie);
    const strip = new Config();
    strip.stripSetCookie = true;
    expect(checkStorable(get(), r, strip)).toBe(NotStorable.No);
    const v = response(200, "max-age=60");
    v.hasVary = true;
    expect(checkStorable(get(), v, config)).toBe(NotStorable.Vary);
  });
  it("applies §3.5 to requests with Authorization", () => {
    const authorized = get();
    authorized.hasAuthorization = true;
    expect(checkStorable(authorized, response(200, "max-age=60"), config)).toBe(NotStorable.Authorization);
    expect(checkStorable(authorized, response(200, "public, max-age=60"), config)).toBe(NotStorable.No);
    expect(checkStorable(authorized, response(200, "s-maxage=60"), config)).toBe(NotStorable.No);
    expect(checkStorable(authorized, response(200, "must-revalidate, max-age=60"), config)).toBe(NotStorable.No);
    expect(allowsAuthorizedReuse(response(200, "max-age=60"))).toBe(false);
  });
  it("refuses a declared Content-Length above maxObjectSize", () => {
    const r = response(200, "max-age=60");
    r.contentLength = config.maxObjectSize + 1;
    expect(checkStorable(get(), r, config)).toBe(NotStorable.TooLarge);
  });
});

describe("remembering to stream (hit-for-pass)", () => {
  it("remembers reasons in the response's headers, not statuses or errors", () => {
    expect(isLastingReason(NotStorable.NoStore, 200)).toBe(true);
    expect(isLastingReason(NotStorable.Vary, 200)).toBe(true);
    expect(isLastingReason(NotStorable.TooLarge, 200)).toBe(true);
    expect(isLastingReason(NotStorable.NoStore, 503)).toBe(false);
    expect(isLastingReason(NotStorable.Excluded, 404)).toBe(false);
    expect(isLastingReason(NotStorable.Authorization, 200)).toBe(false);
  });
});

describe("freshness lifetime (§4.2.1)", () => {
  it("prefers s-maxage over max-age over Expires", () => {
    const r = response(200, "max-age=60, s-maxage=30");
    r.hasExpires = true;
    r.expires = 1_700_000_900;
    expect(explicitLifetime(r, NOW)).toBe(30_000);
    const m = response(200, "max-age=60");
    m.hasExpires = true;
    m.expires = 1_700_000_900;
    expect(explicitLifetime(m, NOW)).toBe(60_000);
  });
  it("uses Expires - Date, or the receipt time without Date", () => {
    const r = response(200, "");
    r.hasExpires = true;
    r.expires = 1_700_000_100;
    r.date = 1_700_000_040;
    expect(explicitLifetime(r, NOW)).toBe(60_000);
    r.date = i64.MIN_VALUE;
    expect(explicitLifetime(r, NOW)).toBe(100_000);
  });
  it("treats an invalid Expires or max-age as already expired", () => {
    const r = response(200, "");
    r.hasExpires = true;
    expect(explicitLifetime(r, NOW)).toBe(0);
    expect(explicitLifetime(response(200, "max-age=soon"), NOW)).toBe(0);
    expect(explicitLifetime(response(200, "max-age=60, max-age=x"), NOW)).toBe(0);
  });
  it("has no explicit lifetime without any of them", () => {
    expect(explicitLifetime(response(200, "public"), NOW)).toBe(NO_EXPLICIT_FRESHNESS);
  });
  it("gives defaultTtl only to heuristically cacheable responses without explicit freshness", () => {
    const c = new Config();
    c.defaultTtlMs = 10_000;
    expect(freshnessLifetime(response(200, ""), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(404, ""), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(500, ""), NOW, c)).toBe(0);
    expect(freshnessLifetime(response(500, "public"), NOW, c)).toBe(10_000);
    expect(freshnessLifetime(response(200, "max-age=5"), NOW, c)).toBe(5_000);
    expect(freshnessLifetime(response(200, ""), NOW, config)).toBe(0);
  });
});

describe("age (§4.2.3)", () => {
  it("takes the larger of apparent age and corrected Age", () => {
    const r = response(200, "max-age=60");
    r.date = NOW / 1000 - 5; // the response is 5 s old by its Date
    r.age = 2;
    expect(correctedInitialAge(r, NOW - 1000, NOW)).toBe(5_000);
    r.age = 10; // upstream caches say 10 s, plus 1 s in flight
    expect(correctedInitialAge(r, NOW - 1000, NOW)).toBe(11_000);
  });
  it("ignores a Date in the future", () => {
    const r = response(200, "max-age=60");
    r.date = NOW / 1000 + 100;
    expect(correctedInitialAge(r, NOW, NOW)).toBe(0);
  });
  it("adds resident time", () => {
    expect(currentAge(3_000, NOW, NOW + 7_000)).toBe(10_000);
  });
  it("caps freshness with maxTtl counted from storage, never extending it", () => {
    const c = new Config();
    c.maxTtlMs = 5_000;
    expect(remainingFreshness(60_000, 0, NOW, NOW, NOW + 1_000, c)).toBe(4_000);
    expect(remainingFreshness(60_000, 0, NOW, NOW, NOW + 6_000, c)).toBe(-1_000);
    c.maxTtlMs = 3_600_000;
    expect(remainingFreshness(10_000, 8_000, NOW, NOW, NOW + 1_000, c)).toBe(1_000);
  });
});
