// Runs the real Traefik with our wasm plugin installed as a LOCAL plugin, for the end-to-end tests,
// `npm run serve` and `npm run demo`.
//
//   const t = await startTraefik({ origin: "http://127.0.0.1:9000", pluginConfig: { maxTtl: "1" } });
//   await fetch(t.url + "/products");   // Traefik -> plugin "httpcache" -> origin
//   t.logs();                           // Traefik's log so far (includes the plugin's log lines)
//   await t.reload({ maxTtl: "5" });     // rewrites the dynamic file, resolves when it is live
//   await t.stop();                     // SIGTERM, then SIGKILL; removes the temp work dir
//   await t.kill();                     // SIGKILL at once (a crash), then the same clean-up
//
// Layout of the temp work dir (Traefik runs with it as cwd; local plugins are looked up in
// ./plugins-local/src/<moduleName>/):
//   plugins-local/src/github.com/traefik-httpcache/httpcache/{.traefik.yml,plugin.wasm}
//   traefik.yml            static configuration
//   dynamic/dynamic.yml    dynamic configuration (file provider, watched; alone in its directory
//                          so that nothing else written in the work dir triggers a reload)
//   traefik.log            everything Traefik wrote on stdout and stderr
//
// Readiness and reloads are detected without touching the cache: every dynamic configuration has
// a generation number, and a router on `/__httpcache_harness/gen` (served by Traefik's own
// ping@internal, with a headers middleware that adds `X-Httpcache-Harness-Gen: <n>`) tells which
// generation is live. Then one OPTIONS request to `/__httpcache_harness/ready?...` goes through the
// catch-all router (plugin + origin) to check that it is not Traefik's "no router" 404.
//
// GOMAXPROCS: Traefik keeps plugin instances in a Go sync.Pool, which is per P. With GOMAXPROCS > 1
// even strictly sequential requests are spread over several instances (one per P that served a
// request), and today's cache is per instance, so a URL can miss once per P before it hits. Tests
// that count backend calls pass `env: { GOMAXPROCS: "1" }`; serve and demo run Traefik as is.
//
// Nothing is left running when the parent exits: stop() on the normal path, a synchronous kill in
// process.on("exit"), and, for a parent killed by a signal (even SIGKILL), a detached watchdog shell
// that waits for EOF on a pipe from this process and then kills Traefik and removes the work dir.

import { spawn, execFileSync } from "node:child_process";
import {
  copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync,
  rmSync, writeFileSync,
} from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_WASM = join(ROOT, "build", "plugin.wasm");
export const PLUGIN_NAME = "httpcache";
export const MODULE_NAME = "github.com/traefik-httpcache/httpcache";
export const HARNESS_PREFIX = "/__httpcache_harness";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Prerequisites

let traefikBinCache;
/** Path of the Traefik binary; builds it (once, minutes) via scripts/build-traefik.sh if needed. */
export function ensureTraefik({ quiet = false } = {}) {
  if (process.env.TRAEFIK_BIN) return process.env.TRAEFIK_BIN;
  if (traefikBinCache && existsSync(traefikBinCache)) return traefikBinCache;
  const out = execFileSync("bash", [join(ROOT, "scripts", "build-traefik.sh")], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", quiet ? "pipe" : "inherit"],
    maxBuffer: 64 << 20,
  });
  const bin = out.trim().split("\n").pop();
  if (!bin || !existsSync(bin)) throw new Error(`build-traefik.sh did not produce a binary (got ${JSON.stringify(bin)})`);
  traefikBinCache = bin;
  return bin;
}

/** Builds build/plugin.wasm with `npm run build` when it is missing. Returns its path. */
export function ensureWasm(wasmPath = DEFAULT_WASM, { quiet = false } = {}) {
  if (existsSync(wasmPath)) return wasmPath;
  if (resolve(wasmPath) !== DEFAULT_WASM) throw new Error(`wasm module not found: ${wasmPath}`);
  if (!quiet) console.error(`traefik harness: ${wasmPath} is missing, running npm run build`);
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", quiet ? "pipe" : "inherit", "inherit"] });
  if (!existsSync(wasmPath)) throw new Error(`npm run build did not produce ${wasmPath}`);
  return wasmPath;
}

/**
 * The module's bytes, validated: a build that is writing the file right now (npm run build in
 * another terminal) would otherwise hand Traefik a truncated module. Retries for a few seconds.
 */
async function readWasm(path) {
  for (let i = 0; ; i++) {
    const bytes = readFileSync(path);
    if (WebAssembly.validate(bytes)) return bytes;
    if (i >= 10) return bytes; // let Traefik say what is wrong with it
    await sleep(300);
  }
}

/** A port that was free a moment ago on `host`. */
export function freePort(host = "127.0.0.1") {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function parseListen(listen) {
  if (listen == null) return { host: "127.0.0.1", port: 0 };
  if (typeof listen === "number") return { host: "127.0.0.1", port: listen };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(String(listen).trim());
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(listen)} (want HOST:PORT, e.g. 127.0.0.1:8000)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in listen address ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: nothing survives the parent.

const live = new Set(); // { proc, watchdog, workDir }
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const h of live) {
      try { h.proc.kill("SIGKILL"); } catch {}
      try { h.watchdog?.kill("SIGKILL"); } catch {}
      try { rmSync(h.workDir, { recursive: true, force: true }); } catch {}
    }
  });
}

function startWatchdog(pid, workDir) {
  // Reads stdin until EOF (this process died or closed the pipe), then kills Traefik and cleans up.
  const script = `read _ignored; kill -TERM ${pid} 2>/dev/null; i=0; ` +
    `while kill -0 ${pid} 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL ${pid} 2>/dev/null; rm -rf '${workDir.replace(/'/g, "'\\''")}'`;
  const wd = spawn("sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  wd.unref();
  wd.stdin.on("error", () => {});
  // Keep the pipe open but do not let it hold the event loop.
  wd.stdin.unref?.();
  return wd;
}

// ---------------------------------------------------------------------------------------------
// Tiny loopback HTTP client for probes.

function probe(url, { method = "GET", timeout = 2000, headers = {} } = {}) {
  return new Promise((res) => {
    const req = http.request(url, { method, agent: false, timeout, headers }, (r) => {
      const chunks = [];
      r.on("data", (c) => chunks.push(c));
      r.on("end", () => res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString("utf8") }));
      r.on("error", (e) => res({ error: e }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => res({ error: e }));
    req.end();
  });
}

const isTraefikNotFound = (r) =>
  r.status === 404 && r.body === "404 page not found\n" &&
  r.headers["x-cache-status"] === undefined && r.headers["cache-status"] === undefined;

// ---------------------------------------------------------------------------------------------
// Configuration files

function staticConfig({ host, port, logLevel, mounts, envs, accessLog, providersThrottle }) {
  const settings = {};
  if (mounts?.length) settings.mounts = [...mounts];
  if (envs?.length) settings.envs = [...envs];
  const local = { moduleName: MODULE_NAME };
  if (Object.keys(settings).length) local.settings = settings;
  const addr = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const cfg = {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: logLevel, noColor: true },
    entryPoints: {
      web: { address: addr, transport: { lifeCycle: { requestAcceptGraceTimeout: "0s", graceTimeOut: "1s" } } },
    },
    ping: { manualRouting: true },
    providers: {
      providersThrottleDuration: providersThrottle,
      file: { filename: "dynamic/dynamic.yml", watch: true },
    },
    experimental: {
      abortOnPluginFailure: true,
      localPlugins: { [PLUGIN_NAME]: local },
    },
  };
  if (accessLog) cfg.accessLog = { format: "common" };
  return cfg;
}

function dynamicConfig({ gen, origin, pluginConfig, extraRouters, extraMiddlewares, extraServices, passHostHeader }) {
  const pc = pluginConfig == null ? {} : pluginConfig;
  const cfg = {
    http: {
      routers: {
        cache: {
          entryPoints: ["web"],
          rule: "PathPrefix(`/`)",
          priority: 1,
          middlewares: ["cache"],
          service: "origin",
        },
        "harness-gen": {
          entryPoints: ["web"],
          rule: `Path(\`${HARNESS_PREFIX}/gen\`)`,
          priority: 100000,
          middlewares: ["harness-gen"],
          service: "ping@internal",
        },
        ...(extraRouters || {}),
      },
      middlewares: {
        cache: { plugin: { [PLUGIN_NAME]: pc } },
        "harness-gen": { headers: { customResponseHeaders: { "X-Httpcache-Harness-Gen": String(gen) } } },
        ...(extraMiddlewares || {}),
      },
      services: {
        origin: { loadBalancer: { passHostHeader, servers: [{ url: origin }] } },
        ...(extraServices || {}),
      },
    },
  };
  return cfg;
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts Traefik with the plugin in front of `origin`.
 *
 * @param {object} o
 * @param {string} o.origin            backend URL, e.g. "http://127.0.0.1:9000"
 * @param {string|number} [o.listen]   "HOST:PORT" (port 0 = pick a free port); default 127.0.0.1:0
 * @param {object} [o.pluginConfig]    the plugin's configuration (http.middlewares.cache.plugin.httpcache)
 * @param {string} [o.wasmPath]        default build/plugin.wasm (built with npm run build if missing)
 * @param {string[]} [o.mounts]        experimental.localPlugins.httpcache.settings.mounts ("host[:guest][:ro]")
 * @param {string[]} [o.envs]          ....settings.envs (names of env vars forwarded to the guest)
 * @param {object} [o.env]             extra environment for the Traefik process
 * @param {object} [o.extraRouters]    more routers (may use middleware "cache" and service "origin")
 * @param {object} [o.extraMiddlewares]
 * @param {object} [o.extraServices]
 * @param {string} [o.logLevel]        Traefik log level: DEBUG, INFO (default), WARN, ERROR
 * @param {boolean} [o.accessLog]      enable Traefik's access log (to the same output)
 * @param {boolean} [o.passHostHeader] default true: the origin sees the client's Host
 * @param {(chunk:string)=>void} [o.onLog]  called with every chunk Traefik writes (e.g. echo to stdout)
 * @param {number} [o.timeoutMs]       start timeout, default 30000
 * @param {string} [o.traefikBin]      default: $TRAEFIK_BIN, else scripts/build-traefik.sh (builds on first use)
 * @param {boolean} [o.keepWorkDir]    do not remove the work dir on stop() (debugging)
 * @returns {Promise<{url, port, pid, workDir, logs(): string, reload(cfg): Promise<void>, exited: Promise, stop(): Promise<void>, kill(signal?): Promise<void>}>}
 */
export async function startTraefik(o = {}) {
  if (!o.origin) throw new Error("startTraefik: origin is required");
  const origin = String(o.origin).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(origin)) throw new Error(`startTraefik: invalid origin URL ${JSON.stringify(o.origin)} (want http://host:port)`);
  const listen = parseListen(o.listen);
  const wasmPath = resolve(o.wasmPath ?? DEFAULT_WASM);
  ensureWasm(wasmPath);
  const bin = o.traefikBin ?? ensureTraefik();
  const attempts = listen.port === 0 ? 3 : 1;
  let lastErr;
  for (let i = 0; i < attempts; i++) {
    const port = listen.port === 0 ? await freePort(listen.host) : listen.port;
    try {
      return await startOnce({ ...o, origin, host: listen.host, port, wasmPath, bin });
    } catch (e) {
      lastErr = e;
      if (!e.addressInUse) throw e;
    }
  }
  throw lastErr;
}

async function startOnce(o) {
  installExitHook();
  const logLevel = String(o.logLevel ?? "INFO").toUpperCase();
  const timeoutMs = o.timeoutMs ?? 30000;
  const workDir = mkdtempSync(join(tmpdir(), "httpcache-traefik-"));
  const pluginDir = join(workDir, "plugins-local", "src", ...MODULE_NAME.split("/"));
  mkdirSync(pluginDir, { recursive: true });
  mkdirSync(join(workDir, "dynamic"));
  copyFileSync(join(ROOT, ".traefik.yml"), join(pluginDir, ".traefik.yml"));
  writeFileSync(join(pluginDir, "plugin.wasm"), await readWasm(o.wasmPath));

  const dynPath = join(workDir, "dynamic", "dynamic.yml");
  let gen = 1;
  const dynOpts = {
    origin: o.origin,
    extraRouters: o.extraRouters,
    extraMiddlewares: o.extraMiddlewares,
    extraServices: o.extraServices,
    passHostHeader: o.passHostHeader ?? true,
  };
  const writeDynamic = (pluginConfig) => {
    const tmp = dynPath + ".tmp";
    writeFileSync(tmp, YAML.stringify(dynamicConfig({ ...dynOpts, gen, pluginConfig })));
    renameSync(tmp, dynPath); // atomic: Traefik never reads a half-written file
  };
  let currentConfig = o.pluginConfig;
  writeDynamic(currentConfig);
  writeFileSync(join(workDir, "traefik.yml"), YAML.stringify(staticConfig({
    host: o.host, port: o.port, logLevel, mounts: o.mounts, envs: o.envs, accessLog: o.accessLog,
    providersThrottle: "200ms",
  })));

  const logPath = join(workDir, "traefik.log");
  const logFile = createWriteStream(logPath);
  let logText = "";
  const onChunk = (c) => {
    const s = c.toString("utf8");
    logText += s;
    logFile.write(s);
    if (o.onLog) o.onLog(s);
  };

  const proc = spawn(o.bin, ["--configFile=traefik.yml"], {
    cwd: workDir,
    env: { ...process.env, ...(o.env || {}) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group: a Ctrl-C in the terminal reaches only our process, which stops Traefik in order
  });
  proc.stdout.on("data", onChunk);
  proc.stderr.on("data", onChunk);
  let exited = null;
  const exitedP = new Promise((r) => proc.on("exit", (code, signal) => { exited = { code, signal }; r(exited); }));
  proc.on("error", (e) => { onChunk(`\n[harness] failed to spawn ${o.bin}: ${e.message}\n`); exited ??= { code: -1, signal: null }; });

  const handle = { proc, watchdog: null, workDir };
  if (proc.pid) handle.watchdog = startWatchdog(proc.pid, workDir);
  live.add(handle);

  const host = o.host.includes(":") ? `[${o.host}]` : o.host === "0.0.0.0" ? "127.0.0.1" : o.host;
  const url = `http://${host}:${o.port}`;
  const tail = (n = 60) => logText.split("\n").slice(-n).join("\n");

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try { handle.watchdog?.kill("SIGKILL"); } catch {}
    if (!exited) {
      try { proc.kill("SIGTERM"); } catch {}
      const t = setTimeout(() => { try { proc.kill("SIGKILL"); } catch {} }, 3000);
      await exitedP;
      clearTimeout(t);
    }
    live.delete(handle);
    await new Promise((r) => logFile.end(r));
    if (!o.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  };

  let probeSeq = 0;
  const waitLive = async (wantGen, deadline, what, since = 0) => {
    // 1. the harness router reports the wanted generation
    for (;;) {
      if (exited) throw failure(`Traefik exited (${exited.signal ?? "code " + exited.code}) ${what}`);
      if (/address already in use/i.test(logText)) throw failure(`Traefik cannot listen on ${o.host}:${o.port}: address already in use`);
      const r = await probe(`${url}${HARNESS_PREFIX}/gen`, { timeout: 1000 });
      if (!r.error && r.headers["x-httpcache-harness-gen"] === String(wantGen)) break;
      if (Date.now() > deadline) throw failure(`timed out ${what}: configuration generation ${wantGen} not live (last probe: ${r.error ? r.error.message : r.status + " gen=" + r.headers["x-httpcache-harness-gen"]})`);
      await sleep(50);
    }
    // 2. the catch-all router (plugin + origin) answers something other than Traefik's own 404
    for (;;) {
      if (exited) throw failure(`Traefik exited (${exited.signal ?? "code " + exited.code}) ${what}`);
      const r = await probe(`${url}${HARNESS_PREFIX}/ready?gen=${wantGen}&n=${++probeSeq}&t=${Date.now()}`, { method: "OPTIONS", timeout: 5000 });
      if (!r.error && !isTraefikNotFound(r)) return;
      if (!r.error) {
        // Traefik drops a router whose middleware fails to build (e.g. the guest does not
        // instantiate) and logs why: fail now rather than at the deadline.
        const bad = logText.slice(since).split("\n").find((l) => /\bERR\b/.test(l) && l.includes("routerName=cache@file"));
        if (bad) throw failure(`the cache router failed to build ${what}: ${bad}`);
      }
      if (Date.now() > deadline) throw failure(`timed out ${what}: the cache router does not answer (last probe: ${r.error ? r.error.message : r.status + " " + JSON.stringify(r.body)})`);
      await sleep(100);
    }
  };
  const failure = (msg) => {
    const e = new Error(`${msg}\n--- Traefik log (tail), work dir ${workDir} ---\n${tail()}`);
    if (/address already in use/i.test(logText)) e.addressInUse = true;
    return e;
  };

  try {
    await waitLive(gen, Date.now() + timeoutMs, "waiting for Traefik to start");
  } catch (e) {
    if (/address already in use/i.test(logText)) e.addressInUse = true;
    await stop();
    throw e;
  }

  return {
    url,
    port: o.port,
    workDir,
    pid: proc.pid,
    logs: () => logText,
    get pluginConfig() { return currentConfig; },
    /** Rewrites the dynamic configuration with a new plugin config; resolves once it is live. */
    async reload(newPluginConfig, { timeoutMs: t = 30000 } = {}) {
      if (stopped) throw new Error("reload after stop");
      gen += 1;
      currentConfig = newPluginConfig;
      const since = logText.length;
      writeDynamic(newPluginConfig);
      await waitLive(gen, Date.now() + t, "waiting for the reloaded configuration", since);
    },
    /** Resolves when the Traefik process exits (for foreground use). */
    exited: exitedP,
    stop,
    /**
     * Sends `signal` (default SIGKILL: no shutdown at all, as a crash or an OOM kill) to the
     * Traefik process, waits for it to exit, then cleans up like stop(). Requests in flight fail.
     */
    async kill(signal = "SIGKILL") {
      if (!stopped && !exited) { try { proc.kill(signal); } catch {} }
      await stop();
    },
  };
}
