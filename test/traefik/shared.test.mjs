// End to end through the REAL Traefik: the shared store (store.shared) on a directory mounted into
// the plugin with settings.mounts. Every test starts its own Traefik on a fresh temporary directory
// (the mount), so that nothing carries over between tests except what a test carries on purpose.
//
// What is asserted is what a user sees: how many requests reached the origin, X-Cache-Status, the
// bytes, and the files in the mounted directory (docs/shared-store.md: exactly one file of `limit`
// bytes per cacheName, sparse).
//
// Count-based tests run Traefik with GOMAXPROCS=1 like the other files, except the one that checks
// that the store is shared by the instances of several Ps.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { request, startOrigin } from "../../scripts/lib/origin.mjs";
import { ROOT, ensureTraefik, ensureWasm, startTraefik } from "../../scripts/lib/traefik.mjs";

const GUEST = "/cache";
const MIB = 1024 * 1024;
const FILL_BODY = 20 * 1024; // ~20 KiB bodies for the bound test

const routes = {
  "/s/reload": (r) => ({ headers: { "Cache-Control": "max-age=300", "Content-Type": "text/plain" }, body: `reload n=${r.n}` }),
  "/s/restart": (r) => ({ headers: { "Cache-Control": "max-age=300", "Content-Type": "application/octet-stream" }, body: Buffer.concat([Buffer.from(`restart ${r.query} n=${r.n} `), Buffer.alloc(3000, r.n % 256)]) }),
  "/s/file": (r) => ({ headers: { "Cache-Control": "max-age=300" }, body: `file n=${r.n}` }),
  "/s/fill": (r) => ({ headers: { "Cache-Control": "max-age=300", "Content-Type": "application/octet-stream" }, body: fillBody(r.query) }),
  "/s/corrupt": (r) => ({ headers: { "Cache-Control": "max-age=300" }, body: `corrupt n=${r.n}` }),
  "/s/procs": (r) => ({ headers: { "Cache-Control": "max-age=300" }, body: `procs n=${r.n}` }),
  "/s/burst": (r) => ({ delay: 100, headers: { "Cache-Control": "max-age=300" }, body: `burst ${r.query}` }),
  "/s/unmounted": (r) => ({ headers: { "Cache-Control": "max-age=300" }, body: `BACKEND BODY n=${r.n}` }),
  "/products/A1": (r) => ({ headers: { "Cache-Control": "max-age=60", "Content-Type": "application/json" }, body: `{"sku":"A1","n":${r.n}}` }),
};

/** A distinct, checkable body per ?i=N. */
function fillBody(query) {
  const i = Number(new URLSearchParams(query).get("i"));
  const b = Buffer.alloc(FILL_BODY, i % 251);
  b.write(`fill i=${i};`, 0);
  return b;
}

let origin;
const dirs = [];
const running = new Set();

before(async () => {
  ensureWasm();
  ensureTraefik();
  origin = await startOrigin(routes);
});

after(async () => {
  for (const t of running) await t.stop();
  await origin?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir() {
  const d = mkdtempSync(join(tmpdir(), "httpcache-shared-"));
  dirs.push(d);
  return d;
}

/** Traefik with the plugin's settings.mounts = [dir:/cache]; stopped at the end of the file if a test does not. */
async function start(dir, pluginConfig, o = {}) {
  const t = await startTraefik({
    origin: origin.url,
    pluginConfig,
    mounts: dir === null ? [] : [`${dir}:${GUEST}`],
    env: { GOMAXPROCS: "1", ...(o.env || {}) },
    envs: o.envs,
  });
  running.add(t);
  const stop = t.stop;
  t.stop = async () => { running.delete(t); await stop(); };
  return t;
}

const shared = (limit = "4Mi", extra = {}) => ({ store: { shared: { path: GUEST, limit } }, ...extra });
const xcs = (r) => r.headers["x-cache-status"];
const cacheStatus = (r) => r.values("cache-status").join(", ");
function show(r) {
  const h = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) h.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
  const body = r.body.length > 200 ? `${r.body.length} bytes` : JSON.stringify(r.text);
  return `${r.status} [${h.join(" | ")}] body=${body}`;
}

/**
 * Every file under dir with its size and the bytes its blocks take (st_blocks * 512); the files of
 * a `<store>.claims` directory (extent claims and bucket locks, which must be empty) only counted.
 */
function usage(dir) {
  const files = [];
  let claims = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      let st;
      try { st = statSync(p); } catch { continue; } // a lock released meanwhile
      if (st.isDirectory()) walk(p);
      else if (d.endsWith(".claims")) {
        claims++;
        assert.equal(st.size, 0, `${p}: claim and lock files are empty`);
        files.push({ path: p.slice(dir.length + 1), size: 0, used: st.blocks * 512, claim: true });
      } else files.push({ path: p.slice(dir.length + 1), size: st.size, used: st.blocks * 512 });
    }
  };
  walk(dir);
  assert.ok(claims <= MAX_CLAIM_FILES, `${claims} claim files, want at most ${MAX_CLAIM_FILES}`);
  const all = files;
  const data = files.filter((f) => !f.claim);
  return { files: data, claims, size: all.reduce((a, f) => a + f.size, 0), used: all.reduce((a, f) => a + f.used, 0) };
}
/** Extent claims kept behind the head (512), plus claims and bucket locks in flight. */
const MAX_CLAIM_FILES = 512 + 256;
const describeUsage = (u) => u.files.map((f) => `${f.path}: size ${f.size}, blocks ${f.used}`).join("; ") || "(empty)";

test("warm, reload the dynamic configuration: the new plugin instances still hit", async () => {
  const dir = freshDir();
  const t = await start(dir, shared());
  try {
    const a = await request(t.url + "/s/reload");
    assert.equal(xcs(a), "MISS", show(a));
    assert.match(cacheStatus(a), /stored/, show(a));
    const b = await request(t.url + "/s/reload");
    assert.equal(xcs(b), "HIT", show(b));

    // A reload builds a new pool of plugin instances: an in-memory cache would start cold.
    await t.reload(shared("4Mi", { maxTtl: "10m" }));
    const c = await request(t.url + "/s/reload");
    assert.equal(xcs(c), "HIT", `first request after the reload: ${show(c)}`);
    assert.equal(c.text, a.text);
    assert.equal(origin.count("/s/reload"), 1, "the origin was asked once, before the reload");

    // And once more with a configuration that changes nothing but the file provider's generation.
    await t.reload(shared());
    const d = await request(t.url + "/s/reload");
    assert.equal(xcs(d), "HIT", show(d));
    assert.equal(origin.count("/s/reload"), 1);
  } finally {
    await t.stop();
  }
});

test("stop and start Traefik with the same directory: the first request after the restart is a HIT", async () => {
  // The harness picks a new port for each Traefik, and the Host header (with its port) is part of
  // the cache key: send the same Host to both.
  const host = { headers: { Host: "restart.example.test" } };
  const dir = freshDir();
  const first = await start(dir, shared());
  const warmed = [];
  try {
    for (const q of ["a", "b", "c"]) {
      const r = await request(first.url + `/s/restart?q=${q}`, host);
      assert.equal(xcs(r), "MISS", show(r));
      warmed.push(r.body);
    }
  } finally {
    await first.stop();
  }
  const before = origin.count("/s/restart");
  assert.equal(before, 3);

  const second = await start(dir, shared());
  try {
    const r = await request(second.url + "/s/restart?q=a", host);
    assert.equal(xcs(r), "HIT", `first request after the restart: ${show(r)}`);
    assert.ok(r.body.equals(warmed[0]), "byte-exact body after the restart");
    assert.ok(Number(r.headers.age) >= 0, `Age on a hit: ${show(r)}`);
    for (const [i, q] of ["b", "c"].entries()) {
      const s = await request(second.url + `/s/restart?q=${q}`, host);
      assert.equal(xcs(s), "HIT", show(s));
      assert.ok(s.body.equals(warmed[i + 1]));
    }
    assert.equal(origin.count("/s/restart"), before, "no request reached the origin after the restart");
  } finally {
    await second.stop();
  }
});

test("the directory holds exactly one file, <cacheName>.cache, of store.shared.limit bytes", async () => {
  const dir = freshDir();
  const t = await start(dir, shared("4Mi", { cacheName: "edge" }));
  try {
    const a = await request(t.url + "/s/file");
    assert.equal(xcs(a), "MISS", show(a));
    const b = await request(t.url + "/s/file");
    assert.equal(xcs(b), "HIT", show(b));
    const u = usage(dir);
    assert.deepEqual(u.files.map((f) => f.path), ["edge.cache"], describeUsage(u));
    assert.equal(u.files[0].size, 4 * MIB, describeUsage(u));
    assert.ok(u.used <= 4 * MIB, `sparse: blocks used ${u.used} <= limit: ${describeUsage(u)}`);
  } finally {
    await t.stop();
  }
});

test("writing three times the limit of distinct entries keeps the directory within the bound", async (t) => {
  const LIMIT = 4 * MIB;
  // ext4 may add a few blocks of extent tree to a file written out of order: allow that much, no more.
  const METADATA_SLACK = 64 * 1024;
  const dir = freshDir();
  const tr = await start(dir, shared("4Mi"));
  try {
    const n = Math.ceil((3 * LIMIT) / FILL_BODY);
    let stored = 0;
    let maxUsed = 0;
    let maxSize = 0;
    for (let i = 0; i < n; i++) {
      const r = await request(tr.url + `/s/fill?i=${i}`);
      assert.equal(r.status, 200, show(r));
      assert.ok(r.body.equals(fillBody(`?i=${i}`)), `body of i=${i}`);
      if (/stored/.test(cacheStatus(r))) stored++;
      if (i % 50 === 0 || i === n - 1) {
        const u = usage(dir);
        maxUsed = Math.max(maxUsed, u.used);
        maxSize = Math.max(maxSize, u.size);
        assert.equal(u.files.length, 1, `after ${i + 1} entries: ${describeUsage(u)}`);
        assert.ok(u.size <= LIMIT, `after ${i + 1} entries, sizes ${u.size} > ${LIMIT}: ${describeUsage(u)}`);
        assert.ok(u.used <= LIMIT + METADATA_SLACK, `after ${i + 1} entries, blocks ${u.used} > ${LIMIT}: ${describeUsage(u)}`);
      }
    }
    t.diagnostic(`${n} entries of ${FILL_BODY} bytes (${((n * FILL_BODY) / MIB).toFixed(1)} MiB) into a ${LIMIT / MIB} MiB store: ${stored} stored; directory at most ${maxSize} bytes, ${maxUsed} bytes of blocks`);
    assert.equal(stored, n, "every response was stored (eviction makes room)");
    assert.equal(origin.count("/s/fill"), n);

    // What the FILE holds, seen by new instances (a reload: empty memory fronts): the newest
    // entries, byte-exact; the oldest were evicted (FIFO, never hit).
    await tr.reload(shared("4Mi", { maxTtl: "10m" }));
    for (let i = n - 5; i < n; i++) {
      const r = await request(tr.url + `/s/fill?i=${i}`);
      assert.equal(xcs(r), "HIT", `recent entry i=${i}: ${show(r)}`);
      assert.ok(r.body.equals(fillBody(`?i=${i}`)), `body of i=${i} on a hit`);
    }
    const old = await request(tr.url + "/s/fill?i=0");
    assert.notEqual(xcs(old), "HIT", `the first entry was written over two laps ago: ${show(old)}`);
    assert.ok(old.body.equals(fillBody("?i=0")));
    assert.deepEqual(usage(dir).files.map((f) => f.size), [LIMIT]);
  } finally {
    await tr.stop();
  }
});

// docs/shared-store.md, "Coherence": an entry replaced, purged or EVICTED anywhere is never served
// from a memory front. Here the instance that stored every entry still holds the first ones in its
// front (16Mi by default, more than the 12 MiB written), while the log has written over them.
test("an entry the log has written over is not served from the memory front of the instance that stored it", async () => {
  const LIMIT = 4 * MIB;
  const dir = freshDir();
  const tr = await start(dir, shared("4Mi"));
  try {
    const n = Math.ceil((3 * LIMIT) / FILL_BODY);
    for (let i = 0; i < n; i++) {
      const r = await request(tr.url + `/s/fill?i=${i}&front=1`);
      assert.equal(r.status, 200, show(r));
    }
    const old = await request(tr.url + "/s/fill?i=0&front=1");
    assert.notEqual(xcs(old), "HIT", `evicted from the file two laps ago, still served from the memory front: ${show(old)}`);
    assert.ok(old.body.equals(fillBody("?i=0")));
  } finally {
    await tr.stop();
  }
});

test("a foreign or truncated file in place of the store is never served: it is reinitialised", async () => {
  for (const [what, content] of [
    ["text file", Buffer.from("this is not a cache store\n")],
    ["garbage of the right size", Buffer.alloc(4 * MIB, 0xa5)],
  ]) {
    const dir = freshDir();
    writeFileSync(join(dir, "httpcache.cache"), content);
    const t = await start(dir, shared("4Mi"));
    try {
      const before = origin.count("/s/corrupt");
      const a = await request(t.url + "/s/corrupt");
      assert.equal(a.status, 200, `${what}: ${show(a)}`);
      assert.equal(xcs(a), "MISS", `${what}: ${show(a)}`);
      const b = await request(t.url + "/s/corrupt");
      assert.equal(xcs(b), "HIT", `${what}: the store works after reinitialising: ${show(b)}`);
      assert.equal(b.text, a.text);
      assert.equal(origin.count("/s/corrupt"), before + 1);
      const u = usage(dir);
      assert.deepEqual(u.files.map((f) => [f.path, f.size]), [["httpcache.cache", 4 * MIB]], `${what}: ${describeUsage(u)}`);
    } finally {
      await t.stop();
    }
  }
});

test("with several Ps (GOMAXPROCS=2), one URL reaches the origin once: the instances share the store", async (t) => {
  const dir = freshDir();
  const tr = await start(dir, shared("4Mi"), { env: { GOMAXPROCS: "2" } });
  try {
    const statuses = [];
    for (let i = 0; i < 40; i++) statuses.push(xcs(await request(tr.url + "/s/procs")));
    t.diagnostic(`40 sequential requests: ${statuses.join(",")}`);
    assert.equal(origin.count("/s/procs"), 1, statuses.join(","));
    assert.deepEqual(statuses.slice(1), Array(39).fill("HIT"), statuses.join(","));

    // A burst of cold requests may miss more than once per URL (no request coalescing), but once
    // they are answered, every later request hits, whichever instance serves it.
    const paths = Array.from({ length: 20 }, (_, i) => `/s/burst?k=${i % 4}`);
    const rs = await Promise.all(paths.map((p) => request(tr.url + p)));
    rs.forEach((r, i) => assert.equal(r.text, `burst ?k=${i % 4}`, `response ${i}`));
    const after = [];
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 4; k++) {
        const r = await request(tr.url + `/s/burst?k=${k}`);
        assert.equal(r.text, `burst ?k=${k}`);
        after.push(xcs(r));
      }
    }
    t.diagnostic(`burst: ${origin.count("/s/burst")} origin calls for 20 requests over 4 URLs; then ${after.join(",")}`);
    assert.deepEqual(after, Array(20).fill("HIT"));
  } finally {
    await tr.stop();
  }
});

test("store.shared.path that is not mounted, or whose host directory is missing: 500 naming the path, backend never reached", async () => {
  const missing = join(freshDir(), "does-not-exist");
  for (const [what, mounts] of [["no settings.mounts", null], ["host directory missing", missing]]) {
    const t = await start(mounts, shared("4Mi"));
    try {
      const r = await request(t.url + "/s/unmounted");
      assert.equal(r.status, 500, `${what}: ${show(r)}`);
      assert.ok(r.text.includes("store.shared.path"), `${what}: the message names the key: ${show(r)}`);
      assert.ok(r.text.includes(GUEST), `${what}: the message names the path: ${show(r)}`);
      assert.doesNotMatch(r.text, /BACKEND BODY/);
      assert.equal(origin.count("/s/unmounted"), 0, `${what}: the backend must not be reached`);
      assert.ok(t.logs().split("\n").some((l) => /\bERR\b/.test(l) && l.includes("store.shared.path")),
        `${what}: an error in Traefik's log:\n${t.logs().split("\n").slice(-8).join("\n")}`);
    } finally {
      await t.stop();
    }
  }
});

// The examples' plugin blocks with store.shared cannot run in the fake host (no file system), so
// test/examples.test.mjs checks them without it and this test runs them whole.
test("the examples' shared-store configurations are accepted by the real Traefik with their mount", async () => {
  const examples = join(ROOT, "examples");
  const dyn = YAML.parse(readFileSync(join(examples, "dynamic.yml"), "utf8"));
  const stat = YAML.parse(readFileSync(join(examples, "traefik.yml"), "utf8"));
  const k8s = YAML.parseAllDocuments(readFileSync(join(examples, "kubernetes", "shared-store.yaml"), "utf8")).map((d) => d.toJS());
  // Every example mounts a directory at /cache, so each Middleware that does not ask for memory
  // only gets the shared store there by default.
  const cases = [];
  const usesShared = (cfg) => cfg && cfg.store?.shared !== false && cfg.store?.shared !== "false";
  for (const [name, mw] of Object.entries(dyn.http.middlewares)) {
    const cfg = mw.plugin?.httpcache;
    if (usesShared(cfg)) cases.push({ label: `dynamic.yml ${name}`, cfg, envs: stat.experimental.localPlugins.httpcache.settings?.envs ?? [] });
  }
  for (const m of k8s.filter((d) => d?.kind === "Middleware")) {
    const cfg = m.spec.plugin.httpcache;
    // Traefik's kubernetesCRD provider resolves urn:k8s:secret:<name>:<key> before the plugin sees it.
    const resolved = JSON.parse(JSON.stringify(cfg), (k, v) => (typeof v === "string" && v.startsWith("urn:k8s:secret:") ? "resolved-secret-value" : v));
    if (usesShared(resolved)) cases.push({ label: `kubernetes/shared-store.yaml ${m.metadata.name}`, cfg: resolved, envs: [] });
  }
  assert.ok(cases.length >= 2, `found ${cases.length} shared-store blocks`);
  for (const { label, cfg, envs } of cases) {
    const dir = freshDir();
    const guest = cfg.store?.shared?.path ?? "/cache";
    const env = Object.fromEntries(envs.map((e) => [e, "example-purge-token"]));
    const t = await startTraefik({ origin: origin.url, pluginConfig: cfg, mounts: [`${dir}:${guest}`], envs, env: { GOMAXPROCS: "1", ...env } });
    running.add(t);
    try {
      const headers = { Host: "catalog.example.com", "Accept-Language": "fr" };
      const a = await request(t.url + "/products/A1", { headers });
      assert.equal(a.status, 200, `${label}: ${show(a)}`);
      const b = await request(t.url + "/products/A1", { headers });
      assert.equal(xcs(b), "HIT", `${label}: ${show(b)}`);
      const errors = t.logs().split("\n").filter((l) => /\bERR\b/.test(l) && l.includes("httpcache"));
      assert.deepEqual(errors, [], `${label}: error lines`);
      const u = usage(dir);
      assert.deepEqual(u.files.map((f) => f.path), [`${cfg.cacheName ?? "httpcache"}.cache`], `${label}: ${describeUsage(u)}`);
    } finally {
      running.delete(t);
      await t.stop();
    }
  }
});
