// npm run bench [-- --quick]
//
// Measures, side by side in one run, the real Traefik:
//   ceiling      a minimal wasm guest that answers a fixed 1 KiB body itself (the fastest any wasm
//                cache can be in Traefik)
//   hit          our plugin in its default setup, answering 1 KiB (and 64 KiB, 1 MiB) bodies: a
//                directory mounted at /cache (tmpfs, like an emptyDir in memory), so the shared store
//   hit_memory   the same with nothing mounted: the memory store only, one per instance
//   proxy        Traefik alone forwarding to a fast local origin
//   passthrough  our plugin in front of uncacheable (no-store) responses
//   scenario     an origin with 45 ms latency at a fixed request rate, Zipf-distributed product
//                URLs, in the default setup, with the memory store only, and without a cache:
//                p50, p99, backend requests per second
//   memory       Traefik's RSS while distinct keys totalling 10 × store.memory.limit streamed through,
//                and the guest's memory pages per instance (Go host)
//   guest        the guest's own cost per hit and per stored miss, a Vary hit, a 304 from the
//                store, a revalidation answered 304, without sockets (Go testing.B)
// Throughput cases are interleaved and repeated; each figure is the median of the rounds. For each
// case the origin's request count and Traefik's Go GCs during the measured runs are reported too: a
// hit case that reaches the origin is a new guest instance (the pool drops idle ones after two GCs)
// missing, which is what a memory-only cache's latency tail is made of.
// Prints a table, then one line `BENCH_JSON {...}`. A full run also writes bench/RESULTS.md.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT, ensureTraefik, ensureWasm, sleep, startTraefik } from "../scripts/lib/traefik.mjs";

const QUICK = process.argv.includes("--quick");
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 2 : 5;
const CONNECTIONS = 16;
const SCENARIO = QUICK
  ? { rate: 200, seconds: 4, warmSeconds: 3, warmRate: 600, keys: 3000 }
  : { rate: 300, seconds: 20, warmSeconds: 20, warmRate: 1000, keys: 3000 };
const BUILD = join(ROOT, "build", "bench");
const TRAEFIK_VERSION = "v3.7.10";
/** Where the default setup mounts its store directory (the plugin looks for a mount there). */
const GUEST_CACHE_DIR = "/cache";
/**
 * The store block the default setup falls back on when the built plugin does not find the mount by
 * itself yet (see startDefault). Drop it (and the fallback) once every build does.
 */
const EXPLICIT_SHARED = { store: { shared: { path: GUEST_CACHE_DIR } } };
/** Traefik prints one line per Go GC (gc N @Ts ...): the bench counts them per case. */
const TRAEFIK_ENV = { GODEBUG: "gctrace=1" };

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * run() without blocking the event loop: while a load generator runs, the Traefik processes' output
 * pipes (their logs, the GC trace) must be drained, or a full pipe blocks Traefik itself.
 */
function runAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    proc.stdout.on("data", (c) => { out += c; });
    proc.stderr.on("data", (c) => { err += c; });
    proc.on("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    proc.on("exit", (code) => code === 0 ? resolve(out)
      : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${err || out}`)));
  });
}

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** wrk from Debian's packages: installed on first use (the bench runs as root on our machines). */
function ensureWrk() {
  if (have("wrk")) return;
  log("installing wrk (apt-get install wrk)");
  const sudo = process.getuid && process.getuid() === 0 ? [] : ["sudo"];
  const apt = (args) => spawnSync(sudo.length ? "sudo" : "apt-get", [...(sudo.length ? ["apt-get"] : []), ...args],
    { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  apt(["update", "-qq"]);
  if (apt(["install", "-y", "-qq", "wrk"]).status !== 0 || !have("wrk")) {
    throw new Error("wrk is needed: install it with `apt-get install wrk`");
  }
}

function buildTools() {
  mkdirSync(BUILD, { recursive: true });
  ensureWasm();
  run("npx", ["asc", "bench/ceiling/ceiling.ts", "--config", "bench/ceiling/asconfig.json", "-o", join(BUILD, "ceiling.wasm")]);
  run("go", ["-C", "bench/tools", "build", "-o", join(BUILD, "benchtool"), "."]);
}

/** The origin: starts benchtool and waits for its address. */
async function startOrigin() {
  const proc = spawn(join(BUILD, "benchtool"), ["origin", "-listen", "127.0.0.1:0", "-delay", "45ms"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (c) => {
      out += c;
      const m = out.match(/listening (\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on("exit", (code) => reject(new Error(`origin exited (${code})`)));
  });
  process.on("exit", () => proc.kill("SIGKILL"));
  const url = `http://${address}`;
  /** Requests the origin has answered so far, by route: {fixed, nostore, product}. */
  const stats = async () => (await fetch(`${url}/stats`)).json();
  return { url, stats, stop: () => proc.kill("SIGTERM") };
}

const gcCount = (t) => (t.logs().match(/^gc \d+ @/gm) ?? []).length;

/**
 * Traefik in the default setup: a directory mounted at /cache and no store block. A plugin that
 * finds the mount by itself writes its store file there on the first store; one that does not yet
 * is restarted with store.shared naming the mount explicitly.
 */
async function startDefault(origin, extraRouters) {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "httpcache-bench-"));
  const options = { origin: origin.url, mounts: [`${dir}:${GUEST_CACHE_DIR}`], extraRouters, env: TRAEFIK_ENV };
  let t = await startTraefik({ ...options, pluginConfig: { maxTtl: "1h" } });
  await (await fetch(`${t.url}/fixed/1024?store-probe`)).arrayBuffer();
  if (readdirSync(dir).length > 0) return { t, dir, store: "shared (mount found by the plugin)" };
  await t.stop();
  log(`the built plugin does not use ${GUEST_CACHE_DIR} by itself: passing store.shared.path explicitly`);
  t = await startTraefik({ ...options, pluginConfig: { maxTtl: "1h", ...EXPLICIT_SHARED } });
  await (await fetch(`${t.url}/fixed/1024?store-probe`)).arrayBuffer();
  if (readdirSync(dir).length === 0) throw new Error(`the shared store wrote nothing in ${dir}`);
  return { t, dir, store: "shared (store.shared.path set)" };
}

/** Runs wrk; returns requests/s and latency percentiles in ms. */
async function wrk(url, seconds, host) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency"];
  if (host) args.push("-H", `Host: ${host}`);
  const out = await runAsync("wrk", [...args, url]);
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
  const pct = (p) => {
    const m = out.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? toMs(m[1], m[2]) : null;
  };
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)/);
  return { rps, p50: pct(50), p99: pct(99), non2xx: errors ? Number(errors[1]) : 0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function throughput(defaultT, memoryT, ceilingT, origin) {
  // `route`: the origin's counter the case's requests would reach it through.
  const cases = [
    { name: "ceiling", t: ceilingT, path: "/fixed/1024", route: "fixed" },
    { name: "hit", t: defaultT, path: "/fixed/1024", route: "fixed" },
    { name: "hit_memory", t: memoryT, path: "/fixed/1024", route: "fixed" },
    { name: "proxy", t: defaultT, path: "/fixed/1024", host: "proxy.bench", route: "fixed" },
    { name: "passthrough", t: defaultT, path: "/nostore/1024", route: "nostore" },
    { name: "hit_64k", t: defaultT, path: "/fixed/65536", route: "fixed" },
    { name: "hit_1m", t: defaultT, path: "/fixed/1048576", route: "fixed" },
  ];
  // Warm every instance the connections will use (the memory store is per instance).
  for (const c of cases) await wrk(c.t.url + c.path, 1, c.host);
  const results = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      const before = (await origin.stats())[c.route];
      const gcs = gcCount(c.t);
      const r = await wrk(c.t.url + c.path, SECONDS, c.host);
      r.origin = (await origin.stats())[c.route] - before;
      r.gcs = gcCount(c.t) - gcs;
      if (r.non2xx) throw new Error(`${c.name}: ${r.non2xx} non-2xx answers`);
      results[c.name].push(r);
      log(`round ${round} ${c.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.origin} origin requests, ${r.gcs} Go GCs`);
    }
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(results).map(([name, rs]) => [name, {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    // Per second over every round, like req/s.
    origin_rps: sum(rs.map((r) => r.origin)) / (rs.length * SECONDS),
    gc_rps: sum(rs.map((r) => r.gcs)) / (rs.length * SECONDS),
  }]));
}

/** Runs the warm-up and the measured part in one go (the tool counts keys a perfect cache knows). */
async function scenarioRun(url, host, origin) {
  const args = ["scenario", "-url", url, "-rate", String(SCENARIO.rate), "-duration", `${SCENARIO.seconds}s`,
    "-warmup", `${SCENARIO.warmSeconds}s`, "-warmup-rate", String(SCENARIO.warmRate), "-keys", String(SCENARIO.keys), "-zipf", "1.1", "-seed", "1",
    "-origin-stats", `${origin.url}/stats`];
  if (host) args.push("-host", host);
  return JSON.parse(await runAsync(join(BUILD, "benchtool"), args));
}

/** The user's scenario, with the cache and without it; backend load counted in the measured part. */
async function scenario(defaultT, memoryT, origin) {
  const out = {};
  for (const [name, t, host] of [["cached", defaultT, undefined], ["memory", memoryT, undefined], ["uncached", defaultT, "proxy.bench"]]) {
    const r = await scenarioRun(t.url, host, origin);
    const backend = r.backend_requests;
    out[name] = { ...r, backend_rps: backend / r.seconds, ideal_cut: 1 - r.first_sight / r.sent };
    log(`scenario ${name}: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, backend ${(backend / r.seconds).toFixed(1)} req/s, errors ${r.errors}, sender late p99 ${r.sender_late_p99_ms} ms`);
  }
  return out;
}

function rssMiB(pid) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return Number(m[1]) / 1024;
}

/** Streams distinct 64 KiB responses totalling 10 × the limit through Traefik, twice. */
async function memory(origin) {
  const limitMiB = 8;
  const t = await startTraefik({
    origin: origin.url,
    pluginConfig: { store: { memory: { limit: `${limitMiB}Mi` } }, maxObjectSize: "64Ki" },
  });
  try {
    const perPass = (10 * limitMiB * 1024) / 64;
    const pass = async (offset) => {
      for (let i = 0; i < perPass; i += 4) {
        await Promise.all([0, 1, 2, 3].map((j) =>
          fetch(`${t.url}/fixed/65536?k=${offset + i + j}`).then((r) => r.arrayBuffer())));
      }
    };
    const before = rssMiB(t.pid);
    await pass(0);
    const afterFirst = rssMiB(t.pid);
    await pass(perPass);
    const afterSecond = rssMiB(t.pid);
    log(`memory: Traefik RSS ${before.toFixed(0)} -> ${afterFirst.toFixed(0)} -> ${afterSecond.toFixed(0)} MiB`);
    return { limit_mib: limitMiB, rss_before_mib: before, rss_after_mib: afterFirst, rss_after_second_pass_mib: afterSecond };
  } finally {
    await t.stop();
  }
}

/** The guest's own figures from the Go host: ns per hit and miss, memory pages, allocations. */
function guest() {
  const bench = run("go", ["-C", "test/gohost", "test", "-run", "^$",
    "-bench", "^Benchmark(Hit1KiB|Hit64KiB|MissStore1KiB|SharedHitFront1KiB|SharedHitFile1KiB|SharedMissStore1KiB|HitVary1KiB|NotModifiedFromStore|Revalidated1KiB)$",
    "-benchmem", "-count", String(ROUNDS), "-benchtime", QUICK ? "0.5s" : "2s"]);
  const ns = (name) => median([...bench.matchAll(new RegExp(`Benchmark${name}-\\d+\\s+\\d+\\s+([\\d.]+) ns/op`, "g"))]
    .map((m) => Number(m[1])));
  const tests = run("go", ["-C", "test/gohost", "test", "-count=1", "-v", "-run",
    "TestInstanceMemoryWithinLimit|TestHitPathAllocatesNothingInTheGuest"]);
  const pages = tests.match(/memory_pages_max=(\d+) memory_limit_pages=(\d+)/);
  const allocs = /--- PASS: TestHitPathAllocatesNothingInTheGuest/.test(tests) ? 0 : null;
  return {
    hit_1k_ns: ns("Hit1KiB"), hit_64k_ns: ns("Hit64KiB"), miss_store_1k_ns: ns("MissStore1KiB"),
    shared_hit_front_ns: ns("SharedHitFront1KiB"), shared_hit_file_ns: ns("SharedHitFile1KiB"),
    shared_miss_store_ns: ns("SharedMissStore1KiB"),
    hit_vary_ns: ns("HitVary1KiB"), not_modified_ns: ns("NotModifiedFromStore"), revalidated_ns: ns("Revalidated1KiB"),
    hit_allocs: allocs, memory_pages_max: Number(pages[1]), memory_limit_pages: Number(pages[2]),
  };
}

function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? "unknown"}`,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    traefik: TRAEFIK_VERSION,
    go: run("go", ["version"]).trim(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, n) => {
    const line = r.map((c, i) => String(c).padEnd(widths[i])).join("  ");
    return n === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
  }).join("\n");
}

const fmt = (x, digits = 0) => (x == null ? "n/a" : Number(x).toFixed(digits));

async function main() {
  ensureWrk();
  ensureTraefik();
  buildTools();
  const origin = await startOrigin();
  const extraRouters = {
    proxy: { entryPoints: ["web"], rule: "Host(`proxy.bench`)", priority: 10, service: "origin" },
  };
  // The default setup (tmpfs when the machine has it: what a Kubernetes emptyDir with medium:
  // Memory is), and the memory store only (nothing mounted).
  const def = await startDefault(origin, extraRouters);
  log(`default setup: ${def.store}`);
  const memoryT = await startTraefik({ origin: origin.url, pluginConfig: { maxTtl: "1h" }, env: TRAEFIK_ENV });
  const ceilingT = await startTraefik({ origin: origin.url, wasmPath: join(BUILD, "ceiling.wasm"), env: TRAEFIK_ENV });
  let tp, sc;
  try {
    tp = await throughput(def.t, memoryT, ceilingT, origin);
    sc = await scenario(def.t, memoryT, origin);
  } finally {
    await def.t.stop();
    await memoryT.stop();
    await ceilingT.stop();
    rmSync(def.dir, { recursive: true, force: true });
  }
  const mem = await memory(origin);
  origin.stop();
  const g = guest();

  const cut = 1 - sc.cached.backend_rps / sc.uncached.backend_rps;
  const memoryCut = 1 - sc.memory.backend_rps / sc.uncached.backend_rps;
  const figures = {
    mode: QUICK ? "quick" : "full",
    default_store: def.store,
    ceiling_rps: tp.ceiling.rps, hit_rps: tp.hit.rps, proxy_rps: tp.proxy.rps, passthrough_rps: tp.passthrough.rps,
    hit_64k_rps: tp.hit_64k.rps, hit_1m_rps: tp.hit_1m.rps,
    hit_p50_ms: tp.hit.p50, hit_p99_ms: tp.hit.p99, ceiling_p50_ms: tp.ceiling.p50, ceiling_p99_ms: tp.ceiling.p99, proxy_p99_ms: tp.proxy.p99,
    hit_vs_ceiling: tp.hit.rps / tp.ceiling.rps, hit_vs_proxy: tp.hit.rps / tp.proxy.rps,
    hit_rps_memory: tp.hit_memory.rps, hit_p50_ms_memory: tp.hit_memory.p50, hit_p99_ms_memory: tp.hit_memory.p99,
    hit_memory_vs_ceiling: tp.hit_memory.rps / tp.ceiling.rps,
    passthrough_vs_proxy: tp.passthrough.rps / tp.proxy.rps,
    // Origin requests and Traefik's Go GCs per second during each case's measured runs.
    ceiling_gc_rps: tp.ceiling.gc_rps, hit_gc_rps: tp.hit.gc_rps, hit_origin_rps: tp.hit.origin_rps,
    hit_memory_gc_rps: tp.hit_memory.gc_rps, hit_memory_origin_rps: tp.hit_memory.origin_rps,
    hit_64k_origin_rps: tp.hit_64k.origin_rps, hit_1m_origin_rps: tp.hit_1m.origin_rps,
    scenario_rate: SCENARIO.rate, scenario_keys: SCENARIO.keys,
    scenario_p50_ms: sc.cached.p50_ms, scenario_p99_ms: sc.cached.p99_ms,
    scenario_uncached_p50_ms: sc.uncached.p50_ms, scenario_uncached_p99_ms: sc.uncached.p99_ms,
    scenario_backend_rps: sc.cached.backend_rps, scenario_uncached_backend_rps: sc.uncached.backend_rps,
    scenario_backend_cut: cut, scenario_ideal_backend_cut: sc.cached.ideal_cut,
    scenario_memory_p50_ms: sc.memory.p50_ms, scenario_memory_p99_ms: sc.memory.p99_ms,
    scenario_memory_backend_rps: sc.memory.backend_rps, scenario_memory_backend_cut: memoryCut,
    scenario_memory_ideal_backend_cut: sc.memory.ideal_cut,
    scenario_errors: sc.cached.errors + sc.memory.errors + sc.uncached.errors,
    guest_hit_ns: g.hit_1k_ns, guest_hit_64k_ns: g.hit_64k_ns, guest_miss_store_ns: g.miss_store_1k_ns,
    guest_shared_hit_front_ns: g.shared_hit_front_ns, guest_shared_hit_file_ns: g.shared_hit_file_ns,
    guest_shared_miss_store_ns: g.shared_miss_store_ns,
    guest_hit_vary_ns: g.hit_vary_ns, guest_not_modified_ns: g.not_modified_ns, guest_revalidated_ns: g.revalidated_ns,
    guest_hit_allocs: g.hit_allocs, memory_pages_max: g.memory_pages_max, memory_limit_pages: g.memory_limit_pages,
    rss_before_mib: mem.rss_before_mib, rss_after_mib: mem.rss_after_mib, rss_after_second_pass_mib: mem.rss_after_second_pass_mib,
    machine: machine(),
  };

  const row = (label, r, target = "") => [label, fmt(r.rps), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.origin_rps, 1), fmt(r.gc_rps, 1), target];
  const rows = [
    ["case", "req/s", "p50 ms", "p99 ms", "origin req/s", "Go GC/s", "target"],
    row("ceiling (fixed-answer guest)", tp.ceiling),
    row("hit 1 KiB (default: shared store)", tp.hit,
      `${fmt(figures.hit_vs_ceiling, 2)}× ceiling (≥ 0.90), ${fmt(figures.hit_vs_proxy, 2)}× proxy (≥ 1.5)`),
    row("hit 1 KiB (memory store only)", tp.hit_memory, `${fmt(figures.hit_memory_vs_ceiling, 2)}× ceiling`),
    row("proxy (Traefik alone)", tp.proxy),
    row("pass-through (no-store)", tp.passthrough, `${fmt(figures.passthrough_vs_proxy, 2)}× proxy (≥ 0.90)`),
    row("hit 64 KiB (default)", tp.hit_64k),
    row("hit 1 MiB (default)", tp.hit_1m),
  ];
  const firstSight = (1 - sc.cached.ideal_cut) * 100;
  const scenarioRows = [
    ["scenario (45 ms origin)", "p50 ms", "p99 ms", "backend req/s", "target"],
    [`default (shared store), ${SCENARIO.rate} req/s`, fmt(sc.cached.p50_ms, 2), fmt(sc.cached.p99_ms, 2), fmt(sc.cached.backend_rps, 1),
      `backend cut ${fmt(cut * 100, 1)} % (≥ 90; perfect: ${fmt(sc.cached.ideal_cut * 100, 1)} %), p50 < 1` +
      (firstSight >= 1 ? `; p99 is the origin's: ${fmt(firstSight, 1)} % of requests are first sight` : ", p99 < 5")],
    [`memory store only, ${SCENARIO.rate} req/s`, fmt(sc.memory.p50_ms, 2), fmt(sc.memory.p99_ms, 2), fmt(sc.memory.backend_rps, 1),
      `backend cut ${fmt(memoryCut * 100, 1)} % (perfect: ${fmt(sc.memory.ideal_cut * 100, 1)} %)`],
    [`without cache, ${SCENARIO.rate} req/s`, fmt(sc.uncached.p50_ms, 2), fmt(sc.uncached.p99_ms, 2), fmt(sc.uncached.backend_rps, 1), ""],
  ];
  const guestRows = [
    ["guest (Go host, no sockets)", "value", "target"],
    ["memory store: hit 1 KiB", `${fmt(g.hit_1k_ns)} ns`, "≤ 5000 ns"],
    ["memory store: hit 64 KiB", `${fmt(g.hit_64k_ns)} ns`, ""],
    ["memory store: miss and store 1 KiB", `${fmt(g.miss_store_1k_ns)} ns`, ""],
    ["shared store (tmpfs): hit 1 KiB from the memory front", `${fmt(g.shared_hit_front_ns)} ns`, ""],
    ["shared store (tmpfs): hit 1 KiB from the file", `${fmt(g.shared_hit_file_ns)} ns`, ""],
    ["shared store (tmpfs): miss and store 1 KiB", `${fmt(g.shared_miss_store_ns)} ns`, ""],
    ["hit 1 KiB through a Vary marker (two lookups)", `${fmt(g.hit_vary_ns)} ns`, ""],
    ["304 from the store to a client's If-None-Match", `${fmt(g.not_modified_ns)} ns`, ""],
    ["stale 1 KiB revalidated: backend 304, freshened, stored", `${fmt(g.revalidated_ns)} ns`, "below miss and store"],
    ["guest allocations per hit", fmt(g.hit_allocs), "0"],
    ["instance memory, 10× limit streamed", `${g.memory_pages_max} pages (limit ${g.memory_limit_pages})`, "≤ limit + 10 %"],
    ["Traefik RSS, 10× memory limit streamed twice", `${fmt(mem.rss_before_mib)} → ${fmt(mem.rss_after_mib)} → ${fmt(mem.rss_after_second_pass_mib)} MiB`, "flat after warm-up"],
  ];
  const text = [table(rows), table(scenarioRows), table(guestRows)].join("\n\n");
  console.log(`\n${text}\n`);
  console.log(`BENCH_JSON ${JSON.stringify(figures)}`);

  if (!QUICK) {
    const m = figures.machine;
    writeFileSync(join(ROOT, "bench", "RESULTS.md"), [
      "# Benchmark results",
      "",
      `\`npm run bench\` on ${m.date}: ${m.cpu}, ${m.memory_gib} GiB; Traefik ${m.traefik}; ${m.go}; Node ${m.node}.`,
      `Throughput: wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per case, ${ROUNDS} interleaved rounds (median).`,
      `Load generator, Traefik and origin share the machine's cores, so ratios matter more than absolute numbers.`,
      "",
      "```", text, "```", "",
      "```", `BENCH_JSON ${JSON.stringify(figures)}`, "```", "",
    ].join("\n"));
    log("wrote bench/RESULTS.md");
  }
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
