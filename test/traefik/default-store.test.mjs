// End to end through the REAL Traefik (issue 10, item 7): one cache by default, and a shared store
// that loses nothing.
//
// - With no store settings at all and a directory mounted into the plugin (settings.mounts), the
//   shared store on that directory is the cache: a URL reaches the origin once whichever instance
//   serves it, also after a dynamic-configuration reload and after a restart of Traefik on the same
//   directory. `store.shared: false` asks for memory only.
// - Thousands of stores completing at the same moment, across the instances of two routers and
//   across two Traefik processes on one directory, lose none of them.
// - A Traefik killed with SIGKILL in the middle of stores leaves a store that the next Traefik on
//   the directory keeps using (no wedge), and never a wrong body.
//
// Traefik runs with its default GOMAXPROCS here (the other files pin 1), and requests are sent
// concurrently, so that many plugin instances exist, as on any production gateway.
//
// Every test uses the same Host header: the harness picks a new port for each Traefik, and the
// Host (with its port) is part of the cache key, so a restarted Traefik must be asked for the
// same Host to find what the previous one stored.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOrigin } from "../../scripts/lib/origin.mjs";
import { ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

const GUEST = "/cache";
const HOST = "default-store.example.test";
const KIB = 1024;

// ---------------------------------------------------------------------------------------------
// Bodies: every URL has its own, checkable body (a body served for another URL is always caught).

function fnv(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
/** The body the origin sends for `url` (path and query): its URL, then bytes derived from it. */
function bodyFor(url, size) {
  const b = Buffer.alloc(size);
  let h = fnv(url);
  for (let i = 0; i < size; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    b[i] = 0x61 + (h % 26);
  }
  b.write(`${url}\n`, 0);
  return b;
}
const sizeOf = (url) => Number(new URL(url, "http://x").searchParams.get("s") ?? KIB);

// Origin delays that end on the same 20 ms ticks: the responses of a batch of concurrent misses
// come back together, so their stores run at the same moment in many instances.
const onTick = (min) => min + (20 - (Date.now() % 20));

const cacheable = (info, delay) => ({
  delay,
  headers: { "Cache-Control": "max-age=86400", "Content-Type": "application/octet-stream" },
  body: bodyFor(info.url, sizeOf(info.url)),
});
const routes = {
  "/d/one": (info) => cacheable(info, 0),
  "/d/mem": (info) => cacheable(info, 0),
  "/d/only": (info) => cacheable(info, 0),
  "/c/store": (info) => cacheable(info, onTick(10)),
  "/r2/c/store": (info) => cacheable(info, onTick(10)),
  "/k/pre": (info) => cacheable(info, 0),
  // 0..40 ms, on ticks: stores keep completing at every moment of the burst
  "/k/burst": (info) => cacheable(info, onTick(fnv(info.url) % 21)),
  "/k/new": (info) => cacheable(info, 0),
  "/p/two": (info) => cacheable(info, onTick(10)),
};

// ---------------------------------------------------------------------------------------------

let origin;
const dirs = [];
const running = new Set();
// Keep-alive connections, as a load balancer in front of Traefik would use (and no TIME_WAIT
// storm from tens of thousands of one-shot connections).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
});

after(async () => {
  for (const t of running) await t.stop();
  agent.destroy();
  await origin?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir() {
  const d = mkdtempSync(join(tmpdir(), "httpcache-default-"));
  dirs.push(d);
  return d;
}

/** Traefik with settings.mounts = [dir:guest] and Traefik's own GOMAXPROCS. */
async function start(dir, pluginConfig, o = {}) {
  const t = await startTraefik({
    origin: origin.url,
    pluginConfig,
    wasmPath: process.env.HTTPCACHE_TEST_WASM, // another build to compare (default build/plugin.wasm)
    mounts: [`${dir}:${o.guest ?? GUEST}`],
    extraRouters: o.extraRouters,
    extraMiddlewares: o.extraMiddlewares,
  });
  running.add(t);
  for (const m of ["stop", "kill"]) {
    const f = t[m];
    t[m] = async (...a) => { running.delete(t); await f(...a); };
  }
  return t;
}

/** GET base+url with our Host. Never rejects: a failed exchange is { error }. */
function get(base, url, timeout = 20000) {
  return new Promise((resolve) => {
    const req = http.request(base + url, { agent, headers: { Host: HOST }, timeout }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", (error) => resolve({ url, error }));
      res.on("end", () => resolve({
        url,
        status: res.statusCode,
        xcs: res.headers["x-cache-status"],
        cs: res.headers["cache-status"],
        body: Buffer.concat(chunks),
      }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve({ url, error }));
    req.end();
  });
}

/** Runs fn over items, `n` at a time; results in item order. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

const fetchAll = (base, urls, n) => pool(urls, n, (u) => get(base, u));

const show = (r) => r.error ? `${r.url}: ${r.error.message}`
  : `${r.url}: ${r.status} ${r.xcs ?? "-"} [${r.cs ?? ""}] ${r.body.length} bytes ${JSON.stringify(r.body.subarray(0, 60).toString())}`;
const rightBody = (r) => !r.error && r.status === 200 && r.body.equals(bodyFor(r.url, sizeOf(r.url)));
const tally = (rs) => {
  const c = {};
  for (const r of rs) { const k = r.error ? "error" : r.xcs ?? String(r.status); c[k] = (c[k] ?? 0) + 1; }
  return Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ");
};

/** Every response 200 with its own URL's body. */
function assertBodies(rs, what) {
  const bad = rs.filter((r) => !rightBody(r));
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${rs.length} responses not 200 with the URL's own body, e.g.\n${bad.slice(0, 5).map(show).join("\n")}`);
}
/** Every response a HIT (with its own body). */
function assertHits(rs, what) {
  assertBodies(rs, what);
  const notHit = rs.filter((r) => r.xcs !== "HIT");
  assert.equal(notHit.length, 0, `${what}: ${notHit.length} of ${rs.length} were not HITs (${tally(rs)}), e.g.\n${notHit.slice(0, 5).map(show).join("\n")}`);
}
/** How many times the origin saw each of `urls` (path and query). */
function originCounts(urls) {
  const want = new Set(urls);
  const m = new Map(urls.map((u) => [u, 0]));
  for (const r of origin.requests) if (want.has(r.url)) m.set(r.url, m.get(r.url) + 1);
  return m;
}
function assertOriginOnce(urls, what) {
  const m = originCounts(urls);
  const off = [...m].filter(([, n]) => n !== 1);
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  assert.equal(off.length, 0, `${what}: the origin saw ${total} requests for ${urls.length} URLs; ${off.length} URLs not exactly once, e.g. ${off.slice(0, 5).map(([u, n]) => `${u} x${n}`).join(", ")}`);
}
const filesIn = (dir) => readdirSync(dir).map((f) => `${f} (${statSync(join(dir, f)).size} bytes)`);

// ---------------------------------------------------------------------------------------------
// 1. Default settings

test("no store settings, a mount at /cache: each URL reaches the origin once across instances, a reload and a restart", async (t) => {
  const dir = freshDir();
  const urls = Array.from({ length: 200 }, (_, i) => `/d/one?i=${i}`);
  const first = await start(dir, {});
  let t2;
  try {
    const a = await fetchAll(first.url, urls, 16);
    assertBodies(a, "first pass");
    t.diagnostic(`first pass, 200 distinct URLs 16 at a time: ${tally(a)}; directory: ${filesIn(dir).join(", ") || "(empty)"}`);
    const b = await fetchAll(first.url, urls, 16);
    t.diagnostic(`second pass: ${tally(b)}`);
    assertHits(b, "second pass, same Traefik (several instances)");
    assertOriginOnce(urls, "after two passes");

    // A reload builds new middlewares, hence new plugin instances with empty memory.
    await first.reload({ maxTtl: "10m" });
    const c = await fetchAll(first.url, urls, 16);
    t.diagnostic(`after a reload (maxTtl changed): ${tally(c)}`);
    assertHits(c, "after a dynamic-configuration reload");
    assertOriginOnce(urls, "after the reload");
  } finally {
    await first.stop();
  }

  t2 = await start(dir, {});
  try {
    const d = await fetchAll(t2.url, urls, 16);
    t.diagnostic(`after a restart on the same directory: ${tally(d)}`);
    assertHits(d, "after stopping Traefik and starting it again on the same directory");
    assertOriginOnce(urls, "after the restart");
  } finally {
    await t2.stop();
  }
});

test("no store settings, the only mount at another guest path: that directory is the store", async (t) => {
  const dir = freshDir();
  const urls = Array.from({ length: 60 }, (_, i) => `/d/only?i=${i}`);
  const tr = await start(dir, {}, { guest: "/var/lib/httpcache" });
  try {
    const a = await fetchAll(tr.url, urls, 8);
    assertBodies(a, "first pass");
    const b = await fetchAll(tr.url, urls, 8);
    t.diagnostic(`60 URLs 8 at a time, twice: ${tally(a)}; then ${tally(b)}; directory: ${filesIn(dir).join(", ") || "(empty)"}`);
    assertHits(b, "second pass");
    assertOriginOnce(urls, "two passes");
  } finally {
    await tr.stop();
  }
});

test("store.shared: false with a mount: memory only, the directory is left alone", async (t) => {
  const dir = freshDir();
  const urls = Array.from({ length: 20 }, (_, i) => `/d/mem?i=${i}`);
  const tr = await start(dir, { store: { shared: false } });
  try {
    const a = await fetchAll(tr.url, urls, 4);
    t.diagnostic(`${tally(a)}; directory: ${filesIn(dir).join(", ") || "(empty)"}`);
    assertBodies(a, "store.shared: false");
    assert.ok(a.every((r) => r.xcs === "MISS"), `each distinct URL misses first: ${tally(a)}`);
    const b = await fetchAll(tr.url, urls, 1);
    assertBodies(b, "asked again");
    assert.ok(b.some((r) => r.xcs === "HIT"), `the memory store caches: ${tally(b)}`);
    assert.deepEqual(filesIn(dir), [], "nothing written in the mounted directory");
  } finally {
    await tr.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 2. Concurrent stores lose nothing

// store.shared.limit 256Mi: 31,774 buckets of 8 ways and 248 MiB of log in 3,971 extents of 64 KiB
// (docs/shared-store.md): 10,000 entries of ~1.2 KiB take ~12 MiB, plus at most one part-full
// extent per plugin instance, and ~0.3 ways per bucket (a bucket with 9 of them: ~1e-4 per run),
// so nothing is evicted and a lost entry can only be a lost store. On the code before the
// extents and bucket locks (b59d130) this test lost 68 of 10,000, the two-process one 130 of 2,000.
const BIG = { store: { shared: { path: GUEST, limit: "256Mi" } } };

test("10,000 distinct URLs stored 48 at a time through two routers on one store: every one is then a HIT, none lost", async (t) => {
  const dir = freshDir();
  const N = 10000;
  const urls = Array.from({ length: N }, (_, i) => (i % 2 ? `/r2/c/store?i=${i}` : `/c/store?i=${i}`));
  const tr = await start(dir, BIG, {
    extraRouters: { cache2: { entryPoints: ["web"], rule: "PathPrefix(`/r2/`)", priority: 10, middlewares: ["cache2"], service: "origin" } },
    extraMiddlewares: { cache2: { plugin: { httpcache: BIG } } },
  });
  try {
    let t0 = Date.now();
    const a = await fetchAll(tr.url, urls, 48);
    const storeMs = Date.now() - t0;
    assertBodies(a, "storing pass");
    const stored = a.filter((r) => /;\s*stored/.test(r.cs ?? "")).length;
    t.diagnostic(`storing pass: ${tally(a)}, ${stored} said "stored", ${storeMs} ms`);
    assert.equal(stored, N, `every miss was stored (Cache-Status): ${tally(a)}`);

    t0 = Date.now();
    const b = await fetchAll(tr.url, urls, 48);
    const lostB = b.filter((r) => r.xcs !== "HIT").length;
    t.diagnostic(`asked again, same instances: ${tally(b)} (${lostB} lost), ${Date.now() - t0} ms`);
    assertHits(b, "asked again");
    assertOriginOnce(urls, "after asking each URL twice");

    // New instances (empty memory fronts) see only what reached the file.
    await tr.reload({ ...BIG, maxTtl: "10m" });
    t0 = Date.now();
    const c = await fetchAll(tr.url, urls, 48);
    t.diagnostic(`after a reload (new instances, from the file): ${tally(c)}, ${Date.now() - t0} ms`);
    assertHits(c, "after a reload");
    assertOriginOnce(urls, "after the reload");
  } finally {
    await tr.stop();
  }
});

test("two Traefik processes on one mounted directory storing at the same time: each URL is a HIT on the other process", async (t) => {
  const dir = freshDir();
  const N = 2000;
  const urls = Array.from({ length: N }, (_, i) => `/p/two?i=${i}`);
  const [pa, pb] = await Promise.all([start(dir, BIG), start(dir, BIG)]);
  try {
    const mine = [urls.filter((_, i) => i % 2 === 0), urls.filter((_, i) => i % 2 === 1)];
    const [ra, rb] = await Promise.all([fetchAll(pa.url, mine[0], 32), fetchAll(pb.url, mine[1], 32)]);
    assertBodies([...ra, ...rb], "storing");
    t.diagnostic(`storing, 1,000 URLs into each process 32 at a time, at once: A ${tally(ra)}; B ${tally(rb)}`);
    const [xa, xb] = await Promise.all([fetchAll(pa.url, mine[1], 32), fetchAll(pb.url, mine[0], 32)]);
    t.diagnostic(`each asked for the other's URLs: A ${tally(xa)}; B ${tally(xb)}`);
    assertHits([...xa, ...xb], "asked on the other process");
    assertOriginOnce(urls, "two processes");
  } finally {
    await Promise.all([pa.stop(), pb.stop()]);
  }
});

// ---------------------------------------------------------------------------------------------
// 3. SIGKILL in the middle of stores

/** Files under dir (recursively), grouped by directory and first letter, for a diagnostic. */
function leftovers(dir) {
  const groups = {};
  const walk = (d, rel) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, rel + name + "/");
      else { const k = `${rel}${name[0]}*`; groups[k] = (groups[k] ?? 0) + 1; }
    }
  };
  walk(dir, "");
  return Object.entries(groups).map(([k, v]) => `${k} ${v}`).join(", ");
}

/** Resolves once Date.now() is `offset` ms past one of the origin's 20 ms ticks. */
function atTick(offset) {
  return new Promise((resolve) => {
    const check = () => (Date.now() % 20 === offset ? resolve() : setImmediate(check));
    check();
  });
}

test("Traefik killed with SIGKILL while stores are in flight, five times: the next Traefik on the directory stores and hits, never a wrong body", async (t) => {
  const dir = freshDir();
  // 256Mi: the ~2,700 records written here (1 to 64 KiB, ~50 MiB) never wrap the log.
  const cfg = BIG;
  const pre = Array.from({ length: 40 }, (_, i) => `/k/pre?i=${i}&s=${2 * KIB + i * 97}`);
  const CYCLES = 5;
  const BURST = 400;
  const KILL_AFTER = 100; // answers received before the kill; ~64 more are in flight
  const bursts = [];

  let tr = await start(dir, cfg);
  try {
    const p1 = await fetchAll(tr.url, pre, 1);
    const p2 = await fetchAll(tr.url, pre, 1);
    assertBodies(p1, "before the kills");
    assertHits(p2, "stored before the kills");

    for (let c = 0; c < CYCLES; c++) {
      // 1 KiB to 64 KiB: large records take longer to write.
      const urls = Array.from({ length: BURST }, (_, i) => `/k/burst?c=${c}&i=${i}&s=${KIB << (i % 7)}`);
      let done = 0;
      let killed;
      const killedP = new Promise((r) => { killed = r; });
      const victim = tr;
      const burst = pool(urls, 64, async (u) => {
        const r = await get(victim.url, u, 10000);
        // Killed 1 to 3 ms after a tick: a batch of origin responses has just reached Traefik,
        // whose instances are storing them.
        if (++done === KILL_AFTER) killed(atTick(1 + (c % 3)).then(() => victim.kill("SIGKILL")));
        return r;
      });
      await killedP;
      const rs = await burst;
      bursts.push(...rs);
      assertBodies(rs.filter((r) => !r.error), `cycle ${c}, answered before the kill`);
      t.diagnostic(`cycle ${c}: SIGKILL after ${KILL_AFTER} answers; ${tally(rs)}; directory: ${leftovers(dir)}`);
      tr = await start(dir, cfg);
    }

    // No wedge: a new URL is stored and then hits, within a bounded number of tries.
    let t0 = Date.now();
    let tries = 0;
    let ok = false;
    let last;
    while (!ok && Date.now() - t0 < 30000 && tries < 300) {
      const u = `/k/new?probe=${tries++}`;
      assertBodies([await get(tr.url, u)], "probe");
      last = await get(tr.url, u);
      assertBodies([last], "probe, asked again");
      ok = last.xcs === "HIT";
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    t.diagnostic(`after the last kill: a new URL stored and HIT after ${tries} tries, ${Date.now() - t0} ms`);
    assert.ok(ok, `the store is wedged: no new URL became a HIT in ${tries} tries; last: ${show(last)}`);

    const fresh = Array.from({ length: 200 }, (_, i) => `/k/new?after=${i}`);
    assertBodies(await fetchAll(tr.url, fresh, 16), "new URLs after the kills");
    assertHits(await fetchAll(tr.url, fresh, 16), "new URLs after the kills, asked again");

    // What was stored before the kills is still there, byte-exact.
    const p3 = await fetchAll(tr.url, pre, 8);
    t.diagnostic(`stored before the kills: ${tally(p3)}`);
    assertHits(p3, "stored before the kills, after the SIGKILLs");

    // Every URL of the bursts: its own body, whether a HIT (stored before a kill) or not.
    const burstUrls = bursts.map((r) => r.url);
    const after = await fetchAll(tr.url, burstUrls, 32);
    assertBodies(after, "burst URLs after the kills");
    // A response the client received was stored before it was sent (the store runs in
    // handle_response, before Traefik writes the body): one that said "stored" must be there.
    const storedBefore = new Set(bursts.filter((r) => !r.error && /;\s*stored/.test(r.cs ?? "")).map((r) => r.url));
    const lost = after.filter((r) => storedBefore.has(r.url) && r.xcs !== "HIT");
    t.diagnostic(`the ${burstUrls.length} burst URLs asked again: ${tally(after)}; ` +
      `${storedBefore.size - lost.length} of the ${storedBefore.size} answered "stored" before a kill are HITs`);
    assert.equal(lost.length, 0, `answered "stored" before a kill, then not a HIT: ${lost.length}, e.g.\n${lost.slice(0, 5).map(show).join("\n")}`);

    // The URLs whose stores were cut short by a kill (their buckets are the ones a dead process
    // may have been writing) are stored now, and hit: within a bounded time, none stays a miss.
    t0 = Date.now();
    let pending = burstUrls;
    let rounds = 0;
    let lastRound = [];
    while (pending.length > 0 && Date.now() - t0 < 30000 && rounds < 50) {
      rounds++;
      lastRound = await fetchAll(tr.url, pending, 32);
      assertBodies(lastRound, `burst URLs, round ${rounds}`);
      pending = lastRound.filter((r) => r.xcs !== "HIT").map((r) => r.url);
      if (pending.length) t.diagnostic(`round ${rounds}: ${tally(lastRound)}; not HITs, e.g. ${lastRound.filter((r) => r.xcs !== "HIT").slice(0, 3).map(show).join("; ")}`);
      if (pending.length) await new Promise((r) => setTimeout(r, 200));
    }
    t.diagnostic(`every burst URL a HIT after ${rounds} more round(s), ${Date.now() - t0} ms; directory: ${leftovers(dir)}`);
    assert.equal(pending.length, 0, `URLs that never became HITs after the kills: ${pending.length}, e.g.\n${lastRound.filter((r) => r.xcs !== "HIT").slice(0, 5).map(show).join("\n")}`);
  } finally {
    await tr.stop();
  }
});
