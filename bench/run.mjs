// npm run bench [-- --quick]
//
// Measures, side by side in one run, the real Traefik:
//   ceiling      a minimal wasm guest that answers a fixed 1 KiB body itself (the fastest any wasm
//                cache can be in Traefik)
//   hit          our plugin answering from its memory store (1 KiB, 64 KiB, 1 MiB bodies)
//   hit_shared   the same with the shared store (a tmpfs directory, like an emptyDir in memory)
//   proxy        Traefik alone forwarding to a fast local origin
//   passthrough  our plugin in front of uncacheable (no-store) responses
//   scenario     an origin with 45 ms latency at a fixed request rate, Zipf-distributed product
//                URLs, with the memory store, with the shared store, and without a cache:
//                p50, p99, backend requests per second
//   memory       Traefik's RSS while distinct keys totalling 10 × store.memory.limit stream through,
//                and the guest's memory pages per instance (Go host)
//   guest        the guest's own cost per hit and per stored miss, a Vary hit, a 304 from the
//                store, a revalidation answered 304, without sockets (Go testing.B)
// Throughput cases are interleaved and repeated; each figure is the median of the rounds.
// Prints a table, then one line `BENCH_JSON {...}`. A full run also writes bench/RESULTS.md.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
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

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
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
  return { url: `http://${address}`, stop: () => proc.kill("SIGTERM") };
}

/** Runs wrk; returns requests/s and latency percentiles in ms. */
function wrk(url, seconds, host) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency"];
  if (host) args.push("-H", `Host: ${host}`);
  const out = run("wrk", [...args, url]);
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

async function throughput(cacheT, sharedT, ceilingT) {
  const cases = [
    { name: "ceiling", url: `${ceilingT.url}/fixed/1024` },
    { name: "hit", url: `${cacheT.url}/fixed/1024` },
    { name: "hit_shared", url: `${sharedT.url}/fixed/1024` },
    { name: "proxy", url: `${cacheT.url}/fixed/1024`, host: "proxy.bench" },
    { name: "passthrough", url: `${cacheT.url}/nostore/1024` },
    { name: "hit_64k", url: `${cacheT.url}/fixed/65536` },
    { name: "hit_1m", url: `${cacheT.url}/fixed/1048576` },
  ];
  // Warm every instance the connections will use (the memory store is per instance).
  for (const c of cases) wrk(c.url, 1, c.host);
  const results = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      const r = wrk(c.url, SECONDS, c.host);
      if (r.non2xx) throw new Error(`${c.name}: ${r.non2xx} non-2xx answers`);
      results[c.name].push(r);
      log(`round ${round} ${c.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms`);
    }
  }
  return Object.fromEntries(Object.entries(results).map(([name, rs]) => [name, {
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
  }]));
}

/** Runs the warm-up and the measured part in one go (the tool counts keys a perfect cache knows). */
function scenarioRun(url, host, origin) {
  const args = ["scenario", "-url", url, "-rate", String(SCENARIO.rate), "-duration", `${SCENARIO.seconds}s`,
    "-warmup", `${SCENARIO.warmSeconds}s`, "-warmup-rate", String(SCENARIO.warmRate), "-keys", String(SCENARIO.keys), "-zipf", "1.1", "-seed", "1",
    "-origin-stats", `${origin.url}/stats`];
  if (host) args.push("-host", host);
  return JSON.parse(run(join(BUILD, "benchtool"), args));
}

/** The user's scenario, with the cache and without it; backend load counted in the measured part. */
async function scenario(cacheT, sharedT, origin) {
  const out = {};
  for (const [name, t, host] of [["cached", cacheT, undefined], ["shared", sharedT, undefined], ["uncached", cacheT, "proxy.bench"]]) {
    const r = scenarioRun(t.url, host, origin);
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
  const cacheT = await startTraefik({ origin: origin.url, pluginConfig: { maxTtl: "1h" }, extraRouters });
  // tmpfs when the machine has it: what a Kubernetes emptyDir with medium: Memory is.
  const sharedDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "httpcache-bench-"));
  const sharedT = await startTraefik({
    origin: origin.url, mounts: [`${sharedDir}:/cache`],
    pluginConfig: { maxTtl: "1h", store: { shared: { path: "/cache", limit: "256Mi" } } },
  });
  const ceilingT = await startTraefik({ origin: origin.url, wasmPath: join(BUILD, "ceiling.wasm") });
  let tp, sc;
  try {
    tp = await throughput(cacheT, sharedT, ceilingT);
    sc = await scenario(cacheT, sharedT, origin);
  } finally {
    await cacheT.stop();
    await sharedT.stop();
    await ceilingT.stop();
    rmSync(sharedDir, { recursive: true, force: true });
  }
  const mem = await memory(origin);
  origin.stop();
  const g = guest();

  const cut = 1 - sc.cached.backend_rps / sc.uncached.backend_rps;
  const sharedCut = 1 - sc.shared.backend_rps / sc.uncached.backend_rps;
  const figures = {
    mode: QUICK ? "quick" : "full",
    ceiling_rps: tp.ceiling.rps, hit_rps: tp.hit.rps, proxy_rps: tp.proxy.rps, passthrough_rps: tp.passthrough.rps,
    hit_64k_rps: tp.hit_64k.rps, hit_1m_rps: tp.hit_1m.rps, hit_shared_rps: tp.hit_shared.rps, hit_shared_vs_ceiling: tp.hit_shared.rps / tp.ceiling.rps,
    hit_p50_ms: tp.hit.p50, hit_p99_ms: tp.hit.p99, ceiling_p99_ms: tp.ceiling.p99, proxy_p99_ms: tp.proxy.p99,
    hit_vs_ceiling: tp.hit.rps / tp.ceiling.rps, hit_vs_proxy: tp.hit.rps / tp.proxy.rps,
    passthrough_vs_proxy: tp.passthrough.rps / tp.proxy.rps,
    scenario_rate: SCENARIO.rate, scenario_keys: SCENARIO.keys,
    scenario_p50_ms: sc.cached.p50_ms, scenario_p99_ms: sc.cached.p99_ms,
    scenario_uncached_p50_ms: sc.uncached.p50_ms, scenario_uncached_p99_ms: sc.uncached.p99_ms,
    scenario_backend_rps: sc.cached.backend_rps, scenario_uncached_backend_rps: sc.uncached.backend_rps,
    scenario_backend_cut: cut, scenario_ideal_backend_cut: sc.cached.ideal_cut,
    scenario_shared_p50_ms: sc.shared.p50_ms, scenario_shared_p99_ms: sc.shared.p99_ms,
    scenario_shared_backend_rps: sc.shared.backend_rps, scenario_shared_backend_cut: sharedCut,
    scenario_shared_ideal_backend_cut: sc.shared.ideal_cut,
    scenario_errors: sc.cached.errors + sc.shared.errors + sc.uncached.errors,
    guest_hit_ns: g.hit_1k_ns, guest_hit_64k_ns: g.hit_64k_ns, guest_miss_store_ns: g.miss_store_1k_ns,
    guest_shared_hit_front_ns: g.shared_hit_front_ns, guest_shared_hit_file_ns: g.shared_hit_file_ns,
    guest_shared_miss_store_ns: g.shared_miss_store_ns,
    guest_hit_vary_ns: g.hit_vary_ns, guest_not_modified_ns: g.not_modified_ns, guest_revalidated_ns: g.revalidated_ns,
    guest_hit_allocs: g.hit_allocs, memory_pages_max: g.memory_pages_max, memory_limit_pages: g.memory_limit_pages,
    rss_before_mib: mem.rss_before_mib, rss_after_mib: mem.rss_after_mib, rss_after_second_pass_mib: mem.rss_after_second_pass_mib,
    machine: machine(),
  };

  const rows = [
    ["case", "req/s", "p50 ms", "p99 ms", "target"],
    ["ceiling (fixed-answer guest)", fmt(tp.ceiling.rps), fmt(tp.ceiling.p50, 2), fmt(tp.ceiling.p99, 2), ""],
    ["hit 1 KiB (memory store)", fmt(tp.hit.rps), fmt(tp.hit.p50, 2), fmt(tp.hit.p99, 2),
      `${fmt(figures.hit_vs_ceiling, 2)}× ceiling (≥ 0.90), ${fmt(figures.hit_vs_proxy, 2)}× proxy (≥ 1.5)`],
    ["hit 1 KiB (shared store, tmpfs)", fmt(tp.hit_shared.rps), fmt(tp.hit_shared.p50, 2), fmt(tp.hit_shared.p99, 2),
      `${fmt(figures.hit_shared_vs_ceiling, 2)}× ceiling`],
    ["proxy (Traefik alone)", fmt(tp.proxy.rps), fmt(tp.proxy.p50, 2), fmt(tp.proxy.p99, 2), ""],
    ["pass-through (no-store)", fmt(tp.passthrough.rps), fmt(tp.passthrough.p50, 2), fmt(tp.passthrough.p99, 2),
      `${fmt(figures.passthrough_vs_proxy, 2)}× proxy (≥ 0.90)`],
    ["hit 64 KiB", fmt(tp.hit_64k.rps), fmt(tp.hit_64k.p50, 2), fmt(tp.hit_64k.p99, 2), ""],
    ["hit 1 MiB", fmt(tp.hit_1m.rps), fmt(tp.hit_1m.p50, 2), fmt(tp.hit_1m.p99, 2), ""],
  ];
  const scenarioRows = [
    ["scenario (45 ms origin)", "p50 ms", "p99 ms", "backend req/s", "target"],
    [`memory store, ${SCENARIO.rate} req/s`, fmt(sc.cached.p50_ms, 2), fmt(sc.cached.p99_ms, 2), fmt(sc.cached.backend_rps, 1),
      `backend cut ${fmt(cut * 100, 1)} % (≥ 90; a perfect shared cache: ${fmt(sc.cached.ideal_cut * 100, 1)} %), p50 < 1, p99 < 5`],
    [`shared store, ${SCENARIO.rate} req/s`, fmt(sc.shared.p50_ms, 2), fmt(sc.shared.p99_ms, 2), fmt(sc.shared.backend_rps, 1),
      `backend cut ${fmt(sharedCut * 100, 1)} % (perfect: ${fmt(sc.shared.ideal_cut * 100, 1)} %)`],
    [`without cache, ${SCENARIO.rate} req/s`, fmt(sc.uncached.p50_ms, 2), fmt(sc.uncached.p99_ms, 2), fmt(sc.uncached.backend_rps, 1), ""],
  ];
  const guestRows = [
    ["guest (Go host, no sockets)", "value", "target"],
    ["hit 1 KiB", `${fmt(g.hit_1k_ns)} ns`, "≤ 5000 ns"],
    ["hit 64 KiB", `${fmt(g.hit_64k_ns)} ns`, ""],
    ["miss and store 1 KiB", `${fmt(g.miss_store_1k_ns)} ns`, ""],
    ["shared store (tmpfs): hit 1 KiB from the memory front", `${fmt(g.shared_hit_front_ns)} ns`, ""],
    ["shared store (tmpfs): hit 1 KiB from the file", `${fmt(g.shared_hit_file_ns)} ns`, ""],
    ["shared store (tmpfs): miss and store 1 KiB", `${fmt(g.shared_miss_store_ns)} ns`, ""],
    ["hit 1 KiB through a Vary marker (two lookups)", `${fmt(g.hit_vary_ns)} ns`, ""],
    ["304 from the store to a client's If-None-Match", `${fmt(g.not_modified_ns)} ns`, ""],
    ["stale 1 KiB revalidated: backend 304, freshened, stored", `${fmt(g.revalidated_ns)} ns`, "below miss and store"],
    ["guest allocations per hit", fmt(g.hit_allocs), "0"],
    ["instance memory, 10× limit streamed", `${g.memory_pages_max} pages (limit ${g.memory_limit_pages})`, "≤ limit + 10 %"],
    ["Traefik RSS, 10× limit streamed twice", `${fmt(mem.rss_before_mib)} → ${fmt(mem.rss_after_mib)} → ${fmt(mem.rss_after_second_pass_mib)} MiB`, "flat after warm-up"],
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
