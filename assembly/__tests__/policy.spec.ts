import { bytes, len, ptr } from "./helpers";
import { Config } from "../config";
import { INVALID_DATE } from "../http/date";
import { VARY_ANY } from "../http/vary";
import { Method, RequestFacts, ResponseFacts } from "../policy/facts";
import { RequestDecision, decideRequest } from "../policy/request";
import {
  NotStorable, allowsAuthorizedReuse, checkStorable, hasStorableFreshness, isLastingReason,
} from "../policy/storable";

function response(status: u32, cacheControl: string): ResponseFacts {
  const r = new ResponseFacts();
  r.status = status;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

function request(method: Method, cacheControl: string = ""): RequestFacts {
  const r = new RequestFacts();
  r.method = method;
  const b = bytes(cacheControl);
  r.cacheControl.parse(ptr(b), len(b));
  return r;
}

function get(cacheControl: string = ""): RequestFacts {
  return request(Method.Get, cacheControl);
}

function storable(r: ResponseFacts, c: Config = config): NotStorable {
  return checkStorable(get(), r, c);
}

const config = new Config(); // defaults; tests that change settings make their own

describe("request decisions", () => {
  it("looks up GET and HEAD", () => {
    expect(decideRequest(get(), config)).toBe(RequestDecision.Lookup);
    expect(decideRequest(request(Method.Head), config)).toBe(RequestDecision.Lookup);
  });

  it("passes methods other than GET and HEAD through, whatever the configuration", () => {
    expect(decideRequest(request(Method.Other), config)).toBe(RequestDecision.BypassMethod);
    expect(decideRequest(request(Method.Unsafe), config)).toBe(RequestDecision.BypassMethod);
    const ranged = request(Method.Unsafe);
    ranged.hasRange = true;
    expect(decideRequest(ranged, config)).toBe(RequestDecision.BypassMethod);
  });

  it("passes a method the configuration leaves out through as BypassConfig", () => {
    const headOnly = new Config();
    headOnly.cacheGet = false;
    expect(decideRequest(get(), headOnly)).toBe(RequestDecision.BypassConfig);
    expect(decideRequest(request(Method.Head), headOnly)).toBe(RequestDecision.Lookup);
    const getOnly = new Config();
    getOnly.cacheHead = false;
    expect(decideRequest(request(Method.Head), getOnly)).toBe(RequestDecision.BypassConfig);
    expect(decideRequest(get(), getOnly)).toBe(RequestDecision.Lookup);
  });

  it("bypasses Range and unkeyable requests", () => {
    const range = get();
    range.hasRange = true;
    expect(decideRequest(range, config)).toBe(RequestDecision.BypassRequest);
    const unkeyable = get();
    unkeyable.keyable = false;
    expect(decideRequest(unkeyable, config)).toBe(RequestDecision.BypassRequest);
  });

  it("still looks up no-store, no-cache and Pragma: no-cache requests (reuse decides what they get)", () => {
    expect(decideRequest(get("no-store"), config)).toBe(RequestDecision.Lookup);
    expect(decideRequest(get("no-cache"), config)).toBe(RequestDecision.Lookup);
    expect(decideRequest(get("max-age=0, only-if-cached"), config)).toBe(RequestDecision.Lookup);
    const pragma = get();
    pragma.pragmaNoCache = true;
    expect(decideRequest(pragma, config)).toBe(RequestDecision.Lookup);
  });

  it("tells request no-cache from Pragma: no-cache, which counts only without Cache-Control", () => {
    expect(get("no-cache").noCache).toBe(true);
    expect(get("max-age=0").noCache).toBe(false);
    const pragma = get();
    pragma.pragmaNoCache = true;
    expect(pragma.noCache).toBe(true);
    const both = get("max-age=10");
    both.pragmaNoCache = true;
    expect(both.noCache).toBe(false);
  });
});

describe("storability (§3)", () => {
  it("stores a public max-age response", () => {
    expect(storable(response(200, "max-age=60"))).toBe(NotStorable.No);
  });

  it("refuses no-store in the response or the request", () => {
    expect(storable(response(200, "max-age=60, no-store"))).toBe(NotStorable.NoStore);
    expect(checkStorable(get("no-store"), response(200, "max-age=60"), config)).toBe(NotStorable.NoStore);
  });

  it("refuses private, but stores private=\"F\" (F is dropped when stored)", () => {
    expect(storable(response(200, "private, max-age=60"))).toBe(NotStorable.Private);
    expect(storable(response(200, "private=\"Set-Cookie\", max-age=60"))).toBe(NotStorable.No);
  });

  it("stores no-cache only with a validator to revalidate it with", () => {
    expect(storable(response(200, "no-cache, max-age=60"))).toBe(NotStorable.NoCache);
    const etag = response(200, "no-cache, max-age=60");
    etag.hasETag = true;
    expect(storable(etag)).toBe(NotStorable.No);
    const lastModified = response(200, "no-cache");
    lastModified.lastModified = 1_600_000_000;
    expect(storable(lastModified)).toBe(NotStorable.No);
    // no-cache="F" only revalidates F: stored without it, validator or not.
    expect(storable(response(200, "no-cache=\"Set-Cookie\", max-age=60"))).toBe(NotStorable.No);
  });

  it("refuses partial, interim, not-modified and out-of-range statuses", () => {
    const statuses: u32[] = [100, 101, 199, 206, 304, 600, 0];
    for (let i = 0; i < statuses.length; i++) {
      expect(storable(response(statuses[i], "max-age=60"))).toBe(NotStorable.Status, statuses[i].toString());
    }
  });

  it("stores unknown final statuses with explicit freshness", () => {
    expect(storable(response(299, "max-age=60"))).toBe(NotStorable.No);
    expect(storable(response(599, "max-age=60"))).toBe(NotStorable.No);
  });

  it("stores an understood status despite no-store when must-understand is given (§5.2.2.3)", () => {
    const understood: u32[] = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501];
    for (let i = 0; i < understood.length; i++) {
      const s = understood[i];
      expect(storable(response(s, "must-understand, no-store, max-age=60"))).toBe(NotStorable.No, s.toString());
    }
  });

  it("refuses any other status with must-understand, even without no-store", () => {
    const other: u32[] = [201, 202, 205, 299, 305, 400, 403, 418, 500, 502, 503, 599];
    for (let i = 0; i < other.length; i++) {
      const s = other[i];
      expect(storable(response(s, "must-understand, no-store, max-age=60"))).toBe(NotStorable.Status, s.toString());
      expect(storable(response(s, "must-understand, max-age=60"))).toBe(NotStorable.Status, s.toString());
    }
  });

  it("keeps the other refusals under must-understand: the request's no-store, private", () => {
    expect(checkStorable(get("no-store"), response(200, "must-understand, no-store, max-age=60"), config))
      .toBe(NotStorable.NoStore);
    expect(storable(response(200, "must-understand, private, max-age=60"))).toBe(NotStorable.Private);
  });

  it("honours excludedResponseCodes", () => {
    const c = new Config();
    c.excludedStatus = [500, 599];
    expect(storable(response(503, "max-age=60"), c)).toBe(NotStorable.Excluded);
    expect(storable(response(404, "max-age=60"), c)).toBe(NotStorable.No);
  });

  it("refuses Set-Cookie unless stripping", () => {
    const r = response(200, "max-age=60");
    r.hasSetCookie = true;
    expect(storable(r)).toBe(NotStorable.SetCookie);
    const strip = new Config();
    strip.stripSetCookie = true;
    expect(storable(r, strip)).toBe(NotStorable.No);
  });

  it("refuses Vary: * but stores responses that vary on named headers", () => {
    const any = response(200, "max-age=60");
    any.varyCount = VARY_ANY;
    expect(storable(any)).toBe(NotStorable.Vary);
    const named = response(200, "max-age=60");
    named.varyCount = 2;
    expect(storable(named)).toBe(NotStorable.No);
  });

  it("applies §3.5 to requests with Authorization", () => {
    const authorized = get();
    authorized.hasAuthorization = true;
    expect(checkStorable(authorized, response(200, "max-age=60"), config)).toBe(NotStorable.Authorization);
    expect(checkStorable(authorized, response(200, "public, max-age=60"), config)).toBe(NotStorable.No);
    expect(checkStorable(authorized, response(200, "s-maxage=60"), config)).toBe(NotStorable.No);
    expect(checkStorable(authorized, response(200, "must-revalidate, max-age=60"), config)).toBe(NotStorable.No);
    expect(allowsAuthorizedReuse(response(200, "max-age=60"))).toBe(false);
    expect(allowsAuthorizedReuse(response(200, "public"))).toBe(true);
  });

  it("refuses a declared Content-Length above maxObjectSize", () => {
    const r = response(200, "max-age=60");
    r.contentLength = config.maxObjectSize + 1;
    expect(storable(r)).toBe(NotStorable.TooLarge);
    r.contentLength = config.maxObjectSize;
    expect(storable(r)).toBe(NotStorable.No);
  });
});

describe("storable freshness (§3)", () => {
  it("keeps a response with explicit freshness left", () => {
    expect(hasStorableFreshness(response(500, "max-age=60"), true, 60_000)).toBe(true);
  });

  it("keeps one without freshness left only when it has a validator", () => {
    const bare = response(200, "max-age=0");
    expect(hasStorableFreshness(bare, true, 0)).toBe(false);
    const etag = response(200, "max-age=0");
    etag.hasETag = true;
    expect(hasStorableFreshness(etag, true, 0)).toBe(true);
    const lastModified = response(200, "max-age=0");
    lastModified.lastModified = 1_600_000_000;
    expect(hasStorableFreshness(lastModified, true, 0)).toBe(true);
    expect(lastModified.hasValidator).toBe(true);
    const invalid = response(200, "");
    invalid.lastModified = INVALID_DATE;
    expect(invalid.hasValidator).toBe(false);
  });

  it("without explicit freshness, keeps only public responses or heuristically cacheable statuses", () => {
    expect(hasStorableFreshness(response(200, ""), false, 10_000)).toBe(true);
    expect(hasStorableFreshness(response(404, ""), false, 10_000)).toBe(true);
    expect(hasStorableFreshness(response(500, ""), false, 10_000)).toBe(false);
    expect(hasStorableFreshness(response(302, ""), false, 10_000)).toBe(false);
    expect(hasStorableFreshness(response(500, "public"), false, 10_000)).toBe(true);
    const withValidator = response(500, "");
    withValidator.hasETag = true;
    expect(hasStorableFreshness(withValidator, false, 0)).toBe(false);
  });

  it("without explicit freshness and without a lifetime, keeps a heuristic status only with a validator", () => {
    expect(hasStorableFreshness(response(200, ""), false, 0)).toBe(false);
    const etag = response(200, "");
    etag.hasETag = true;
    expect(hasStorableFreshness(etag, false, 0)).toBe(true);
  });
});

describe("remembering to stream (hit-for-pass)", () => {
  it("remembers reasons in the response's headers, not statuses or errors", () => {
    expect(isLastingReason(NotStorable.NoStore, 200)).toBe(true);
    expect(isLastingReason(NotStorable.Private, 200)).toBe(true);
    expect(isLastingReason(NotStorable.NoCache, 200)).toBe(true);
    expect(isLastingReason(NotStorable.Vary, 200)).toBe(true);
    expect(isLastingReason(NotStorable.TooLarge, 200)).toBe(true);
    expect(isLastingReason(NotStorable.NoFreshness, 404)).toBe(true);
    expect(isLastingReason(NotStorable.NoStore, 503)).toBe(false);
    expect(isLastingReason(NotStorable.Status, 206)).toBe(false);
    expect(isLastingReason(NotStorable.Excluded, 404)).toBe(false);
    expect(isLastingReason(NotStorable.Authorization, 200)).toBe(false);
  });
});
