// npm run demo [-- --once] [-- --listen HOST:PORT]
//
// A small catalog/inventory API (45 ms per call, like a real service with a database behind it)
// behind the real Traefik with the httpcache plugin. Sends a scripted sequence of requests and
// prints what happened: cache status, latency and how many calls reached the backend. Then stays
// up with URLs to try by hand (Ctrl-C stops), or exits with --once (non-zero if the expected
// cache statuses did not happen). Traefik mounts a fresh temporary directory into the plugin at
// /cache (settings.mounts), as the README's install snippets do, and the plugin configuration has
// no store settings: the plugin finds the mount and keeps its entries there, one cache for every
// plugin instance. The directory is removed when the demo stops, so every run starts cold (the
// scripted table expects a first MISS). The purge API is on, with a random token.

import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, startOrigin } from "./lib/origin.mjs";
import { ensureTraefik, ensureWasm, freePort, startTraefik } from "./lib/traefik.mjs";

const USAGE = `usage: npm run demo [-- --once] [-- --listen HOST:PORT]

  --once               print the table and exit (exit code 1 if the cache did not behave)
  --listen HOST:PORT   where Traefik listens (default 127.0.0.1:8000, or a free port if taken)`;

const args = process.argv.slice(2);
let once = false;
let listen;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--once") once = true;
  else if (a === "--listen") listen = args[++i];
  else if (a.startsWith("--listen=")) listen = a.slice(9);
  else if (a === "-h" || a === "--help") { console.log(USAGE); process.exit(0); }
  else { console.error(`demo: unknown argument ${JSON.stringify(a)}\n\n${USAGE}`); process.exit(2); }
}
if (listen !== undefined && !/^[^:]+:\d{1,5}$/.test(listen)) {
  console.error(`demo: --listen ${JSON.stringify(listen)} is not HOST:PORT\n\n${USAGE}`);
  process.exit(2);
}

const DELAY = 45;

// ---------------------------------------------------------------------------------------------
// The sample API

const catalog = {
  electronics: [
    { id: 12345, name: "Noise-cancelling headphones", price: 199.0 },
    { id: 12346, name: "USB-C charger 65 W", price: 39.9 },
    { id: 12347, name: "4K monitor 27\"", price: 329.0 },
  ],
  books: [
    { id: 22001, name: "Designing Data-Intensive Applications", price: 45.0 },
    { id: 22002, name: "HTTP: The Definitive Guide", price: 39.0 },
  ],
};
let cartItems = 0;

const json = (obj, cacheControl, extra = {}) => ({
  delay: DELAY,
  headers: { "Content-Type": "application/json", ...(cacheControl ? { "Cache-Control": cacheControl } : {}), ...extra },
  body: JSON.stringify(obj) + "\n",
});

const routes = {
  "GET /products": (req) => {
    const q = new URL(req.url, "http://x").searchParams;
    const cat = q.get("category") ?? "electronics";
    let items = [...(catalog[cat] ?? [])];
    if (q.get("sort") === "price") items.sort((a, b) => a.price - b.price);
    return json({ category: cat, items, generatedAt: new Date().toISOString() }, "public, max-age=300");
  },
  "GET /stock": (req) => {
    const id = new URL(req.url, "http://x").searchParams.get("productId");
    return json({ productId: id, available: 17, warehouse: "FRA-1", checkedAt: new Date().toISOString() }, "max-age=30");
  },
  "GET /cart": () => json({ user: "alice", items: cartItems }, "private, max-age=60"),
  "POST /cart": () => { cartItems++; return { ...json({ ok: true, items: cartItems }, "no-store"), status: 201 }; },
  "/": () => json({
    endpoints: ["/products?category=electronics", "/stock?productId=12345", "/cart", "POST /cart"],
  }, "max-age=10"),
};

// ---------------------------------------------------------------------------------------------

function portFree(host, port) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once("error", () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

async function main() {
  ensureWasm();
  ensureTraefik();
  const origin = await startOrigin(routes);
  if (listen === undefined) listen = (await portFree("127.0.0.1", 8000)) ? "127.0.0.1:8000" : `127.0.0.1:${await freePort()}`;

  // The store's directory, mounted into the plugin at /cache like settings.mounts does in Traefik.
  // No store settings: the plugin uses the directory mounted at /cache (the default).
  const storeDir = mkdtempSync(join(tmpdir(), "httpcache-demo-"));
  const purgeToken = randomBytes(12).toString("hex");
  const pluginConfig = { maxTtl: "300s", purge: { token: purgeToken } };
  console.log(`demo: sample API on ${origin.url} (${DELAY} ms per call); starting Traefik + httpcache on ${listen} ...`);
  let t;
  try {
    t = await startTraefik({ origin: origin.url, listen, pluginConfig, mounts: [`${storeDir}:/cache`] });
  } catch (e) {
    await origin.close();
    rmSync(storeDir, { recursive: true, force: true });
    throw e;
  }
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    await t.stop();
    await origin.close();
    rmSync(storeDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on("SIGINT", () => { console.log("\ndemo: stopping"); shutdown(0); });
  process.on("SIGTERM", () => shutdown(0));

  const steps = [
    { what: "GET /products?category=electronics", path: "/products?category=electronics", expect: "MISS", note: "first request: the backend answers, the cache stores it" },
    { what: "GET /products?category=electronics", path: "/products?category=electronics", expect: "HIT", note: "answered by Traefik from the cache" },
    { what: "GET /products?category=electronics&sort=price", path: "/products?category=electronics&sort=price", expect: "MISS", note: "a different query is a different entry" },
    { what: "GET /products?sort=price&category=electronics", path: "/products?sort=price&category=electronics", expect: "HIT", note: "same parameters, other order: same entry" },
    { what: "GET /stock?productId=12345", path: "/stock?productId=12345", expect: "MISS", note: "max-age=30" },
    { what: "GET /stock?productId=12345", path: "/stock?productId=12345", expect: "HIT" },
    { what: "GET /cart (backend: private)", path: "/cart", expect: "MISS", note: "private: never stored" },
    { what: "GET /cart (backend: private)", path: "/cart", expect: "MISS", note: "so the backend is asked again" },
    { what: "POST /cart", path: "/cart", method: "POST", body: '{"productId":12345}', headers: { "Content-Type": "application/json" }, expect: "BYPASS", note: "writes always reach the backend" },
    { what: "GET /products?category=electronics", path: "/products?category=electronics", expect: "HIT" },
    { what: "GET /products?category=electronics (client: no-cache)", path: "/products?category=electronics", headers: { "Cache-Control": "no-cache" }, expect: "BYPASS", note: "the client asked for a fresh answer" },
    { what: "HEAD /stock?productId=12345", path: "/stock?productId=12345", method: "HEAD", expect: "HIT", note: "HEAD is answered from the stored GET" },
    { what: "PURGE /stock?productId=12345 (with the token)", path: "/stock?productId=12345", method: "PURGE", headers: { Authorization: `Bearer ${purgeToken}` }, expect: "-", status: 200, note: "answered by the cache: {\"purged\":1}" },
    { what: "GET /stock?productId=12345", path: "/stock?productId=12345", expect: "MISS", note: "purged: the backend is asked again" },
  ];

  const rows = [];
  let failures = 0;
  for (const [i, s] of steps.entries()) {
    const r = await request(t.url + s.path, { method: s.method ?? "GET", headers: s.headers, body: s.body });
    const got = r.headers["x-cache-status"] ?? "-";
    const ok = got === s.expect && (s.status === undefined || r.status === s.status);
    if (!ok) failures++;
    rows.push([String(i + 1), s.what, String(r.status), ok ? got : `${got} (expected ${s.expect})`, r.ms.toFixed(1), String(origin.count())]);
    s.result = { got, ms: r.ms, status: r.status };
  }

  const head = ["#", "request", "status", "X-Cache-Status", "latency ms", "backend calls"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => cells.map((v, c) => (c === 4 || c === 5 || c === 0 ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join("  ");
  console.log("\n" + line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));

  const hits = steps.filter((s) => s.result.got === "HIT");
  const fwd = steps.filter((s) => s.result.got !== "HIT" && s.method !== "PURGE");
  const avg = (xs) => (xs.length ? xs.reduce((a, s) => a + s.result.ms, 0) / xs.length : 0);
  const storeFile = join(storeDir, "httpcache.cache");
  if (existsSync(storeFile)) {
    console.log(`\nEntries live in one file (${storeFile}: ${(statSync(storeFile).size / 2 ** 20).toFixed(0)} MiB, sparse) on the directory mounted at /cache, read and written by every plugin instance.`);
  } else {
    failures++;
    console.log(`\ndemo: the plugin did not create ${storeFile}: it kept entries in each instance's memory (see its warnings in Traefik's log)`);
  }
  console.log(`${steps.length} requests, ${origin.count()} reached the backend; ` +
    `average latency ${avg(hits).toFixed(1)} ms for hits vs ${avg(fwd).toFixed(1)} ms through to the backend.`);
  if (failures) console.log(`demo: ${failures} request(s) did not get the expected X-Cache-Status`);

  if (once) {
    await shutdown(failures ? 1 : 0);
    return;
  }
  console.log(`\nTry it (Ctrl-C to stop):
  curl -i '${t.url}/products?category=electronics'
  curl -i '${t.url}/products?category=books'
  curl -i '${t.url}/stock?productId=12345'
  curl -i '${t.url}/cart'
  curl -i -X POST '${t.url}/cart'
  curl -i -H 'Cache-Control: no-cache' '${t.url}/products?category=electronics'
  curl -i -X PURGE -H 'Authorization: Bearer ${purgeToken}' '${t.url}/products?category=electronics'
  curl -i -H 'X-Purge-Token: ${purgeToken}' -d '{"prefixes":["/products"]}' '${t.url}/_cache/purge'
Backend directly (no cache): ${origin.url}/products?category=electronics`);
}

main().catch((e) => {
  console.error(`demo: ${e.stack ?? e}`);
  process.exit(1);
});
