// End to end through the REAL Traefik (local plugin, build/plugin.wasm): the caching behaviour a
// user of the README would notice. One Traefik for the whole file, default plugin configuration;
// every test uses its own paths so that they do not interfere.
//
// What is asserted is what a client or the backend sees: how many requests reached the origin,
// status, body bytes, X-Cache-Status, Cache-Status and Age.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request, sleep, startOrigin } from "../../scripts/lib/origin.mjs";
import { ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const RANDOM_BYTES = randomBytes(5000);
const LARGE = randomBytes(300 * 1024); // below the default maxObjectSize (1Mi)
const TOO_LARGE = randomBytes(1536 * 1024); // above it

// Route table of the origin. A function route gets the recorded request (n = its sequence number
// over the whole origin, handy to tell two backend answers apart).
const routes = {
  "/t/miss-hit": { headers: { "Cache-Control": "max-age=60", "Content-Type": "text/plain" }, body: "hello from miss-hit\n" },
  "/t/upstream-cache-status": { headers: { "Cache-Control": "max-age=60", "Cache-Status": "upstream; fwd=uri-miss" }, body: "x" },
  "/t/query": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `query=${r.query} n=${r.n}` }),
  "/t/distinct": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `query=${r.query} n=${r.n}` }),
  "/t/cookie": (r) => ({ headers: { "Cache-Control": "public, max-age=60", "Set-Cookie": `session=user${r.n}; Path=/; HttpOnly` }, body: `page for user${r.n}` }),
  "/t/private": (r) => ({ headers: { "Cache-Control": "private, max-age=60" }, body: `private n=${r.n}` }),
  "/t/no-store": (r) => ({ headers: { "Cache-Control": "no-store, max-age=60" }, body: `no-store n=${r.n}` }),
  "/t/auth-default": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `data for ${r.headers.authorization ?? "anonymous"} n=${r.n}` }),
  "/t/auth-plain-entry": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `data for ${r.headers.authorization ?? "anonymous"} n=${r.n}` }),
  "/t/auth-public": (r) => ({ headers: { "Cache-Control": "public, max-age=60" }, body: `shared data n=${r.n}` }),
  "/t/req-no-cache": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/t/req-pragma": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/t/req-no-store": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `n=${r.n}` }),
  "/t/expire": (r) => ({ headers: { "Cache-Control": "max-age=1" }, body: `n=${r.n}` }),
  "/t/age-upstream": { headers: { "Cache-Control": "max-age=100", Age: "10" }, body: "aged" },
  "/t/age-plain": { headers: { "Cache-Control": "max-age=100" }, body: "fresh" },
  "GET /t/post": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `GET body n=${r.n}` }),
  "POST /t/post": (r) => ({ status: r.body.toString() === "conflict" ? 409 : 200, headers: { "Cache-Control": "max-age=60" }, body: `POST body n=${r.n} got=${r.body.toString()}` }),
  "/t/host": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `host=${r.headers.host} n=${r.n}` }),
  "/t/bin256": { headers: { "Cache-Control": "max-age=60", "Content-Type": "application/octet-stream" }, body: ALL_BYTES },
  "/t/bin-random": { headers: { "Cache-Control": "max-age=60", "Content-Type": "application/octet-stream" }, body: RANDOM_BYTES },
  "/t/multi": {
    headers: [
      ["Cache-Control", "max-age=60"],
      ["X-Multi", "one"],
      ["X-Multi", "two"],
      ["Link", "</a.css>; rel=preload"],
      ["Link", "</b.js>; rel=preload"],
      ["X-Single", "alone"],
    ],
    body: "multi",
  },
  "/t/not-found": (r) => ({ status: 404, headers: { "Cache-Control": "max-age=60", "Content-Type": "text/plain" }, body: `no such thing n=${r.n}` }),
  "/t/no-freshness": (r) => ({ headers: { "Content-Type": "text/plain" }, body: `n=${r.n}` }),
  "/t/s-maxage": (r) => ({ headers: { "Cache-Control": "max-age=0, s-maxage=60" }, body: `n=${r.n}` }),
  "/t/expires": (r) => ({ headers: { Expires: new Date(Date.now() + 60000).toUTCString() }, body: `n=${r.n}` }),
  "/t/expires-invalid": (r) => ({ headers: { Expires: "0" }, body: `n=${r.n}` }),
  "/t/vary": (r) => ({ headers: { "Cache-Control": "max-age=60", Vary: "Accept-Language" }, body: `lang=${r.headers["accept-language"]} n=${r.n}` }),
  "/t/range": (r) => ({ headers: { "Cache-Control": "max-age=60" }, body: `0123456789 n=${r.n}` }),
  "/t/no-content": { status: 204, headers: { "Cache-Control": "max-age=60", "X-Kind": "empty" } },
  "/t/chunked": { headers: { "Cache-Control": "max-age=60", "Content-Type": "application/octet-stream" }, chunks: [RANDOM_BYTES.subarray(0, 1000), RANDOM_BYTES.subarray(1000, 3000), RANDOM_BYTES.subarray(3000)], chunkDelay: 5 },
  "/t/large": { headers: { "Cache-Control": "max-age=60", "Content-Type": "application/octet-stream" }, body: LARGE },
  "/t/too-large": (r) => ({ headers: { "Cache-Control": "max-age=60", "Content-Type": "application/octet-stream" }, body: TOO_LARGE }),
  "GET /t/head-first": (r) => ({ headers: { "Cache-Control": "max-age=60", "Content-Type": "text/plain" }, body: `full GET body n=${r.n}` }),
  "HEAD /t/head-first": (r) => ({ headers: { "Cache-Control": "max-age=60", "Content-Type": "text/plain", "Content-Length": "99" } }),
  "/t/head": { headers: { "Cache-Control": "max-age=60", "Content-Type": "application/json", "X-Custom": "kept", ETag: '"v1"' }, body: '{"head":"test body"}' },
};

let origin;
let traefik;

/** Request through Traefik. */
const get = (path, opts = {}) => request(traefik.url + path, opts);

/** One-line description of a response for assertion messages. */
function show(r) {
  const h = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) h.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
  const body = r.body.length > 200 ? `${r.body.length} bytes` : JSON.stringify(r.text);
  return `${r.status} [${h.join(" | ")}] body=${body}`;
}

const xcs = (r) => r.headers["x-cache-status"];
/** All Cache-Status values as one list, whether sent as several lines or comma-joined. */
const cacheStatus = (r) => r.values("cache-status").join(", ");
const age = (r) => (r.headers.age === undefined ? undefined : Number(r.headers.age));

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
  // GOMAXPROCS=1: see the note in scripts/lib/traefik.mjs (per-instance caches and sync.Pool per P).
  traefik = await startTraefik({ origin: origin.url, pluginConfig: {}, env: { GOMAXPROCS: "1" } });
});

after(async () => {
  await traefik?.stop();
  await origin?.close();
});

describe("basic caching", () => {
  test("miss then hit: the second request does not reach the origin", async () => {
    const a = await get("/t/miss-hit");
    assert.equal(a.status, 200, show(a));
    assert.equal(a.text, "hello from miss-hit\n");
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /(^|, )httpcache; fwd=uri-miss; stored$/, show(a));
    assert.equal(origin.count("/t/miss-hit"), 1);

    const b = await get("/t/miss-hit");
    assert.equal(b.status, 200, show(b));
    assert.equal(b.text, "hello from miss-hit\n");
    assert.equal(xcs(b), "HIT", show(b));
    const m = /(^|, )httpcache; hit; ttl=(\d+)$/.exec(cacheStatus(b));
    assert.ok(m, `Cache-Status of a hit: ${show(b)}`);
    assert.ok(Number(m[2]) >= 55 && Number(m[2]) <= 60, `ttl=${m[2]} should be close to 60: ${show(b)}`);
    assert.ok(age(b) >= 0 && age(b) <= 5, `Age on a hit: ${show(b)}`);
    assert.equal(b.headers["content-type"], "text/plain", show(b));
    assert.equal(origin.count("/t/miss-hit"), 1, "the hit must not reach the origin");
  });

  test("Cache-Status is appended to the one the backend sent", async () => {
    const a = await get("/t/upstream-cache-status");
    assert.match(cacheStatus(a), /^upstream; fwd=uri-miss, httpcache; fwd=uri-miss; stored$/, show(a));
    const b = await get("/t/upstream-cache-status");
    assert.equal(xcs(b), "HIT", show(b));
    assert.match(cacheStatus(b), /^upstream; fwd=uri-miss, httpcache; hit; ttl=\d+$/, show(b));
    assert.equal(origin.count("/t/upstream-cache-status"), 1);
  });

  test("query parameter order does not matter: ?a=1&b=2 hits ?b=2&a=1", async () => {
    const a = await get("/t/query?a=1&b=2");
    assert.equal(xcs(a), "MISS", show(a));
    const b = await get("/t/query?b=2&a=1");
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text, "served the entry stored for ?a=1&b=2");
    assert.equal(origin.count("/t/query"), 1);
  });

  test("distinct queries are distinct entries", async () => {
    const a1 = await get("/t/distinct?a=1");
    const a2 = await get("/t/distinct?a=2");
    assert.equal(xcs(a1), "MISS", show(a1));
    assert.equal(xcs(a2), "MISS", show(a2));
    assert.equal(origin.count("/t/distinct"), 2);
    const b1 = await get("/t/distinct?a=1");
    const b2 = await get("/t/distinct?a=2");
    assert.equal(xcs(b1), "HIT", show(b1));
    assert.equal(xcs(b2), "HIT", show(b2));
    assert.equal(b1.text, a1.text);
    assert.equal(b2.text, a2.text);
    assert.match(b1.text, /^query=\?a=1 /);
    assert.match(b2.text, /^query=\?a=2 /);
    const c = await get("/t/distinct");
    assert.notEqual(xcs(c), "HIT", `no query is yet another entry: ${show(c)}`);
    assert.equal(origin.count("/t/distinct"), 3);
  });

  test("404 with max-age is cached", async () => {
    const a = await get("/t/not-found");
    assert.equal(a.status, 404, show(a));
    assert.equal(xcs(a), "MISS", show(a));
    const b = await get("/t/not-found");
    assert.equal(b.status, 404, show(b));
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.equal(origin.count("/t/not-found"), 1);
  });
});

describe("nothing private is shared", () => {
  test("a response with Set-Cookie is never served to another client", async () => {
    const a = await get("/t/cookie", { headers: { "X-Client": "A" } });
    assert.equal(a.status, 200, show(a));
    assert.deepEqual(a.values("set-cookie").length, 1, show(a));
    const cookieA = a.values("set-cookie")[0];
    assert.match(cookieA, /^session=user\d+/);

    const b = await get("/t/cookie", { headers: { "X-Client": "B" } });
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count("/t/cookie"), 2, "the second client must be answered by the origin");
    assert.ok(!b.values("set-cookie").includes(cookieA), `client B got client A's cookie: ${show(b)}`);
    assert.notEqual(b.text, a.text, "client B got client A's page");
  });

  test("Cache-Control: private is not stored", async () => {
    const a = await get("/t/private");
    const b = await get("/t/private");
    assert.notEqual(xcs(a), "HIT", show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(b.text, a.text);
    assert.equal(origin.count("/t/private"), 2);
  });

  test("Cache-Control: no-store is not stored", async () => {
    const a = await get("/t/no-store");
    const b = await get("/t/no-store");
    assert.notEqual(xcs(a), "HIT", show(a));
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.notEqual(b.text, a.text);
    assert.equal(origin.count("/t/no-store"), 2);
  });

  test("a response to an authorized request (no public/s-maxage) is never served to anyone else", async () => {
    const alice = await get("/t/auth-default", { headers: { Authorization: "Bearer alice-token" } });
    assert.equal(alice.status, 200, show(alice));
    assert.match(alice.text, /alice-token/);

    const anon = await get("/t/auth-default");
    assert.notEqual(xcs(anon), "HIT", show(anon));
    assert.doesNotMatch(anon.text, /alice/, `anonymous request got alice's data: ${show(anon)}`);

    const bob = await get("/t/auth-default", { headers: { Authorization: "Bearer bob-token" } });
    assert.notEqual(xcs(bob), "HIT", show(bob));
    assert.doesNotMatch(bob.text, /alice/, `bob got alice's data: ${show(bob)}`);
    assert.match(bob.text, /bob-token/);
    assert.equal(origin.count("/t/auth-default"), 3);
  });

  test("an authorized request is not answered from a plain stored entry", async () => {
    const a = await get("/t/auth-plain-entry");
    assert.equal(xcs(a), "MISS", show(a));
    const b = await get("/t/auth-plain-entry");
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(origin.count("/t/auth-plain-entry"), 1);

    const c = await get("/t/auth-plain-entry", { headers: { Authorization: "Bearer carol-token" } });
    assert.equal(xcs(c), "BYPASS", show(c));
    assert.match(c.text, /carol-token/, "the origin answered the authorized request");
    assert.equal(origin.count("/t/auth-plain-entry"), 2);
  });

  test("a public response to an authorized request may be shared", async () => {
    const a = await get("/t/auth-public", { headers: { Authorization: "Bearer dave" } });
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await get("/t/auth-public", { headers: { Authorization: "Bearer erin" } });
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.text, a.text);
    assert.equal(origin.count("/t/auth-public"), 1);
  });

  test("different Host headers never share entries", async () => {
    const a = await get("/t/host", { headers: { Host: "a.example" } });
    const b = await get("/t/host", { headers: { Host: "b.example" } });
    assert.equal(xcs(a), "MISS", show(a));
    assert.equal(xcs(b), "MISS", show(b));
    assert.match(a.text, /^host=a\.example /);
    assert.match(b.text, /^host=b\.example /);
    assert.equal(origin.count("/t/host"), 2);

    const a2 = await get("/t/host", { headers: { Host: "a.example" } });
    const b2 = await get("/t/host", { headers: { Host: "b.example" } });
    assert.equal(xcs(a2), "HIT", show(a2));
    assert.equal(xcs(b2), "HIT", show(b2));
    assert.equal(a2.text, a.text);
    assert.equal(b2.text, b.text);

    const a3 = await get("/t/host", { headers: { Host: "A.Example" } });
    assert.equal(xcs(a3), "HIT", `the Host is lowercased in the key: ${show(a3)}`);
    assert.equal(a3.text, a.text);
    assert.equal(origin.count("/t/host"), 2);
  });
});

describe("request directives and methods", () => {
  test("request Cache-Control: no-cache goes to the origin (BYPASS) and its response is stored", async () => {
    const first = await get("/t/req-no-cache");
    const hit = await get("/t/req-no-cache");
    assert.equal(xcs(hit), "HIT", show(hit));
    const r = await get("/t/req-no-cache", { headers: { "Cache-Control": "no-cache" } });
    assert.equal(xcs(r), "BYPASS", show(r));
    assert.equal(cacheStatus(r), "httpcache; fwd=request; stored", show(r));
    assert.notEqual(r.text, first.text, "the origin answered");
    assert.equal(origin.count("/t/req-no-cache"), 2);
    const after = await get("/t/req-no-cache");
    assert.equal(xcs(after), "HIT", show(after));
    assert.equal(after.text, r.text, `the no-cache response replaced the stored one: ${show(after)}`);
    assert.equal(origin.count("/t/req-no-cache"), 2);
  });

  test("request Pragma: no-cache goes to the origin (BYPASS) and its response is stored", async () => {
    await get("/t/req-pragma");
    const r = await get("/t/req-pragma", { headers: { Pragma: "no-cache" } });
    assert.equal(xcs(r), "BYPASS", show(r));
    assert.equal(cacheStatus(r), "httpcache; fwd=request; stored", show(r));
    assert.equal(origin.count("/t/req-pragma"), 2);
    const after = await get("/t/req-pragma");
    assert.equal(xcs(after), "HIT", show(after));
    assert.equal(after.text, r.text, show(after));
  });

  test("request Cache-Control: no-store goes to the origin on a miss and is not stored", async () => {
    const r = await get("/t/req-no-store", { headers: { "Cache-Control": "no-store" } });
    assert.equal(xcs(r), "MISS", show(r));
    assert.equal(cacheStatus(r), "httpcache; fwd=uri-miss", `a no-store exchange is not stored: ${show(r)}`);
    const s = await get("/t/req-no-store");
    assert.notEqual(xcs(s), "HIT", `a no-store exchange must not be stored: ${show(s)}`);
    assert.equal(origin.count("/t/req-no-store"), 2);
  });

  test("POST passes through to the origin, is not stored, and a 2xx invalidates the GET entry (RFC 9111 §4.4)", async () => {
    const p1 = await get("/t/post", { method: "POST", body: "first", headers: { "Content-Type": "text/plain" } });
    assert.equal(xcs(p1), "BYPASS", show(p1));
    assert.equal(cacheStatus(p1), "httpcache; fwd=method", show(p1));
    assert.match(p1.text, /^POST body .* got=first$/);

    const g1 = await get("/t/post");
    assert.equal(xcs(g1), "MISS", `a GET after a POST must not be answered with the POST's response: ${show(g1)}`);
    assert.equal(cacheStatus(g1), "httpcache; fwd=uri-miss; stored", show(g1));
    assert.match(g1.text, /^GET body /);
    const g1hit = await get("/t/post");
    assert.equal(xcs(g1hit), "HIT", show(g1hit));
    assert.equal(g1hit.text, g1.text);

    const p2 = await get("/t/post", { method: "POST", body: "second" });
    assert.equal(xcs(p2), "BYPASS", show(p2));
    assert.match(p2.text, /^POST body .* got=second$/);

    const g2 = await get("/t/post");
    assert.equal(xcs(g2), "MISS", `a successful POST invalidates the stored GET: ${show(g2)}`);
    assert.match(g2.text, /^GET body /);
    assert.notEqual(g2.text, g1.text);

    // A POST answered with an error invalidates too: the answer streams, its status is not read.
    const p3 = await get("/t/post", { method: "POST", body: "conflict" });
    assert.equal(p3.status, 409, show(p3));
    assert.equal(xcs(p3), "BYPASS", show(p3));
    const g3 = await get("/t/post");
    assert.equal(xcs(g3), "MISS", `any answer to a POST invalidates: ${show(g3)}`);
    assert.equal(origin.seen("/t/post").filter((r) => r.method === "POST").length, 3);
    assert.equal(origin.seen("/t/post").filter((r) => r.method === "GET").length, 3);
  });

  test("HEAD is answered from a stored GET: same headers, no body, origin not called", async () => {
    const g = await get("/t/head");
    assert.equal(xcs(g), "MISS", show(g));
    const h = await get("/t/head", { method: "HEAD" });
    assert.equal(h.status, 200, show(h));
    assert.equal(xcs(h), "HIT", show(h));
    assert.equal(h.body.length, 0);
    for (const name of ["content-type", "x-custom", "etag", "cache-control"]) {
      assert.equal(h.headers[name], g.headers[name], `${name} on HEAD: ${show(h)}`);
    }
    if (h.headers["content-length"] !== undefined) {
      assert.equal(h.headers["content-length"], String(g.body.length), show(h));
    }
    assert.equal(origin.count("/t/head"), 1, "HEAD must not reach the origin");
  });
});

describe("freshness and Age", () => {
  test("max-age=1: after ~2 s the origin is asked again (EXPIRED)", async () => {
    const a = await get("/t/expire");
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    await sleep(2100);
    const b = await get("/t/expire");
    assert.equal(xcs(b), "EXPIRED", show(b));
    assert.match(cacheStatus(b), /httpcache; fwd=stale; stored/, show(b));
    assert.notEqual(b.text, a.text);
    assert.equal(origin.count("/t/expire"), 2);
  });

  test("Age from the backend counts: Age: 10 with max-age=100 -> hit has Age >= 10", async () => {
    await get("/t/age-upstream");
    const b = await get("/t/age-upstream");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(age(b) >= 10 && age(b) <= 15, `Age should be 10..15: ${show(b)}`);
    const m = /ttl=(\d+)/.exec(cacheStatus(b));
    assert.ok(m && Number(m[1]) <= 90, `ttl should account for the backend's Age (<= 90): ${show(b)}`);
    assert.equal(origin.count("/t/age-upstream"), 1);
  });

  test("a hit 1.5 s after storing has Age >= 1", async () => {
    await get("/t/age-plain");
    await sleep(1500);
    const b = await get("/t/age-plain");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(age(b) >= 1 && age(b) <= 4, `Age should be 1..4: ${show(b)}`);
    assert.equal(origin.count("/t/age-plain"), 1);
  });
});

describe("bytes and headers are kept exactly", () => {
  test("binary body with all 256 byte values is byte-exact on a hit", async () => {
    const a = await get("/t/bin256");
    assert.ok(a.body.equals(ALL_BYTES), "MISS body");
    const b = await get("/t/bin256");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(b.body.equals(ALL_BYTES), `HIT body differs: ${b.body.length} bytes`);
    assert.equal(b.headers["content-type"], "application/octet-stream");
    assert.equal(origin.count("/t/bin256"), 1);
  });

  test("5000 random bytes are byte-exact on a hit", async () => {
    const a = await get("/t/bin-random");
    assert.ok(a.body.equals(RANDOM_BYTES), "MISS body");
    const b = await get("/t/bin-random");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(b.body.equals(RANDOM_BYTES), `HIT body differs: ${b.body.length} bytes`);
    if (b.headers["content-length"] !== undefined) assert.equal(b.headers["content-length"], "5000");
    assert.equal(origin.count("/t/bin-random"), 1);
  });

  test("multi-value response headers are preserved on a hit", async () => {
    const a = await get("/t/multi");
    assert.deepEqual(a.values("x-multi"), ["one", "two"], show(a));
    const b = await get("/t/multi");
    assert.equal(xcs(b), "HIT", show(b));
    assert.deepEqual(b.values("x-multi"), ["one", "two"], show(b));
    assert.deepEqual(b.values("link"), ["</a.css>; rel=preload", "</b.js>; rel=preload"], show(b));
    assert.deepEqual(b.values("x-single"), ["alone"], show(b));
    assert.equal(origin.count("/t/multi"), 1);
  });
});

describe("what is stored (README: A backend response is stored when ...)", () => {
  test("a response without explicit freshness is not stored (defaultTtl 0)", async () => {
    const a = await get("/t/no-freshness");
    const b = await get("/t/no-freshness");
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.doesNotMatch(cacheStatus(a), /stored/, show(a));
    assert.equal(origin.count("/t/no-freshness"), 2);
  });

  test("s-maxage wins over max-age=0 for a shared cache", async () => {
    await get("/t/s-maxage");
    const b = await get("/t/s-maxage");
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(origin.count("/t/s-maxage"), 1);
  });

  test("Expires in the future gives freshness; an invalid Expires means already expired", async () => {
    await get("/t/expires");
    const b = await get("/t/expires");
    assert.equal(xcs(b), "HIT", show(b));
    const m = /ttl=(\d+)/.exec(cacheStatus(b));
    assert.ok(m && Number(m[1]) >= 55 && Number(m[1]) <= 60, `ttl from Expires - Date: ${show(b)}`);
    assert.equal(origin.count("/t/expires"), 1);

    await get("/t/expires-invalid");
    const d = await get("/t/expires-invalid");
    assert.notEqual(xcs(d), "HIT", show(d));
    assert.equal(origin.count("/t/expires-invalid"), 2);
  });

  test("a response with Vary is stored per variant (no wrong variant is ever served)", async () => {
    const en = await get("/t/vary", { headers: { "Accept-Language": "en" } });
    assert.equal(xcs(en), "MISS", show(en));
    assert.equal(cacheStatus(en), "httpcache; fwd=uri-miss; stored", show(en));
    const fr = await get("/t/vary", { headers: { "Accept-Language": "fr" } });
    assert.equal(xcs(fr), "MISS", show(fr));
    assert.equal(cacheStatus(fr), "httpcache; fwd=vary-miss; stored", show(fr));
    assert.match(en.text, /^lang=en /);
    assert.match(fr.text, /^lang=fr /);
    const en2 = await get("/t/vary", { headers: { "Accept-Language": "en" } });
    assert.equal(xcs(en2), "HIT", show(en2));
    assert.equal(en2.text, en.text);
    const fr2 = await get("/t/vary", { headers: { "Accept-Language": "fr" } });
    assert.equal(xcs(fr2), "HIT", show(fr2));
    assert.equal(fr2.text, fr.text);
    assert.equal(origin.count("/t/vary"), 2);
  });

  test("a Range request is not answered from the cache", async () => {
    await get("/t/range");
    const hit = await get("/t/range");
    assert.equal(xcs(hit), "HIT", show(hit));
    const r = await get("/t/range", { headers: { Range: "bytes=0-3" } });
    assert.notEqual(xcs(r), "HIT", show(r));
    assert.equal(origin.count("/t/range"), 2);
  });

  test("204 with max-age is cached and the hit has no body", async () => {
    const a = await get("/t/no-content");
    assert.equal(a.status, 204, show(a));
    const b = await get("/t/no-content");
    assert.equal(b.status, 204, show(b));
    assert.equal(xcs(b), "HIT", show(b));
    assert.equal(b.body.length, 0);
    assert.equal(b.headers["x-kind"], "empty", show(b));
    assert.equal(origin.count("/t/no-content"), 1);
  });

  test("a streamed (chunked, no Content-Length) response is stored and replayed byte-exact", async () => {
    const a = await get("/t/chunked");
    assert.ok(a.body.equals(RANDOM_BYTES), "MISS body");
    const b = await get("/t/chunked");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(b.body.equals(RANDOM_BYTES), `HIT body differs: ${b.body.length} bytes`);
    assert.equal(origin.count("/t/chunked"), 1);
  });

  test("a 300 KiB body is stored and replayed byte-exact", async () => {
    const a = await get("/t/large");
    assert.ok(a.body.equals(LARGE), `MISS body: ${a.body.length} bytes`);
    const b = await get("/t/large");
    assert.equal(xcs(b), "HIT", show(b));
    assert.ok(b.body.equals(LARGE), `HIT body differs: ${b.body.length} bytes`);
    assert.equal(origin.count("/t/large"), 1);
  });

  test("a body above the default maxObjectSize (1Mi) passes through intact and is not stored", async () => {
    const a = await get("/t/too-large");
    assert.equal(a.status, 200, show(a));
    assert.ok(a.body.equals(TOO_LARGE), `body differs: ${a.body.length} bytes`);
    const b = await get("/t/too-large");
    assert.ok(b.body.equals(TOO_LARGE), `body differs: ${b.body.length} bytes`);
    assert.notEqual(xcs(b), "HIT", show(b));
    assert.equal(origin.count("/t/too-large"), 2);
  });

  test("a HEAD miss does not store an empty entry that a later GET would get", async () => {
    const h = await get("/t/head-first", { method: "HEAD" });
    assert.equal(h.status, 200, show(h));
    const g = await get("/t/head-first");
    assert.equal(g.status, 200, show(g));
    assert.match(g.text, /^full GET body /, `GET after a HEAD miss: ${show(g)}`);
    const g2 = await get("/t/head-first");
    assert.equal(g2.text, g.text);
    assert.equal(xcs(g2), "HIT", show(g2));
  });
});
