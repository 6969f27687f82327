// End to end through the REAL Traefik: RFC 9111 variants, validation, conditional requests,
// response and request directives, freshness sources, HEAD and RFC 9213 targeted fields, as a
// client and the backend see them. One Traefik for the whole file (GOMAXPROCS=1: one plugin
// instance per router), with two more routers for the options that change the decisions:
//   /irc/*   ignoreRequestCacheControl: true
//   /heur/*  heuristicFreshness: true
// Every test uses its own paths. The tests that need a stale entry share one warm-up and one
// sleep (see "stale entries").

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { request, sleep, startOrigin } from "../../scripts/lib/origin.mjs";
import { ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

// --- dates in the three HTTP-date forms (RFC 9110 §5.6.7) ---
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n) => String(n).padStart(2, "0");
const hms = (d) => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
const imfDate = (ms) => new Date(ms).toUTCString();
const rfc850Date = (ms) => {
  const d = new Date(ms);
  return `${LONG_DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${p2(d.getUTCFullYear() % 100)} ${hms(d)} GMT`;
};
const asctimeDate = (ms) => {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${hms(d)} ${d.getUTCFullYear()}`;
};

const LM_FIXED = "Wed, 21 Oct 2015 07:28:00 GMT";
const LM_HOUR_AGO = imfDate(Date.now() - 3600_000);

/** A fresh (max-age=60) response with an ETag and a Last-Modified, for client conditionals. */
const conditionalRoute = (etag) => (r) => ({
  headers: { "Cache-Control": "max-age=60", ETag: etag, "Last-Modified": LM_HOUR_AGO, "Content-Type": "text/plain" },
  body: `conditional body n=${r.n}`,
});

const routes = {
  // 3b. client conditionals on a miss
  "/rv/cond-miss": (r) => ({
    headers: { "Cache-Control": "max-age=60", ETag: '"m1"', "Content-Type": "text/plain", "X-Saw-INM": r.headers["if-none-match"] ?? "(none)" },
    body: `miss body n=${r.n}`,
  }),
  // 1. variants
  "/rv/vary-basic": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "Accept-Language" }, body: `lang=${r.headers["accept-language"]} n=${r.n}` }),
  "/rv/vary-norm": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "Accept-Encoding" }, body: `enc=${r.headers["accept-encoding"]} n=${r.n}` }),
  "/rv/vary-absent": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "X-Flavour" }, body: `flavour=${r.headers["x-flavour"] ?? "(none)"} n=${r.n}` }),
  "/rv/vary-two": (r) => ({
    headers: { "Cache-Control": "max-age=60", Vary: "Accept-Language, X-Device" },
    body: `lang=${r.headers["accept-language"] ?? "(none)"} device=${r.headers["x-device"] ?? "(none)"} n=${r.n}`,
  }),
  "/rv/vary-star": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "*" }, body: `star n=${r.n}` }),
  "/rv/vary-many": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "X-V" }, body: `v=${r.headers["x-v"]} n=${r.n}` }),

  // 2. validation of stale entries (warmed together, see "stale entries")
  "/rv/reval-etag": (r) => r.headers["if-none-match"] === '"v1"'
    ? { status: 304, headers: { ETag: '"v1"', "X-Version": "2", "Cache-Control": "max-age=60", "Content-Length": "3" } }
    : { headers: { "Cache-Control": "max-age=1", ETag: '"v1"', "X-Version": "1", "Content-Type": "text/plain" }, body: "body v1 (stored)" },
  "/rv/reval-lm": (r) => r.headers["if-modified-since"] === LM_FIXED
    ? { status: 304, headers: { "Cache-Control": "max-age=60", "Last-Modified": LM_FIXED } }
    : { headers: { "Cache-Control": "max-age=1", "Last-Modified": LM_FIXED }, body: `lm body n=${r.n}` },
  "/rv/reval-replace": (r) => r.headers["if-none-match"]
    ? { headers: { "Cache-Control": "max-age=60", ETag: `"r${r.n}"` }, body: `replacement n=${r.n}` }
    : { headers: { "Cache-Control": "max-age=1", ETag: `"r${r.n}"` }, body: `original n=${r.n}` },
  "/rv/reval-client-inm": (r) => (r.headers["if-none-match"] ?? "").includes('"c1"')
    ? { status: 304, headers: { ETag: '"c1"', "Cache-Control": "max-age=60" } }
    : { headers: { "Cache-Control": "max-age=1", ETag: '"c1"' }, body: `client-inm body n=${r.n}` },
  "/rv/resp-must-reval": (r) => r.headers["if-none-match"] === '"mr1"'
    ? { status: 304, headers: { ETag: '"mr1"', "Cache-Control": "max-age=1, must-revalidate" } }
    : { headers: { "Cache-Control": "max-age=1, must-revalidate", ETag: '"mr1"' }, body: `must-revalidate n=${r.n}` },
  "/rv/resp-smaxage": (r) => r.headers["if-none-match"] === '"sm1"'
    ? { status: 304, headers: { ETag: '"sm1"', "Cache-Control": "s-maxage=1, max-age=600" } }
    : { headers: { "Cache-Control": "s-maxage=1, max-age=600", ETag: '"sm1"' }, body: `s-maxage n=${r.n}` },
  "/rv/req-maxstale": (r) => ({ headers: { "Cache-Control": "max-age=1" }, body: `max-stale n=${r.n}` }),
  "/rv/age-up": (r) => ({ headers: { "Cache-Control": "max-age=10", Age: "9" }, body: `aged n=${r.n}` }),
  "GET /rv/head-etag": (r) => ({ headers: { "Cache-Control": "max-age=1", ETag: '"h1"' }, body: "head-etag GET body" }),
  "HEAD /rv/head-etag": (r) => ({ headers: { "Cache-Control": "max-age=1", ETag: '"h2"', "Content-Length": String("head-etag GET body".length) } }),
  "GET /rv/head-same": (r) => ({ headers: { "Cache-Control": "max-age=1", ETag: '"s1"' }, body: "head-same GET body" }),
  "HEAD /rv/head-same": (r) => ({ headers: { "Cache-Control": "max-age=1", ETag: '"s1"', "Content-Length": String("head-same GET body".length) } }),

  // 3. client conditionals on a fresh entry
  "/rv/cond-inm": conditionalRoute('"abc"'),
  "/rv/cond-inm-weak": conditionalRoute('W/"w1"'),
  "/rv/cond-nomatch": conditionalRoute('"abc"'),
  "/rv/cond-ims": conditionalRoute('"abc"'),
  "/rv/cond-precedence": conditionalRoute('"abc"'),

  // 4. response directives
  "/rv/resp-no-cache": (r) => r.headers["if-none-match"] === '"nc1"'
    ? { status: 304, headers: { ETag: '"nc1"', "Cache-Control": "no-cache" } }
    : { headers: { "Cache-Control": "no-cache", ETag: '"nc1"' }, body: `no-cache body n=${r.n}` },
  "/rv/resp-no-cache-noval": (r) => ({ headers: { "Cache-Control": "no-cache, max-age=60" }, body: `n=${r.n}` }),
  "/rv/resp-private": (r) => ({ headers: { "Cache-Control": "private, max-age=60" }, body: `n=${r.n}` }),
  "/rv/resp-nocache-field": (r) => ({
    headers: { "Cache-Control": 'max-age=60, no-cache="X-Secret"', "X-Secret": `secret-${r.n}`, "X-Public": "visible" },
    body: `field n=${r.n}`,
  }),
  "/rv/resp-must-understand": (r) => ({ headers: { "Cache-Control": "must-understand, no-store, max-age=60" }, body: `mu n=${r.n}` }),
  "/rv/resp-immutable": (r) => ({ headers: { "Cache-Control": "max-age=60, immutable" }, body: `immutable n=${r.n}` }),

  // 5. request directives
  "/rv/req-maxage0": (r) => ({ headers: { "Cache-Control": "max-age=60", ETag: `"m${r.n}"` }, body: `maxage0 n=${r.n}` }),
  "/rv/req-minfresh": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `minfresh n=${r.n}` }),
  "/rv/req-oic-miss": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `oic n=${r.n}` }),
  "/rv/req-oic-hit": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `oic n=${r.n}` }),
  "/rv/req-nocache": (r) => r.headers["if-none-match"] === '"rn1"'
    ? { status: 304, headers: { ETag: '"rn1"', "Cache-Control": "max-age=60" } }
    : { headers: { "Cache-Control": "max-age=60", ETag: '"rn1"' }, body: `req-nocache n=${r.n}` },
  "/rv/req-nostore-hit": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `nostore n=${r.n}` }),
  "/rv/req-nostore-miss": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `nostore n=${r.n}` }),
  "/rv/req-pragma": (r) => ({ headers: { "Cache-Control": "max-age=60", ETag: `"p${r.n}"` }, body: `pragma n=${r.n}` }),
  "/irc/a": (r) => ({ headers: { "Cache-Control": "max-age=60", ETag: '"irc"' }, body: `irc n=${r.n}` }),
  "/irc/b": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `irc-b n=${r.n}` }),

  // 6. freshness
  "/rv/exp-imf": (r) => ({ headers: { Expires: imfDate(Date.now() + 60_000) }, body: `imf n=${r.n}` }),
  "/rv/exp-rfc850": (r) => ({ headers: { Expires: rfc850Date(Date.now() + 60_000) }, body: `rfc850 n=${r.n}` }),
  "/rv/exp-asctime": (r) => ({ headers: { Expires: asctimeDate(Date.now() + 60_000) }, body: `asctime n=${r.n}` }),
  "/rv/exp-invalid": (r) => ({ headers: { Expires: "next tuesday" }, body: `invalid n=${r.n}` }),
  "/rv/exp-invalid-etag": (r) => ({ headers: { Expires: "next tuesday", ETag: '"ei"' }, body: `invalid etag n=${r.n}` }),
  "/heur/ten-days": (r) => {
    const now = Date.now();
    return { headers: { Date: imfDate(now), "Last-Modified": imfDate(now - 10 * 86400_000) }, body: `heur n=${r.n}` };
  },
  "/heur/hundred-s": (r) => {
    const now = Date.now();
    return { headers: { Date: imfDate(now), "Last-Modified": imfDate(now - 100_000) }, body: `heur100 n=${r.n}` };
  },
  "/rv/heur-off": (r) => {
    const now = Date.now();
    return { headers: { Date: imfDate(now), "Last-Modified": imfDate(now - 10 * 86400_000) }, body: `heur-off n=${r.n}` };
  },
  "/rv/cdn-store": (r) => ({ headers: { "CDN-Cache-Control": "max-age=60", "Cache-Control": "no-store" }, body: `cdn n=${r.n}` }),
  "/rv/cdn-nostore": (r) => ({ headers: { "CDN-Cache-Control": "no-store", "Cache-Control": "max-age=60" }, body: `cdn n=${r.n}` }),
  "/rv/cdn-invalid": (r) => ({ headers: { "CDN-Cache-Control": "max-age=60, &&&", "Cache-Control": "no-store" }, body: `cdn n=${r.n}` }),
  "/rv/cdn-invalid-nostore": (r) => ({ headers: { "CDN-Cache-Control": "no-store, &&&", "Cache-Control": "max-age=60" }, body: `cdn n=${r.n}` }),

  // 7. HEAD
  "/rv/head-hit": { headers: { "Cache-Control": "max-age=60", ETag: '"hh"', "Content-Type": "text/plain", "X-Extra": "yes" }, body: "head-hit body" },
};

let origin;
let traefik;

const get = (path, opts = {}) => request(traefik.url + path, opts);

function show(r) {
  const h = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) h.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
  const body = r.body.length > 200 ? `${r.body.length} bytes` : JSON.stringify(r.text);
  return `${r.status} [${h.join(" | ")}] body=${body}`;
}

const xcs = (r) => r.headers["x-cache-status"];
const cacheStatus = (r) => r.values("cache-status").join(", ");
const age = (r) => (r.headers.age === undefined ? undefined : Number(r.headers.age));
/** ttl=N of our hit Cache-Status, or undefined. */
const ttl = (r) => {
  const m = /(?:^|, )httpcache; hit; ttl=(-?\d+)/.exec(cacheStatus(r));
  return m ? Number(m[1]) : undefined;
};
/** The request headers the origin saw for a path, n-th request (0-based; -1 = last). */
const seenHeaders = (path, i = -1) => origin.seen(path).at(i)?.headers;

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
  const router = (prefix, middleware) => ({
    entryPoints: ["web"], rule: `PathPrefix(\`${prefix}\`)`, priority: 10, middlewares: [middleware], service: "origin",
  });
  traefik = await startTraefik({
    origin: origin.url,
    pluginConfig: {},
    env: { GOMAXPROCS: "1" },
    extraRouters: { irc: router("/irc/", "cache-irc"), heur: router("/heur/", "cache-heur") },
    extraMiddlewares: {
      "cache-irc": { plugin: { httpcache: { ignoreRequestCacheControl: true } } },
      "cache-heur": { plugin: { httpcache: { heuristicFreshness: true } } },
    },
  });
});

after(async () => {
  await traefik?.stop();
  await origin?.close();
});

describe("variants (Vary)", () => {
  test("same values HIT; other values MISS fwd=vary-miss; each variant then HITs with its own body", async () => {
    const p = "/rv/vary-basic";
    const en1 = await get(p, { headers: { "Accept-Language": "en" } });
    assert.equal(xcs(en1), "MISS", show(en1));
    assert.match(cacheStatus(en1), /(^|, )httpcache; fwd=uri-miss; stored$/, show(en1));
    assert.match(en1.text, /^lang=en /);
    const en2 = await get(p, { headers: { "Accept-Language": "en" } });
    assert.equal(xcs(en2), "HIT", show(en2));
    assert.equal(en2.text, en1.text);

    const fr1 = await get(p, { headers: { "Accept-Language": "fr" } });
    assert.equal(xcs(fr1), "MISS", show(fr1));
    assert.match(cacheStatus(fr1), /(^|, )httpcache; fwd=vary-miss; stored$/, show(fr1));
    assert.match(fr1.text, /^lang=fr /, `the fr request got the en variant: ${show(fr1)}`);
    assert.equal(origin.count(p), 2);

    const fr2 = await get(p, { headers: { "Accept-Language": "fr" } });
    const en3 = await get(p, { headers: { "Accept-Language": "en" } });
    assert.equal(xcs(fr2), "HIT", show(fr2));
    assert.equal(fr2.text, fr1.text);
    assert.equal(xcs(en3), "HIT", show(en3));
    assert.equal(en3.text, en1.text);
    assert.equal(origin.count(p), 2);
  });

  test("values are normalised: `gzip,  br`, `gzip, br` and two lines gzip/br are one variant; case is kept", async () => {
    const p = "/rv/vary-norm";
    const a = await get(p, { headers: { "Accept-Encoding": "gzip,  br" } });
    assert.equal(xcs(a), "MISS", show(a));
    const b = await get(p, { headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    const c = await get(p, { headers: { "Accept-Encoding": ["gzip", "br"] } });
    assert.equal(xcs(c), "HIT", `two header lines are the same list: ${show(c)}`);
    assert.equal(c.text, a.text);
    assert.equal(origin.count(p), 1);
    const d = await get(p, { headers: { "Accept-Encoding": "GZIP, br" } });
    assert.equal(xcs(d), "MISS", `case is kept: ${show(d)}`);
    assert.match(cacheStatus(d), /fwd=vary-miss/, show(d));
    assert.equal(origin.count(p), 2);
  });

  test("an absent header matches only absent", async () => {
    const p = "/rv/vary-absent";
    const none1 = await get(p);
    assert.equal(xcs(none1), "MISS", show(none1));
    assert.match(none1.text, /^flavour=\(none\) /);
    const none2 = await get(p);
    assert.equal(xcs(none2), "HIT", show(none2));
    const a1 = await get(p, { headers: { "X-Flavour": "vanilla" } });
    assert.equal(xcs(a1), "MISS", `a present value must not get the absent variant: ${show(a1)}`);
    assert.match(cacheStatus(a1), /fwd=vary-miss; stored/, show(a1));
    assert.match(a1.text, /^flavour=vanilla /);
    const a2 = await get(p, { headers: { "X-Flavour": "vanilla" } });
    assert.equal(xcs(a2), "HIT", show(a2));
    assert.equal(a2.text, a1.text);
    const none3 = await get(p);
    assert.equal(xcs(none3), "HIT", show(none3));
    assert.equal(none3.text, none1.text);
    assert.equal(origin.count(p), 2);
  });

  test("two varied headers: a variant needs both values to match", async () => {
    const p = "/rv/vary-two";
    const send = (lang, device) => get(p, { headers: { "Accept-Language": lang, ...(device ? { "X-Device": device } : {}) } });
    const enMobile = await send("en", "mobile");
    assert.equal(xcs(enMobile), "MISS", show(enMobile));
    const enMobile2 = await send("en", "mobile");
    assert.equal(xcs(enMobile2), "HIT", show(enMobile2));
    assert.equal(enMobile2.text, enMobile.text);

    const enDesktop = await send("en", "desktop");
    assert.equal(xcs(enDesktop), "MISS", show(enDesktop));
    assert.match(cacheStatus(enDesktop), /fwd=vary-miss/, show(enDesktop));
    assert.match(enDesktop.text, /^lang=en device=desktop /);
    const frMobile = await send("fr", "mobile");
    assert.equal(xcs(frMobile), "MISS", show(frMobile));
    assert.match(cacheStatus(frMobile), /fwd=vary-miss/, show(frMobile));
    assert.match(frMobile.text, /^lang=fr device=mobile /);
    const enNone = await send("en");
    assert.equal(xcs(enNone), "MISS", show(enNone));
    assert.match(enNone.text, /^lang=en device=\(none\) /);
    assert.equal(origin.count(p), 4);

    for (const [lang, device, first] of [["en", "mobile", enMobile], ["en", "desktop", enDesktop], ["fr", "mobile", frMobile], ["en", undefined, enNone]]) {
      const r = await send(lang, device);
      assert.equal(xcs(r), "HIT", `${lang}/${device}: ${show(r)}`);
      assert.equal(r.text, first.text, `${lang}/${device} got another variant's body`);
    }
    assert.equal(origin.count(p), 4);
  });

  test("Vary: * is never stored", async () => {
    const p = "/rv/vary-star";
    const a = await get(p);
    const b = await get(p);
    assert.equal(a.status, 200, show(a));
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.doesNotMatch(cacheStatus(b), /stored/, show(b));
    assert.notEqual(b.text, a.text);
    assert.equal(origin.count(p), 2);
  });

  test("more than 6 variants: the oldest is gone (MISS again), the 6 newest still HIT", async () => {
    const p = "/rv/vary-many";
    const first = {};
    for (let i = 1; i <= 7; i++) {
      const r = await get(p, { headers: { "X-V": `v${i}` } });
      assert.equal(xcs(r), "MISS", `v${i}: ${show(r)}`);
      assert.match(cacheStatus(r), /stored/, `v${i}: ${show(r)}`);
      first[i] = r.text;
    }
    assert.equal(origin.count(p), 7);
    for (let i = 7; i >= 2; i--) {
      const r = await get(p, { headers: { "X-V": `v${i}` } });
      assert.equal(xcs(r), "HIT", `v${i} is among the 6 newest: ${show(r)}`);
      assert.equal(r.text, first[i]);
    }
    assert.equal(origin.count(p), 7);
    const oldest = await get(p, { headers: { "X-V": "v1" } });
    assert.equal(xcs(oldest), "MISS", `v1 (the oldest) should have been removed: ${show(oldest)}`);
    assert.match(cacheStatus(oldest), /(^|, )httpcache; fwd=vary-miss; stored$/, show(oldest));
    assert.notEqual(oldest.text, first[1], "a new answer from the origin");
    assert.equal(origin.count(p), 8);
  });
});

// The tests that need a stale entry: every path is warmed first (sequentially, so that one
// plugin instance serves them), then one sleep makes all the max-age=1 entries stale.
describe("stale entries", () => {
  const warm = {};
  const staleGets = {
    "/rv/reval-etag": {},
    "/rv/reval-lm": {},
    "/rv/reval-replace": {},
    "/rv/reval-client-inm": {},
    "/rv/resp-must-reval": {},
    "/rv/resp-smaxage": {},
    "/rv/req-maxstale": {},
    "/rv/age-up": {},
    "/rv/head-etag": {},
    "/rv/head-same": {},
  };
  let ageUpHit;

  before(async () => {
    for (const p of Object.keys(staleGets)) warm[p] = await get(p);
    // max-age=10 with Age: 9 has about a second of freshness left: a hit right away.
    ageUpHit = await get("/rv/age-up");
    await sleep(2100);
  });

  describe("validation (§4.3)", () => {
    test("stale with ETag: If-None-Match sent exactly; 304 → 200 with the stored body under the 304's headers, then HIT", async () => {
      const p = "/rv/reval-etag";
      const w = warm[p];
      assert.equal(xcs(w), "MISS", show(w));
      assert.match(cacheStatus(w), /stored/, show(w));
      assert.equal(seenHeaders(p, 0)["if-none-match"], undefined, "the first request is unconditional");

      const r = await get(p);
      assert.equal(origin.count(p), 2);
      assert.equal(seenHeaders(p)["if-none-match"], '"v1"', "the stored ETag, byte for byte");
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, "body v1 (stored)", show(r));
      assert.equal(xcs(r), "REVALIDATED", show(r));
      assert.match(cacheStatus(r), /(^|, )httpcache; fwd=stale; fwd-status=304; stored$/, show(r));
      assert.deepEqual(r.values("x-version"), ["2"], `the 304's X-Version replaces the stored one: ${show(r)}`);
      assert.deepEqual(r.values("cache-control"), ["max-age=60"], `the 304's Cache-Control replaces the stored one: ${show(r)}`);
      assert.deepEqual(r.values("etag"), ['"v1"'], show(r));
      assert.notEqual(r.headers["content-length"], "3", `the 304's Content-Length must not be taken: ${show(r)}`);
      if (r.headers["content-length"] !== undefined) assert.equal(r.headers["content-length"], String(r.body.length), show(r));

      const h = await get(p);
      assert.equal(xcs(h), "HIT", `freshened by the 304 (max-age=60): ${show(h)}`);
      assert.equal(h.text, "body v1 (stored)");
      assert.deepEqual(h.values("x-version"), ["2"], show(h));
      assert.deepEqual(h.values("cache-control"), ["max-age=60"], show(h));
      assert.notEqual(h.headers["content-length"], "3", show(h));
      if (h.headers["content-length"] !== undefined) assert.equal(h.headers["content-length"], String(h.body.length), show(h));
      const t = ttl(h);
      assert.ok(t >= 55 && t <= 60, `ttl from the 304's max-age=60: ${show(h)}`);
      assert.equal(origin.count(p), 2);
      assert.equal(h.headers["content-type"], "text/plain", show(h));
      // Last: stored fields the 304 did not carry must be on the REVALIDATED answer too.
      assert.equal(r.headers["content-type"], "text/plain", `stored fields the 304 did not have are kept: ${show(r)}`);
    });

    test("stale with Last-Modified only: If-Modified-Since is the stored Last-Modified byte for byte", async () => {
      const p = "/rv/reval-lm";
      assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
      const r = await get(p);
      assert.equal(origin.count(p), 2);
      const seen = seenHeaders(p);
      assert.equal(seen["if-modified-since"], LM_FIXED);
      assert.equal(seen["if-none-match"], undefined, "no ETag stored, no If-None-Match");
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, warm[p].text);
      assert.equal(xcs(r), "REVALIDATED", show(r));
      assert.match(cacheStatus(r), /(^|, )httpcache; fwd=stale; fwd-status=304; stored$/, show(r));
      const h = await get(p);
      assert.equal(xcs(h), "HIT", show(h));
      assert.equal(h.text, warm[p].text);
      assert.equal(origin.count(p), 2);
    });

    test("a 200 to the validation replaces the entry: the new body HITs afterwards", async () => {
      const p = "/rv/reval-replace";
      assert.match(warm[p].text, /^original /);
      const r = await get(p);
      assert.equal(seenHeaders(p)["if-none-match"], warm[p].headers.etag, "validated with the stored ETag");
      assert.equal(r.status, 200, show(r));
      assert.match(r.text, /^replacement /, show(r));
      assert.equal(xcs(r), "EXPIRED", show(r));
      assert.match(cacheStatus(r), /(^|, )httpcache; fwd=stale; stored$/, show(r));
      const h = await get(p);
      assert.equal(xcs(h), "HIT", show(h));
      assert.equal(h.text, r.text);
      assert.equal(h.headers.etag, r.headers.etag, show(h));
      assert.equal(origin.count(p), 2);
    });

    test("the client's own If-None-Match on a stale entry is passed unchanged and the 304 reaches the client", async () => {
      const p = "/rv/reval-client-inm";
      const inm = '"zzz", "c1"';
      const r = await get(p, { headers: { "If-None-Match": inm } });
      assert.equal(origin.count(p), 2);
      assert.equal(seenHeaders(p)["if-none-match"], inm, "the client's validators, not the stored ETag");
      assert.equal(r.status, 304, show(r));
      assert.equal(r.body.length, 0, show(r));
      assert.equal(xcs(r), "REVALIDATED", show(r));
      assert.match(cacheStatus(r), /(^|, )httpcache; fwd=stale(; stored)?$/, `no fwd-status: the client gets the backend's 304: ${show(r)}`);
      // The 304 carried the stored strong ETag: the entry was freshened (max-age=60).
      const h = await get(p);
      assert.equal(xcs(h), "HIT", show(h));
      assert.equal(h.status, 200, show(h));
      assert.equal(h.text, warm[p].text);
      assert.equal(origin.count(p), 2);
    });
  });

  describe("stale never served when the response forbids it", () => {
    test("must-revalidate: even with the client's max-stale, a stale entry is validated", async () => {
      const p = "/rv/resp-must-reval";
      assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
      const r = await get(p, { headers: { "Cache-Control": "max-stale=600" } });
      assert.notEqual(xcs(r), "STALE", show(r));
      assert.equal(origin.count(p), 2, "validated with the origin");
      assert.equal(seenHeaders(p)["if-none-match"], '"mr1"');
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, warm[p].text);
      assert.equal(xcs(r), "REVALIDATED", show(r));
    });

    test("s-maxage: even with the client's max-stale, a stale entry is validated", async () => {
      const p = "/rv/resp-smaxage";
      assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
      const r = await get(p, { headers: { "Cache-Control": "max-stale=600" } });
      assert.notEqual(xcs(r), "STALE", show(r));
      assert.equal(origin.count(p), 2, "validated with the origin");
      assert.equal(seenHeaders(p)["if-none-match"], '"sm1"');
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, warm[p].text);
      assert.equal(xcs(r), "REVALIDATED", show(r));
    });
  });

  test("request max-stale on a stale entry: STALE detail=max-stale, no origin call; without it: EXPIRED", async () => {
    const p = "/rv/req-maxstale";
    assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
    const a = await get(p, { headers: { "Cache-Control": "max-stale=600" } });
    assert.equal(a.status, 200, show(a));
    assert.equal(a.text, warm[p].text);
    assert.equal(xcs(a), "STALE", show(a));
    assert.match(cacheStatus(a), /(^|, )httpcache; hit; ttl=-[1-9]\d*; detail=max-stale$/, show(a));
    assert.ok(age(a) >= 2, `Age of a stale answer: ${show(a)}`);
    const b = await get(p, { headers: { "Cache-Control": "max-stale" } });
    assert.equal(xcs(b), "STALE", `max-stale without a value accepts any staleness: ${show(b)}`);
    assert.match(cacheStatus(b), /detail=max-stale/, show(b));
    assert.equal(origin.count(p), 1, "max-stale answers come from the cache");
    const c = await get(p);
    assert.equal(xcs(c), "EXPIRED", show(c));
    assert.equal(origin.count(p), 2);
  });

  test("Age from upstream counts: max-age=10 with Age: 9 is stale ~1.5 s later", async () => {
    const p = "/rv/age-up";
    assert.equal(xcs(warm[p]), "MISS", show(warm[p]));
    assert.equal(xcs(ageUpHit), "HIT", `one second of freshness left: ${show(ageUpHit)}`);
    assert.ok(age(ageUpHit) >= 9, `Age counts the backend's Age: ${show(ageUpHit)}`);
    assert.ok(ttl(ageUpHit) <= 1, `ttl = 10 - 9: ${show(ageUpHit)}`);
    const r = await get(p);
    assert.notEqual(xcs(r), "HIT", `max-age=10 minus Age: 9 must be stale 2 s later: ${show(r)}`);
    assert.equal(xcs(r), "EXPIRED", show(r));
    assert.equal(origin.count(p), 2);
  });

  describe("HEAD on a stale entry (§4.3.5)", () => {
    test("a HEAD whose ETag differs removes the stored GET: the next GET is a MISS", async () => {
      const p = "/rv/head-etag";
      assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
      const h = await get(p, { method: "HEAD" });
      assert.equal(h.status, 200, show(h));
      assert.equal(h.body.length, 0);
      assert.equal(h.headers.etag, '"h2"', show(h));
      assert.equal(origin.seen(p).filter((r) => r.method === "HEAD").length, 1, "the stale HEAD is forwarded");
      const g = await get(p);
      assert.equal(xcs(g), "MISS", `the outdated GET entry should be gone: ${show(g)}`);
      assert.match(cacheStatus(g), /(^|, )httpcache; fwd=uri-miss; stored$/, show(g));
      assert.equal(origin.seen(p).filter((r) => r.method === "GET").length, 2);
      assert.equal(seenHeaders(p)["if-none-match"], undefined, "nothing stored to validate");
    });

    test("control: a HEAD with the same ETag and length keeps the stored GET", async () => {
      const p = "/rv/head-same";
      assert.match(cacheStatus(warm[p]), /stored/, show(warm[p]));
      const h = await get(p, { method: "HEAD" });
      assert.equal(h.status, 200, show(h));
      assert.equal(h.body.length, 0);
      const g = await get(p);
      assert.notEqual(xcs(g), "MISS", `the GET entry is still there (stale): ${show(g)}`);
      assert.doesNotMatch(cacheStatus(g), /fwd=uri-miss/, show(g));
      assert.equal(seenHeaders(p)["if-none-match"], '"s1"', "the stored GET is validated");
    });
  });
});

describe("client conditionals on a miss", () => {
  test("the conditional is kept from the origin so the full response is stored; the cache answers it (304 or 200)", async () => {
    const p = "/rv/cond-miss";
    const a = await get(p, { headers: { "If-None-Match": '"m1"' } });
    assert.equal(a.status, 304, show(a));
    assert.equal(a.body.length, 0, show(a));
    assert.equal(a.headers.etag, '"m1"', show(a));
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /(^|, )httpcache; fwd=uri-miss; fwd-status=200; stored$/, show(a));
    assert.equal(origin.seen(p)[0].headers["if-none-match"], undefined, "the origin got an unconditional GET");
    const b = await get(p);
    assert.equal(b.status, 200, show(b));
    assert.equal(xcs(b), "HIT", show(b));
    assert.match(b.text, /^miss body n=\d+$/, show(b));
    const c = await get(p, { headers: { "If-None-Match": '"other"' } });
    assert.equal(c.status, 200, show(c));
    assert.equal(xcs(c), "HIT", show(c));
    assert.equal(origin.count(p), 1, "stored from the first request");
  });

  test("a conditional miss whose validator does not match gets the full 200", async () => {
    const p = "/rv/cond-miss?nomatch";
    const a = await get(p, { headers: { "If-None-Match": '"old"' } });
    assert.equal(a.status, 200, show(a));
    assert.match(a.text, /^miss body n=\d+$/, show(a));
    assert.match(cacheStatus(a), /(^|, )httpcache; fwd=uri-miss; stored$/, show(a));
  });
});

describe("client conditionals on a fresh entry", () => {
  test("If-None-Match matching (strong, W/, list, *) → 304 from the cache with ETag, no body, origin not contacted", async () => {
    const p = "/rv/cond-inm";
    const w = await get(p);
    assert.equal(xcs(w), "MISS", show(w));
    for (const inm of ['"abc"', 'W/"abc"', '"x", "abc"', '"x", W/"abc", "y"', "*"]) {
      const r = await get(p, { headers: { "If-None-Match": inm } });
      assert.equal(r.status, 304, `If-None-Match: ${inm}: ${show(r)}`);
      assert.equal(r.body.length, 0, `If-None-Match: ${inm}: ${show(r)}`);
      assert.equal(r.headers.etag, '"abc"', `If-None-Match: ${inm}: ${show(r)}`);
      assert.equal(r.headers["cache-control"], "max-age=60", show(r));
      assert.equal(r.headers["last-modified"], LM_HOUR_AGO, show(r));
      assert.ok(age(r) >= 0, `Age on the 304: ${show(r)}`);
      assert.equal(xcs(r), "HIT", show(r));
    }
    assert.equal(origin.count(p), 1, "the 304s come from the cache");
  });

  test("a weak stored ETag matches If-None-Match by weak comparison", async () => {
    const p = "/rv/cond-inm-weak";
    await get(p);
    for (const inm of ['"w1"', 'W/"w1"']) {
      const r = await get(p, { headers: { "If-None-Match": inm } });
      assert.equal(r.status, 304, `If-None-Match: ${inm}: ${show(r)}`);
      assert.equal(r.headers.etag, 'W/"w1"', show(r));
    }
    assert.equal(origin.count(p), 1);
  });

  test("If-None-Match not matching → 200 HIT with the body", async () => {
    const p = "/rv/cond-nomatch";
    const w = await get(p);
    for (const inm of ['"nope"', 'W/"nope"', '"abcd"']) {
      const r = await get(p, { headers: { "If-None-Match": inm } });
      assert.equal(r.status, 200, `If-None-Match: ${inm}: ${show(r)}`);
      assert.equal(xcs(r), "HIT", show(r));
      assert.equal(r.text, w.text);
    }
    assert.equal(origin.count(p), 1);
  });

  test("If-Modified-Since at or after Last-Modified → 304; before → 200 HIT", async () => {
    const p = "/rv/cond-ims";
    const w = await get(p);
    const later = await get(p, { headers: { "If-Modified-Since": imfDate(Date.now()) } });
    assert.equal(later.status, 304, show(later));
    assert.equal(later.body.length, 0);
    assert.equal(later.headers.etag, '"abc"', show(later));
    const same = await get(p, { headers: { "If-Modified-Since": LM_HOUR_AGO } });
    assert.equal(same.status, 304, show(same));
    const before = await get(p, { headers: { "If-Modified-Since": imfDate(Date.parse(LM_HOUR_AGO) - 86400_000) } });
    assert.equal(before.status, 200, show(before));
    assert.equal(xcs(before), "HIT", show(before));
    assert.equal(before.text, w.text);
    assert.equal(origin.count(p), 1);
  });

  test("If-None-Match takes precedence over If-Modified-Since", async () => {
    const p = "/rv/cond-precedence";
    const w = await get(p);
    const a = await get(p, { headers: { "If-None-Match": '"nope"', "If-Modified-Since": imfDate(Date.now()) } });
    assert.equal(a.status, 200, `a non-matching If-None-Match wins over a matching If-Modified-Since: ${show(a)}`);
    assert.equal(a.text, w.text);
    const b = await get(p, { headers: { "If-None-Match": '"abc"', "If-Modified-Since": imfDate(Date.parse(LM_HOUR_AGO) - 86400_000) } });
    assert.equal(b.status, 304, `a matching If-None-Match wins over a non-matching If-Modified-Since: ${show(b)}`);
    assert.equal(origin.count(p), 1);
  });
});

describe("response directives", () => {
  test("no-cache with an ETag is stored and validated on every request", async () => {
    const p = "/rv/resp-no-cache";
    const a = await get(p);
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    for (let i = 2; i <= 3; i++) {
      const r = await get(p);
      assert.equal(origin.count(p), i, `request ${i} must reach the origin`);
      assert.equal(seenHeaders(p)["if-none-match"], '"nc1"', `request ${i} is validated`);
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, a.text, "the stored body after the 304");
      assert.equal(xcs(r), "REVALIDATED", show(r));
    }
  });

  test("no-cache without a validator is never stored", async () => {
    const p = "/rv/resp-no-cache-noval";
    const a = await get(p);
    const b = await get(p);
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.notEqual(b.text, a.text);
    assert.equal(origin.count(p), 2);
  });

  test("private is not stored", async () => {
    const p = "/rv/resp-private";
    const a = await get(p);
    const b = await get(p);
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count(p), 2);
  });

  test('no-cache="X-Secret": stored without X-Secret', async () => {
    const p = "/rv/resp-nocache-field";
    const a = await get(p);
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get(p);
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.deepEqual(b.values("x-secret"), [], `X-Secret must not be served from the cache: ${show(b)}`);
    assert.equal(b.headers["x-public"], "visible", show(b));
    assert.equal(origin.count(p), 1);
  });

  test("must-understand, no-store, max-age=60 on a 200 is stored", async () => {
    const p = "/rv/resp-must-understand";
    const a = await get(p);
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get(p);
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.equal(origin.count(p), 1);
  });

  test("immutable: a client's Cache-Control: max-age=0 still HITs while fresh", async () => {
    const p = "/rv/resp-immutable";
    const a = await get(p);
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get(p, { headers: { "Cache-Control": "max-age=0" } });
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.equal(origin.count(p), 1);
  });
});

describe("request directives", () => {
  test("max-age=0 → forwarded (BYPASS fwd=request) with If-None-Match; the new response is stored", async () => {
    const p = "/rv/req-maxage0";
    const a = await get(p);
    assert.equal(xcs(a), "MISS", show(a));
    const r = await get(p, { headers: { "Cache-Control": "max-age=0" } });
    assert.equal(origin.count(p), 2);
    assert.equal(seenHeaders(p)["if-none-match"], a.headers.etag, "validated with the stored ETag");
    assert.equal(xcs(r), "BYPASS", show(r));
    assert.match(cacheStatus(r), /(^|, )httpcache; fwd=request; stored$/, show(r));
    assert.notEqual(r.text, a.text);
    const h = await get(p);
    assert.equal(xcs(h), "HIT", show(h));
    assert.equal(h.text, r.text, "the response to the max-age=0 request replaced the entry");
    assert.equal(origin.count(p), 2);
  });

  test("min-fresh larger than the freshness left → forwarded; smaller → HIT", async () => {
    const p = "/rv/req-minfresh";
    await get(p);
    const small = await get(p, { headers: { "Cache-Control": "min-fresh=10" } });
    assert.equal(xcs(small), "HIT", show(small));
    assert.equal(origin.count(p), 1);
    const large = await get(p, { headers: { "Cache-Control": "min-fresh=120" } });
    assert.equal(origin.count(p), 2, "min-fresh=120 on a max-age=60 entry reaches the origin");
    assert.equal(xcs(large), "BYPASS", show(large));
    assert.match(cacheStatus(large), /httpcache; fwd=request/, show(large));
  });

  test("only-if-cached on a miss → 504, origin not contacted", async () => {
    const p = "/rv/req-oic-miss";
    const r = await get(p, { headers: { "Cache-Control": "only-if-cached" } });
    assert.equal(r.status, 504, show(r));
    assert.equal(xcs(r), "MISS", show(r));
    assert.equal(cacheStatus(r), "httpcache; detail=only-if-cached", show(r));
    assert.equal(origin.count(p), 0);
  });

  test("only-if-cached on a fresh entry → HIT", async () => {
    const p = "/rv/req-oic-hit";
    const a = await get(p);
    const r = await get(p, { headers: { "Cache-Control": "only-if-cached" } });
    assert.equal(r.status, 200, show(r));
    assert.equal(xcs(r), "HIT", show(r));
    assert.equal(r.text, a.text);
    assert.equal(origin.count(p), 1);
  });

  test("no-cache → forwarded with If-None-Match; a 304 gives the stored body (fwd=request, fwd-status=304)", async () => {
    const p = "/rv/req-nocache";
    const a = await get(p);
    const r = await get(p, { headers: { "Cache-Control": "no-cache" } });
    assert.equal(origin.count(p), 2, "no-cache reaches the origin");
    assert.equal(seenHeaders(p)["if-none-match"], '"rn1"', "validated with the stored ETag");
    assert.equal(r.status, 200, show(r));
    assert.equal(r.text, a.text, "the stored body after the 304");
    assert.equal(xcs(r), "REVALIDATED", show(r));
    // The entry is fresh: the client's no-cache forced the forward (RFC 9211 fwd=request).
    assert.match(cacheStatus(r), /(^|, )httpcache; fwd=request; fwd-status=304; stored$/, show(r));
  });

  test("no-store: a fresh entry still HITs", async () => {
    const p = "/rv/req-nostore-hit";
    const a = await get(p);
    const r = await get(p, { headers: { "Cache-Control": "no-store" } });
    assert.equal(xcs(r), "HIT", show(r));
    assert.equal(r.text, a.text);
    assert.equal(origin.count(p), 1);
  });

  test("no-store on a miss: not stored, and later plain requests are stored as usual", async () => {
    const p = "/rv/req-nostore-miss";
    const a = await get(p, { headers: { "Cache-Control": "no-store" } });
    assert.equal(a.status, 200, show(a));
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    const b = await get(p);
    assert.equal(xcs(b), "MISS", `nothing was stored by the no-store request: ${show(b)}`);
    assert.match(cacheStatus(b), /(^|, )httpcache; fwd=uri-miss; stored$/, `the client's no-store must not stop later storing: ${show(b)}`);
    const c = await get(p);
    assert.equal(xcs(c), "HIT", show(c));
    assert.equal(c.text, b.text);
    assert.equal(origin.count(p), 2);
  });

  test("Pragma: no-cache without Cache-Control → forwarded with If-None-Match; with Cache-Control it is ignored", async () => {
    const p = "/rv/req-pragma";
    const a = await get(p);
    const withCc = await get(p, { headers: { Pragma: "no-cache", "Cache-Control": "max-age=600" } });
    assert.equal(xcs(withCc), "HIT", `Pragma is ignored when Cache-Control is present: ${show(withCc)}`);
    assert.equal(origin.count(p), 1);
    const r = await get(p, { headers: { Pragma: "no-cache" } });
    assert.equal(origin.count(p), 2);
    assert.equal(seenHeaders(p)["if-none-match"], a.headers.etag);
    assert.equal(xcs(r), "BYPASS", show(r));
    assert.match(cacheStatus(r), /(^|, )httpcache; fwd=request; stored$/, show(r));
    assert.notEqual(r.text, a.text);
  });

  test("ignoreRequestCacheControl: no-cache, Pragma, max-age=0 still HIT; only-if-cached does not block a miss", async () => {
    const p = "/irc/a";
    const a = await get(p);
    assert.equal(xcs(a), "MISS", show(a));
    for (const headers of [{ "Cache-Control": "no-cache" }, { Pragma: "no-cache" }, { "Cache-Control": "max-age=0" }, { "Cache-Control": "no-cache, no-store" }]) {
      const r = await get(p, { headers });
      assert.equal(xcs(r), "HIT", `${JSON.stringify(headers)}: ${show(r)}`);
      assert.equal(r.text, a.text);
    }
    assert.equal(origin.count(p), 1);
    assert.equal(seenHeaders(p)["if-none-match"], undefined);

    const b = await get("/irc/b", { headers: { "Cache-Control": "only-if-cached" } });
    assert.equal(b.status, 200, `only-if-cached is invisible too: ${show(b)}`);
    assert.equal(origin.count("/irc/b"), 1);
  });
});

describe("freshness", () => {
  for (const [name, p] of [["IMF-fixdate", "/rv/exp-imf"], ["RFC 850", "/rv/exp-rfc850"], ["asctime", "/rv/exp-asctime"]]) {
    test(`Expires in ${name} format gives ~60 s of freshness`, async () => {
      const a = await get(p);
      assert.match(cacheStatus(a), /stored/, show(a));
      const b = await get(p);
      assert.equal(xcs(b), "HIT", show(b));
      const t = ttl(b);
      assert.ok(t >= 55 && t <= 60, `ttl from Expires (${a.headers.expires}) - Date: ${show(b)}`);
      assert.equal(origin.count(p), 1);
    });
  }

  test("an invalid Expires means stale: without a validator not stored, with an ETag validated", async () => {
    const p = "/rv/exp-invalid";
    const a = await get(p);
    const b = await get(p);
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count(p), 2);

    const q = "/rv/exp-invalid-etag";
    await get(q);
    const d = await get(q);
    assert.notEqual(xcs(d), "HIT", show(d));
    assert.equal(origin.count(q), 2);
    assert.equal(seenHeaders(q)["if-none-match"], '"ei"', "stored (stale) and validated");
  });

  test("heuristicFreshness: Last-Modified 10 days before Date, no explicit freshness → HIT (capped by maxTtl)", async () => {
    const p = "/heur/ten-days";
    const a = await get(p);
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get(p);
    assert.equal(xcs(b), "HIT", show(b));
    const t = ttl(b);
    assert.ok(t >= 290 && t <= 300, `1 day heuristic capped by the default maxTtl 300s: ${show(b)}`);
    assert.equal(origin.count(p), 1);

    const q = "/heur/hundred-s";
    await get(q);
    const c = await get(q);
    assert.equal(xcs(c), "HIT", show(c));
    const tc = ttl(c);
    assert.ok(tc >= 8 && tc <= 10, `10 % of 100 s: ${show(c)}`);
    assert.equal(origin.count(q), 1);
  });

  test("without heuristicFreshness (defaultTtl 0) the same response is never a HIT", async () => {
    const p = "/rv/heur-off";
    await get(p);
    const b = await get(p);
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count(p), 2);
  });

  test("CDN-Cache-Control: max-age=60 with Cache-Control: no-store → stored; both passed on as is", async () => {
    const p = "/rv/cdn-store";
    const a = await get(p);
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get(p);
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.equal(b.headers["cdn-cache-control"], "max-age=60", show(b));
    assert.equal(b.headers["cache-control"], "no-store", show(b));
    assert.equal(origin.count(p), 1);
  });

  test("CDN-Cache-Control: no-store with Cache-Control: max-age=60 → not stored", async () => {
    const p = "/rv/cdn-nostore";
    const a = await get(p);
    const b = await get(p);
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count(p), 2);
  });

  test("an invalid CDN-Cache-Control is ignored whole (Cache-Control decides)", async () => {
    const p = "/rv/cdn-invalid"; // CDN: "max-age=60, &&&", Cache-Control: no-store
    const a = await get(p);
    const b = await get(p);
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(xcs(b), "HIT", `the invalid CDN-Cache-Control's max-age=60 must not count: ${show(b)}`);
    assert.equal(origin.count(p), 2);

    const q = "/rv/cdn-invalid-nostore"; // CDN: "no-store, &&&", Cache-Control: max-age=60
    const c = await get(q);
    assert.match(cacheStatus(c), /stored/, `the invalid CDN-Cache-Control's no-store must not count: ${show(c)}`);
    const d = await get(q);
    assert.equal(xcs(d), "HIT", show(d));
    assert.equal(origin.count(q), 1);
  });
});

describe("HEAD", () => {
  test("HEAD after a stored GET → HIT with the GET's headers and no body", async () => {
    const p = "/rv/head-hit";
    const g = await get(p);
    assert.equal(xcs(g), "MISS", show(g));
    const h = await get(p, { method: "HEAD" });
    assert.equal(h.status, 200, show(h));
    assert.equal(xcs(h), "HIT", show(h));
    assert.equal(h.body.length, 0);
    for (const name of ["etag", "content-type", "x-extra", "cache-control"]) assert.equal(h.headers[name], g.headers[name], `${name}: ${show(h)}`);
    if (h.headers["content-length"] !== undefined) assert.equal(h.headers["content-length"], String(g.body.length), show(h));
    assert.equal(origin.count(p), 1);
  });
});
