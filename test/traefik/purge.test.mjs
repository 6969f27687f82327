// End to end through the REAL Traefik: the purge API (README "Purge") and tags. One Traefik with a
// shared store on a fresh temporary directory and a purge token serves most tests; each test uses
// its own paths. A few tests start their own Traefik (purge without a shared store, purge not
// configured, the token from an environment variable).
//
// Requests carry `Host: api.example.test` (the cache key's host), so that absolute URLs in purge
// requests can name it. Count-based: GOMAXPROCS=1 as in the other files.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, sleep, startOrigin } from "../../scripts/lib/origin.mjs";
import { ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

const TOKEN = "s3cret-purge-token-for-tests";
const HOST = "api.example.test";
const PURGE_PATH = "/_cache/purge";

const page = (r) => ({ headers: { "Cache-Control": "max-age=300", "Content-Type": "text/plain" }, body: `${r.path}${r.query} host=${r.headers.host} lang=${r.headers["accept-language"] ?? "-"} n=${r.n}` });
const routes = {
  "/p/url": page,
  "/p/bearer": page,
  "/p/x-token": page,
  "/p/no-token": page,
  "/p/query": page,
  "/p/variants": page,
  "/p/head": page,
  "/p/post-path": page,
  "/p/post-abs": page,
  "/p/both": page,
  "/p/never-cached": page,
  "/p/pre/1": page,
  "/p/pre/2": page,
  "/p/pre/sub/3": page,
  "/p/prelude": page,
  "/p/pre-abs/1": page,
  "/p/tag/a": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Surrogate-Key": "t-a common", "X-Kept": "yes" } }),
  "/p/tag/b": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Cache-Tag": "t-b,common" } }),
  "/p/tag/c": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Cache-Tag": "t-c, t-d" } }),
  "/p/tag/none": page,
  "/p/strip": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Surrogate-Key": "s1 s2", "Cache-Tag": "s3", "X-Other": "kept" } }),
  "/p/keep": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Surrogate-Key": "k1 k2", "Cache-Tag": "k3" } }),
  "/p/combo/url": page,
  "/p/combo/pre/1": page,
  "/p/combo/tag": (r) => ({ ...page(r), headers: { "Cache-Control": "max-age=300", "Cache-Tag": "t-combo" } }),
  "/p/form": page,
  "/p/all/1": page,
  "/p/all/2": page,
  "/p/local": page,
  "/p/unconfigured": page,
  "/p/env": page,
  "/p/forwarded": (r) => ({ headers: { "Content-Type": "text/plain" }, body: `x-purge-token=${r.headers["x-purge-token"] ?? "-"} authorization=${r.headers.authorization ?? "-"}` }),
  [PURGE_PATH]: (r) => ({ headers: { "Content-Type": "text/plain" }, body: `ORIGIN PURGE PATH method=${r.method}` }),
};

let origin;
let traefik;
let dir;
const dirs = [];

const baseConfig = () => ({
  store: { shared: { path: "/cache", limit: "16Mi" } },
  key: { headers: ["Accept-Language"] },
  purge: { token: TOKEN },
});

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
  dir = freshDir();
  traefik = await startTraefik({ origin: origin.url, pluginConfig: baseConfig(), mounts: [`${dir}:/cache`], env: { GOMAXPROCS: "1" } });
});

after(async () => {
  await traefik?.stop();
  await origin?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir() {
  const d = mkdtempSync(join(tmpdir(), "httpcache-purge-"));
  dirs.push(d);
  return d;
}

const bearer = { Authorization: `Bearer ${TOKEN}` };
/** A GET (or other method) through the main Traefik, with Host api.example.test unless given. */
const get = (path, opts = {}, t = traefik) => request(t.url + path, { ...opts, headers: { Host: HOST, ...(opts.headers || {}) } });
/** PURGE <path> with the token (Bearer) unless headers say otherwise. */
const purgeUrl = (path, headers = bearer, t = traefik) => request(t.url + path, { method: "PURGE", headers: { Host: HOST, ...headers } });
/** POST purge.path with a JSON body (a string is sent as is). */
const purgePost = (body, headers = bearer, t = traefik) => request(t.url + PURGE_PATH, {
  method: "POST",
  headers: { Host: HOST, "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const xcs = (r) => r.headers["x-cache-status"];
function show(r) {
  const h = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) h.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
  const body = r.body.length > 300 ? `${r.body.length} bytes` : JSON.stringify(r.text);
  return `${r.status} [${h.join(" | ")}] body=${body}`;
}
function json(r) {
  assert.match(String(r.headers["content-type"]), /^application\/json/, `JSON answer: ${show(r)}`);
  try {
    return JSON.parse(r.text);
  } catch (e) {
    assert.fail(`not JSON (${e.message}): ${show(r)}`);
  }
}
/** Asserts a 200 {"purged":N} answer and returns N. */
function purged(r) {
  assert.equal(r.status, 200, show(r));
  const body = json(r);
  assert.equal(typeof body.purged, "number", show(r));
  assert.notEqual(xcs(r), "HIT", `a purge answer is never served from the cache: ${show(r)}`);
  return body.purged;
}
function unauthorized(r) {
  assert.equal(r.status, 401, show(r));
  assert.deepEqual(json(r), { error: "purge token missing or wrong" }, show(r));
  assert.match(String(r.headers["www-authenticate"]), /^Bearer\b/, show(r));
}
function badRequest(r, mentions) {
  assert.equal(r.status, 400, show(r));
  const body = json(r);
  assert.equal(typeof body.error, "string", show(r));
  assert.ok(body.error.length > 0, show(r));
  if (mentions) assert.match(body.error, mentions, `the message says what is wrong: ${show(r)}`);
}

/** GETs path until it is a HIT (one miss expected), returns the hit. */
async function warm(path, opts = {}, t = traefik) {
  const a = await get(path, opts, t);
  assert.equal(a.status, 200, show(a));
  const b = await get(path, opts, t);
  assert.equal(xcs(b), "HIT", `warming ${path}: ${show(b)}`);
  return b;
}
/** Host of the one test where purge is not configured, so that its requests DO reach the origin. */
const UNCONFIGURED_HOST = "unconfigured.example.test";
/** Nothing reached the origin as a purge: no PURGE method, no request for purge.path. */
function assertNoPurgeReachedOrigin() {
  const seen = origin.requests.filter((r) => r.headers.host !== UNCONFIGURED_HOST);
  assert.deepEqual(seen.filter((r) => r.method === "PURGE").map((r) => r.url), [], "PURGE requests reached the origin");
  assert.deepEqual(seen.filter((r) => r.path === PURGE_PATH).map((r) => `${r.method} ${r.url}`), [], "purge.path requests reached the origin");
}

describe("PURGE /url", () => {
  test("without a token: 401 with WWW-Authenticate, nothing purged, the origin never sees it", async () => {
    await warm("/p/no-token");
    unauthorized(await purgeUrl("/p/no-token", {}));
    unauthorized(await purgeUrl("/p/no-token", { Authorization: "Bearer wrong-token" }));
    unauthorized(await purgeUrl("/p/no-token", { Authorization: `Bearer ${TOKEN}x` }));
    unauthorized(await purgeUrl("/p/no-token", { "X-Purge-Token": TOKEN.slice(0, -1) }));
    unauthorized(await purgeUrl("/p/no-token", { Authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}` }));
    const after = await get("/p/no-token");
    assert.equal(xcs(after), "HIT", `still cached: ${show(after)}`);
    assert.equal(origin.count("/p/no-token"), 1);
    assertNoPurgeReachedOrigin();
  });

  test("with Authorization: Bearer: 200 {purged:1}, the next GET is a miss", async () => {
    const hit = await warm("/p/bearer");
    assert.equal(purged(await purgeUrl("/p/bearer")), 1);
    const after = await get("/p/bearer");
    assert.notEqual(xcs(after), "HIT", show(after));
    assert.notEqual(after.text, hit.text, "answered by the origin again");
    assert.equal(origin.count("/p/bearer"), 2);
    assertNoPurgeReachedOrigin();
  });

  test("with X-Purge-Token: the same", async () => {
    await warm("/p/x-token");
    assert.equal(purged(await purgeUrl("/p/x-token", { "X-Purge-Token": TOKEN })), 1);
    assert.notEqual(xcs(await get("/p/x-token")), "HIT");
    assert.equal(origin.count("/p/x-token"), 2);
  });

  test("a URL that is not cached: 200 {purged:0}; a purge answer is computed every time, never cached", async () => {
    assert.equal(purged(await purgeUrl("/p/never-cached")), 0);
    await warm("/p/never-cached");
    assert.equal(purged(await purgeUrl("/p/never-cached")), 1);
    assert.equal(purged(await purgeUrl("/p/never-cached")), 0);
    assertNoPurgeReachedOrigin();
  });

  test("the query is normalised like the cache key: PURGE ?b=2&a=1 removes the entry stored for ?a=1&b=2", async () => {
    await warm("/p/query?a=1&b=2");
    assert.equal(purged(await purgeUrl("/p/query?b=2&a=1")), 1);
    assert.notEqual(xcs(await get("/p/query?a=1&b=2")), "HIT");
  });

  test("every variant (key.headers) of the URL is purged at once", async () => {
    await warm("/p/variants", { headers: { "Accept-Language": "en" } });
    await warm("/p/variants", { headers: { "Accept-Language": "fr" } });
    await warm("/p/variants");
    assert.equal(purged(await purgeUrl("/p/variants")), 3);
    for (const lang of ["en", "fr", undefined]) {
      const r = await get("/p/variants", { headers: lang ? { "Accept-Language": lang } : {} });
      assert.notEqual(xcs(r), "HIT", `${lang ?? "no"} Accept-Language: ${show(r)}`);
    }
    assert.equal(origin.count("/p/variants"), 6);
  });

  test("GET and HEAD share the entry: after PURGE, HEAD is not answered from the cache either", async () => {
    await warm("/p/head");
    const h = await get("/p/head", { method: "HEAD" });
    assert.equal(xcs(h), "HIT", show(h));
    assert.equal(purged(await purgeUrl("/p/head")), 1);
    const h2 = await get("/p/head", { method: "HEAD" });
    assert.notEqual(xcs(h2), "HIT", show(h2));
  });

  test("the host is part of what is purged: another Host keeps its entry", async () => {
    await warm("/p/url");
    await warm("/p/url", { headers: { Host: "other.example.test" } });
    assert.equal(purged(await purgeUrl("/p/url")), 1);
    assert.notEqual(xcs(await get("/p/url")), "HIT");
    assert.equal(xcs(await get("/p/url", { headers: { Host: "other.example.test" } })), "HIT");
  });
});

describe(`POST ${PURGE_PATH}`, () => {
  test("without a token or with a wrong one: 401, nothing purged", async () => {
    await warm("/p/post-path");
    unauthorized(await purgePost({ urls: ["/p/post-path"] }, {}));
    unauthorized(await purgePost({ urls: ["/p/post-path"] }, { "X-Purge-Token": "nope" }));
    assert.equal(xcs(await get("/p/post-path")), "HIT");
    assertNoPurgeReachedOrigin();
  });

  test("urls as paths (host from the Host header) and as absolute URLs (host from the URL)", async () => {
    await warm("/p/post-path");
    await warm("/p/post-abs?x=1");
    assert.equal(purged(await purgePost({ urls: ["/p/post-path", `https://${HOST}/p/post-abs?x=1`] })), 2);
    assert.notEqual(xcs(await get("/p/post-path")), "HIT");
    assert.notEqual(xcs(await get("/p/post-abs?x=1")), "HIT");
    assertNoPurgeReachedOrigin();
  });

  test("an absolute URL names its own host, whatever the request's Host", async () => {
    await warm("/p/both", { headers: { Host: "a.example.test" } });
    await warm("/p/both", { headers: { Host: "b.example.test" } });
    assert.equal(purged(await purgePost({ urls: ["http://b.example.test/p/both"] })), 1);
    assert.equal(xcs(await get("/p/both", { headers: { Host: "a.example.test" } })), "HIT");
    assert.notEqual(xcs(await get("/p/both", { headers: { Host: "b.example.test" } })), "HIT");
  });

  test("prefixes: the start of path and query, on exactly that host", async () => {
    for (const p of ["/p/pre/1", "/p/pre/2?q=1", "/p/pre/sub/3", "/p/prelude"]) await warm(p);
    await warm("/p/pre/1", { headers: { Host: "other.example.test" } });
    assert.equal(purged(await purgePost({ prefixes: ["/p/pre/"] })), 3);
    for (const p of ["/p/pre/1", "/p/pre/2?q=1", "/p/pre/sub/3"]) assert.notEqual(xcs(await get(p)), "HIT", p);
    assert.equal(xcs(await get("/p/prelude")), "HIT", "/p/prelude does not start with /p/pre/");
    assert.equal(xcs(await get("/p/pre/1", { headers: { Host: "other.example.test" } })), "HIT", "another host keeps its entries");
    // absolute prefix
    await warm("/p/pre-abs/1");
    assert.equal(purged(await purgePost({ prefixes: [`https://${HOST}/p/pre-abs/`] })), 1);
    assert.notEqual(xcs(await get("/p/pre-abs/1")), "HIT");
  });

  test("tags from Surrogate-Key (space-separated) and Cache-Tag (comma-separated); case-sensitive", async () => {
    for (const p of ["/p/tag/a", "/p/tag/b", "/p/tag/c", "/p/tag/none"]) await warm(p);
    assert.equal(purged(await purgePost({ tags: ["T-A"] })), 0, "tags are case-sensitive");
    assert.equal(purged(await purgePost({ tags: ["t-a"] })), 1);
    assert.notEqual(xcs(await get("/p/tag/a")), "HIT");
    assert.equal(xcs(await get("/p/tag/b")), "HIT");
    await warm("/p/tag/a");
    assert.equal(purged(await purgePost({ tags: ["common"] })), 2);
    assert.notEqual(xcs(await get("/p/tag/a")), "HIT");
    assert.notEqual(xcs(await get("/p/tag/b")), "HIT");
    assert.equal(purged(await purgePost({ tags: ["t-d"] })), 1, "comma and space: \"t-c, t-d\" is two tags");
    assert.notEqual(xcs(await get("/p/tag/c")), "HIT");
    assert.equal(xcs(await get("/p/tag/none")), "HIT", "an entry without tags is untouched");
    assertNoPurgeReachedOrigin();
  });

  test("urls, prefixes and tags in one request", async () => {
    for (const p of ["/p/combo/url", "/p/combo/pre/1", "/p/combo/tag"]) await warm(p);
    const n = purged(await purgePost({ urls: ["/p/combo/url"], prefixes: ["/p/combo/pre/"], tags: ["t-combo"], all: false }));
    assert.equal(n, 3);
    for (const p of ["/p/combo/url", "/p/combo/pre/1", "/p/combo/tag"]) assert.notEqual(xcs(await get(p)), "HIT", p);
  });

  test("the body is read as JSON whatever its Content-Type (curl -d sends application/x-www-form-urlencoded)", async () => {
    await warm("/p/form");
    const r = await purgePost({ urls: ["/p/form"] }, { ...bearer, "Content-Type": "application/x-www-form-urlencoded" });
    assert.equal(purged(r), 1);
  });

  test("bad requests: 400 with a JSON message naming what is wrong; none reaches the origin", async () => {
    badRequest(await purgePost("{not json"), /json/i);
    badRequest(await purgePost(""));
    badRequest(await purgePost("[]"));
    badRequest(await purgePost({}), /empty|nothing|urls|prefixes|tags|all/i);
    badRequest(await purgePost({ urls: "/p/x" }), /urls/);
    badRequest(await purgePost({ urls: [42] }), /urls/);
    badRequest(await purgePost({ tags: "t-a" }), /tags/);
    badRequest(await purgePost({ all: "yes" }), /all/);
    badRequest(await purgePost({ url: ["/p/x"] }), /url/);
    badRequest(await purgePost({ urls: ["/p/x"], extra: 1 }), /extra/);
    assertNoPurgeReachedOrigin();
  });

  test(`other methods on ${PURGE_PATH}: 405 with Allow: POST`, async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const r = await request(traefik.url + PURGE_PATH, { method, headers: { Host: HOST, ...bearer } });
      assert.equal(r.status, 405, `${method}: ${show(r)}`);
      assert.equal(r.headers.allow, "POST", `${method}: ${show(r)}`);
    }
    assertNoPurgeReachedOrigin();
  });
});

describe("tag headers", () => {
  test("removed from responses to clients by default, on the miss and on the hit; other headers kept", async () => {
    const a = await get("/p/strip");
    assert.equal(xcs(a), "MISS", show(a));
    const b = await get("/p/strip");
    assert.equal(xcs(b), "HIT", show(b));
    for (const r of [a, b]) {
      assert.deepEqual(r.values("surrogate-key"), [], show(r));
      assert.deepEqual(r.values("cache-tag"), [], show(r));
      assert.equal(r.headers["x-other"], "kept", show(r));
    }
    // The tags were still recorded.
    assert.equal(purged(await purgePost({ tags: ["s2", "s3"] })), 1);
  });

  test("keepTagHeaders: true keeps them, on the miss and on the hit", async () => {
    await traefik.reload({ ...baseConfig(), keepTagHeaders: true });
    try {
      const a = await get("/p/keep");
      const b = await get("/p/keep");
      assert.equal(xcs(b), "HIT", show(b));
      for (const r of [a, b]) {
        assert.deepEqual(r.values("surrogate-key"), ["k1 k2"], show(r));
        assert.deepEqual(r.values("cache-tag"), ["k3"], show(r));
      }
      assert.equal(purged(await purgePost({ tags: ["k1"] })), 1);
    } finally {
      await traefik.reload(baseConfig());
    }
  });
});

describe('{"all": true}', () => {
  test("removes everything this store holds", async () => {
    await warm("/p/all/1");
    await warm("/p/all/2", { headers: { Host: "other.example.test" } });
    const n = purged(await purgePost({ all: true }));
    assert.ok(n >= 2, `purged ${n}`);
    assert.notEqual(xcs(await get("/p/all/1")), "HIT");
    assert.notEqual(xcs(await get("/p/all/2", { headers: { Host: "other.example.test" } })), "HIT");
    assert.equal(purged(await purgePost({ all: true })), 2, "only the two entries stored since");
    assertNoPurgeReachedOrigin();
  });
});

describe("other configurations", () => {
  test("purge without a shared store: a warning at start-up, and the purge reaches the instance that received it", async () => {
    const t = await startTraefik({ origin: origin.url, pluginConfig: { purge: { token: TOKEN } }, env: { GOMAXPROCS: "1" } });
    try {
      await warm("/p/local", {}, t);
      let warning;
      for (let i = 0; i < 40 && !warning; i++) {
        warning = t.logs().split("\n").find((l) => /\bWRN\b/.test(l) && /purge/i.test(l) && l.includes("store.shared"));
        if (!warning) await sleep(50);
      }
      assert.ok(warning, `a warning that purge only reaches one instance:\n${t.logs().split("\n").slice(-10).join("\n")}`);
      assert.equal(purged(await purgeUrl("/p/local", bearer, t)), 1);
      assert.notEqual(xcs(await get("/p/local", {}, t)), "HIT");
      assertNoPurgeReachedOrigin();
    } finally {
      await t.stop();
    }
  });

  test(`purge not configured: PURGE and POST ${PURGE_PATH} are forwarded like any request`, async () => {
    const d = freshDir();
    const t = await startTraefik({ origin: origin.url, pluginConfig: { store: { shared: { path: "/cache", limit: "4Mi" } } }, mounts: [`${d}:/cache`], env: { GOMAXPROCS: "1" } });
    const host = { Host: UNCONFIGURED_HOST };
    try {
      await warm("/p/unconfigured", { headers: host }, t);
      await warm("/p/unconfigured?other=1", { headers: host }, t);
      const before = origin.seen("/p/unconfigured").length;
      const r = await purgeUrl("/p/unconfigured", { ...host, ...bearer }, t);
      assert.equal(r.status, 200, show(r));
      assert.match(r.text, /^\/p\/unconfigured host=/, `the origin answered the PURGE: ${show(r)}`);
      assert.equal(xcs(r), "BYPASS", show(r));
      assert.equal(r.headers["cache-status"], "httpcache; fwd=method", show(r));
      assert.equal(origin.seen("/p/unconfigured").filter((x) => x.method === "PURGE").length, 1, "the origin got the PURGE");
      assert.equal(origin.seen("/p/unconfigured").length, before + 1);
      const p = await request(t.url + PURGE_PATH, { method: "POST", headers: { ...host, ...bearer }, body: '{"all":true}' });
      assert.match(p.text, /^ORIGIN PURGE PATH method=POST/, show(p));
      // The cache purged nothing itself (not even for {"all":true}) ...
      const other = await get("/p/unconfigured?other=1", { headers: host }, t);
      assert.equal(xcs(other), "HIT", `nothing was purged: ${show(other)}`);
      // ... but the forwarded PURGE is an unsafe method whose 2xx invalidates its URL (RFC 9111 §4.4).
      const after = await get("/p/unconfigured", { headers: host }, t);
      assert.equal(xcs(after), "MISS", `invalidated by the forwarded PURGE: ${show(after)}`);
    } finally {
      await t.stop();
    }
  });

  test("purge.tokenEnv: the token comes from a variable passed with settings.envs", async () => {
    const d = freshDir();
    const t = await startTraefik({
      origin: origin.url,
      pluginConfig: { store: { shared: { path: "/cache", limit: "4Mi" } }, purge: { tokenEnv: "HTTPCACHE_TEST_PURGE_TOKEN" } },
      mounts: [`${d}:/cache`],
      envs: ["HTTPCACHE_TEST_PURGE_TOKEN"],
      env: { GOMAXPROCS: "1", HTTPCACHE_TEST_PURGE_TOKEN: "token-from-env" },
    });
    try {
      await warm("/p/env", {}, t);
      unauthorized(await purgeUrl("/p/env", bearer, t));
      assert.equal(purged(await purgeUrl("/p/env", { Authorization: "Bearer token-from-env" }, t)), 1);
      assert.notEqual(xcs(await get("/p/env", {}, t)), "HIT");
    } finally {
      await t.stop();
    }
  });
});

test("the purge token never reaches the backend in X-Purge-Token (Authorization is the backend's own)", async () => {
  const r = await get("/p/forwarded", { headers: { "X-Purge-Token": TOKEN, Authorization: "Basic dXNlcjpwYXNz" } });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.text, "x-purge-token=- authorization=Basic dXNlcjpwYXNz", show(r));
});
