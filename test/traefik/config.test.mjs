// End to end through the REAL Traefik: plugin configuration as Traefik delivers it. Traefik's file
// provider sends every scalar as a string, so these tests prove that strings are read (a size, a
// duration, a boolean, an enum) and that a bad configuration fails loudly instead of caching with a
// half-read one. One Traefik for the file; each test reloads the dynamic configuration (a reload
// starts every plugin instance cold) and uses its own paths.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request, sleep, startOrigin } from "../../scripts/lib/origin.mjs";
import { ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

const routes = {
  "/c/strip-cookie": (r) => ({ headers: { "Cache-Control": "public, max-age=60", "Set-Cookie": [`session=user${r.n}; Path=/`, "theme=dark"] }, body: "same page for everyone" }),
  "/c/big": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: Buffer.alloc(100, 0x61 + (r.n % 26)) }),
  "/c/small": (r) => ({ headers: { "Cache-Control": "max-age=3600" }, body: `small n=${r.n}`.padEnd(10, ".").slice(0, 10) }),
  "/c/maxttl": (r) => ({ headers: { "Cache-Control": "max-age=3600" }, body: `n=${r.n}` }),
  "/c/no-status": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/c/bad-unknown": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `BACKEND BODY n=${r.n}` }),
  "/c/bad-value": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `BACKEND BODY n=${r.n}` }),
  "/c/ignored": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `q=${r.query} n=${r.n}` }),
  "/c/ignore-query": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `q=${r.query} n=${r.n}` }),
  "/c/lang": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `lang=${r.headers["accept-language"]} n=${r.n}` }),
  "/c/units": (r) => ({ headers: { "Cache-Control": "max-age=3600" }, body: Buffer.alloc(r.query === "?size=1025" ? 1025 : 1024, 0x62) }),
  "/c/default-ttl": (r) => ({ headers: { "Content-Type": "text/plain" }, body: `n=${r.n}` }),
  "/c/excluded": (r) => ({ status: Number(new URL(r.url, "http://x").searchParams.get("status")), headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/c/methods": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/c/quiet": (r) => ({ headers: { "Cache-Control": r.query.includes("s=1") ? "max-age=60" : "no-store" }, body: `n=${r.n}` }),
  "/c/bad-at-start": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `BACKEND BODY n=${r.n}` }),
  "/c/cache-name": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
};

let origin;
let traefik;
const get = (path, opts = {}) => request(traefik.url + path, opts);
const xcs = (r) => r.headers["x-cache-status"];
const cacheStatus = (r) => r.values("cache-status").join(", ");
function show(r) {
  const h = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) h.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
  const body = r.body.length > 200 ? `${r.body.length} bytes` : JSON.stringify(r.text);
  return `${r.status} [${h.join(" | ")}] body=${body}`;
}
/** Traefik log lines at error level that mention `needle`. */
const errorLines = (needle) =>
  traefik.logs().split("\n").filter((l) => /\bERR\b/.test(l) && l.includes(needle));

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
  traefik = await startTraefik({ origin: origin.url, pluginConfig: { setCookie: "strip" }, env: { GOMAXPROCS: "1" } });
});

after(async () => {
  await traefik?.stop();
  await origin?.close();
});

test('setCookie: "strip" stores the response without Set-Cookie; the client that caused the miss still gets it', async () => {
  // started with { setCookie: "strip" }
  const a = await get("/c/strip-cookie");
  assert.equal(xcs(a), "MISS", show(a));
  assert.match(cacheStatus(a), /stored/, show(a));
  assert.equal(a.values("set-cookie").length, 2, `the first client keeps its cookies: ${show(a)}`);

  const b = await get("/c/strip-cookie");
  assert.equal(xcs(b), "HIT", show(b));
  assert.deepEqual(b.values("set-cookie"), [], `a hit must carry no Set-Cookie: ${show(b)}`);
  assert.equal(b.text, "same page for everyone");
  assert.equal(origin.count("/c/strip-cookie"), 1);
});

test('string values are read: maxObjectSize "16" keeps a 100-byte body out, a 10-byte body is stored', async () => {
  await traefik.reload({ maxObjectSize: "16" });
  const a = await get("/c/big");
  const b = await get("/c/big");
  assert.equal(a.body.length, 100);
  assert.equal(b.body.length, 100);
  assert.notEqual(xcs(a), "HIT", show(a));
  assert.notEqual(xcs(b), "HIT", `a 100-byte body is larger than maxObjectSize "16": ${show(b)}`);
  assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
  assert.equal(origin.count("/c/big"), 2);

  const s1 = await get("/c/small");
  const s2 = await get("/c/small");
  assert.equal(s1.body.length, 10);
  assert.equal(xcs(s2), "HIT", `a 10-byte body fits in 16: ${show(s2)}`);
  assert.equal(origin.count("/c/small"), 1);
});

test('maxTtl "1" caps max-age=3600: after ~2 s the origin is asked again', async () => {
  await traefik.reload({ maxTtl: "1" });
  const a = await get("/c/maxttl");
  assert.equal(xcs(a), "MISS", show(a));
  assert.match(cacheStatus(a), /stored/, show(a));
  const b = await get("/c/maxttl");
  assert.equal(xcs(b), "HIT", show(b));
  const m = /ttl=(\d+)/.exec(cacheStatus(b));
  assert.ok(m && Number(m[1]) <= 1, `ttl on a hit is capped by maxTtl 1: ${show(b)}`);
  await sleep(2100);
  const c = await get("/c/maxttl");
  assert.equal(xcs(c), "EXPIRED", show(c));
  assert.notEqual(c.text, a.text);
  assert.equal(origin.count("/c/maxttl"), 2);
});

test("key.ignoredQueryParams (a list) leaves those parameters out of the key", async () => {
  await traefik.reload({ key: { ignoredQueryParams: ["utm_source", "utm_medium"] } });
  const a = await get("/c/ignored?id=7&utm_source=mail");
  assert.equal(xcs(a), "MISS", show(a));
  const b = await get("/c/ignored?utm_medium=web&id=7");
  assert.equal(xcs(b), "HIT", show(b));
  const c = await get("/c/ignored?id=8&utm_source=mail");
  assert.equal(xcs(c), "MISS", `id is still part of the key: ${show(c)}`);
  assert.equal(origin.count("/c/ignored"), 2);
});

test('key.ignoreQuery "true" leaves the whole query out of the key', async () => {
  await traefik.reload({ key: { ignoreQuery: "true" } });
  const a = await get("/c/ignore-query?a=1");
  const b = await get("/c/ignore-query?b=2");
  assert.equal(xcs(a), "MISS", show(a));
  assert.equal(xcs(b), "HIT", show(b));
  assert.equal(origin.count("/c/ignore-query"), 1);
});

test("key.headers adds request header values to the key", async () => {
  await traefik.reload({ key: { headers: ["Accept-Language"] } });
  const en = await get("/c/lang", { headers: { "Accept-Language": "en" } });
  const fr = await get("/c/lang", { headers: { "Accept-Language": "fr" } });
  assert.equal(xcs(fr), "MISS", `another Accept-Language is another entry: ${show(fr)}`);
  const en2 = await get("/c/lang", { headers: { "Accept-Language": "en" } });
  const fr2 = await get("/c/lang", { headers: { "Accept-Language": "fr" } });
  assert.equal(xcs(en2), "HIT", show(en2));
  assert.equal(xcs(fr2), "HIT", show(fr2));
  assert.equal(en2.text, en.text);
  assert.equal(fr2.text, fr.text);
  assert.match(fr2.text, /^lang=fr /);
  assert.equal(origin.count("/c/lang"), 2);
});

test('units in strings: maxTtl "2m" caps a hit\'s ttl at 120, maxObjectSize "1Ki" stores 1024 bytes but not 1025', async () => {
  await traefik.reload({ maxTtl: "2m", maxObjectSize: "1Ki" });
  await get("/c/units?size=1024");
  const b = await get("/c/units?size=1024");
  assert.equal(xcs(b), "HIT", show(b));
  const m = /ttl=(\d+)/.exec(cacheStatus(b));
  assert.ok(m && Number(m[1]) >= 115 && Number(m[1]) <= 120, `ttl capped at 120: ${show(b)}`);
  await get("/c/units?size=1025");
  const d = await get("/c/units?size=1025");
  assert.notEqual(xcs(d), "HIT", `1025 bytes > 1Ki: ${show(d)}`);
  assert.equal(d.body.length, 1025);
  assert.equal(origin.count("/c/units"), 3);
});

test('defaultTtl "60s" stores a response without explicit freshness', async () => {
  await traefik.reload({ defaultTtl: "60s" });
  await get("/c/default-ttl");
  const b = await get("/c/default-ttl");
  assert.equal(xcs(b), "HIT", show(b));
  const m = /ttl=(\d+)/.exec(cacheStatus(b));
  assert.ok(m && Number(m[1]) >= 55 && Number(m[1]) <= 60, show(b));
  assert.equal(origin.count("/c/default-ttl"), 1);
});

test('excludedResponseCodes ["404", "500-599"] are never stored; other codes are', async () => {
  await traefik.reload({ excludedResponseCodes: ["404", "500-599"] });
  for (const status of [404, 503]) {
    const a = await get(`/c/excluded?status=${status}`);
    const b = await get(`/c/excluded?status=${status}`);
    assert.equal(a.status, status, show(a));
    assert.notEqual(xcs(b), "HIT", `${status} is excluded: ${show(b)}`);
  }
  await get("/c/excluded?status=200");
  const ok = await get("/c/excluded?status=200");
  assert.equal(xcs(ok), "HIT", show(ok));
  assert.equal(origin.count("/c/excluded"), 5);
});

test('methods ["GET"]: HEAD is not answered from the cache', async () => {
  await traefik.reload({ methods: ["GET"] });
  await get("/c/methods");
  const g = await get("/c/methods");
  assert.equal(xcs(g), "HIT", show(g));
  const h = await get("/c/methods", { method: "HEAD" });
  assert.notEqual(xcs(h), "HIT", show(h));
  assert.equal(origin.count("/c/methods"), 2);
});

test('disableCacheStatusHeader "true" removes both status headers and still caches', async () => {
  await traefik.reload({ disableCacheStatusHeader: "true" });
  const a = await get("/c/no-status");
  const b = await get("/c/no-status");
  for (const r of [a, b]) {
    assert.equal(r.headers["x-cache-status"], undefined, show(r));
    assert.equal(r.headers["cache-status"], undefined, show(r));
  }
  assert.equal(b.text, a.text);
  assert.equal(origin.count("/c/no-status"), 1, "the second request was a hit");
});

test('cacheName "edge" names the cache in Cache-Status', async () => {
  await traefik.reload({ cacheName: "edge" });
  const a = await get("/c/cache-name");
  assert.match(cacheStatus(a), /(^|, )edge; fwd=uri-miss; stored$/, show(a));
  const b = await get("/c/cache-name");
  assert.match(cacheStatus(b), /(^|, )edge; hit; ttl=\d+$/, show(b));
});

test("an unknown key (maxTTL) fails loudly: 500 naming the key, error in Traefik's log, backend never reached", async () => {
  await traefik.reload({ maxTTL: "5" });
  for (let i = 0; i < 2; i++) {
    const r = await get("/c/bad-unknown");
    assert.equal(r.status, 500, show(r));
    assert.match(r.text, /^httpcache: invalid configuration:/, show(r));
    assert.ok(r.text.includes("maxTTL"), `the message names the key: ${show(r)}`);
    assert.doesNotMatch(r.text, /BACKEND BODY/);
  }
  assert.equal(origin.count("/c/bad-unknown"), 0, "the backend must not be reached");
  const lines = errorLines("maxTTL");
  assert.ok(lines.some((l) => l.includes("httpcache: invalid configuration:")),
    `Traefik's log has an error naming maxTTL; log tail:\n${traefik.logs().split("\n").slice(-15).join("\n")}`);
});

test('an invalid value (maxTtl "abc") fails loudly: 500 naming the key, error in Traefik\'s log', async () => {
  await traefik.reload({ maxTtl: "abc" });
  const r = await get("/c/bad-value");
  assert.equal(r.status, 500, show(r));
  assert.match(r.text, /^httpcache: invalid configuration:/, show(r));
  assert.ok(r.text.includes("maxTtl"), `the message names the key: ${show(r)}`);
  assert.doesNotMatch(r.text, /BACKEND BODY/);
  assert.equal(origin.count("/c/bad-value"), 0, "the backend must not be reached");
  const lines = errorLines("maxTtl");
  assert.ok(lines.some((l) => l.includes("httpcache: invalid configuration:") && l.includes("abc")),
    `Traefik's log has an error naming maxTtl and the value; log tail:\n${traefik.logs().split("\n").slice(-15).join("\n")}`);
});

test("a good configuration after a bad one caches again", async () => {
  await traefik.reload({});
  const a = await get("/c/bad-value");
  const b = await get("/c/bad-value");
  assert.equal(a.status, 200, show(a));
  assert.equal(xcs(b), "HIT", show(b));
  assert.equal(origin.count("/c/bad-value"), 1);
});

test("at the default logLevel nothing is logged per request", async () => {
  await traefik.reload({});
  const pluginLines = () => traefik.logs().split("\n").filter((l) => l.includes("middlewareType=wasm")).length;
  await get("/c/quiet?s=1");
  await get("/c/quiet?s=2");
  await sleep(100);
  const before = pluginLines();
  for (let i = 0; i < 5; i++) {
    await get("/c/quiet?s=1"); // hit
    await get(`/c/quiet?s=2&i=${i}`); // miss, not stored
    await get("/c/quiet?s=1", { method: "POST" }); // bypass
  }
  await sleep(200);
  assert.equal(pluginLines() - before, 0, `plugin log lines for 15 requests:\n${traefik.logs().split("\n").filter((l) => l.includes("middlewareType=wasm")).slice(-5).join("\n")}`);
});

test("Traefik started with a bad configuration answers 500 naming the key from the first request", async () => {
  const t2 = await startTraefik({ origin: origin.url, pluginConfig: { maxObjectSize: "lots" }, env: { GOMAXPROCS: "1" } });
  try {
    const r = await request(t2.url + "/c/bad-at-start");
    assert.equal(r.status, 500, show(r));
    assert.match(r.text, /^httpcache: invalid configuration:/, show(r));
    assert.ok(r.text.includes("maxObjectSize"), show(r));
    assert.doesNotMatch(r.text, /BACKEND BODY/);
    assert.equal(origin.count("/c/bad-at-start"), 0);
    assert.ok(t2.logs().split("\n").some((l) => /\bERR\b/.test(l) && l.includes("httpcache: invalid configuration:") && l.includes("maxObjectSize")),
      `error in Traefik's log:\n${t2.logs().split("\n").slice(-5).join("\n")}`);
  } finally {
    await t2.stop();
  }
});
