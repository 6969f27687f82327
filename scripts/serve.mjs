// npm run serve -- --origin http://127.0.0.1:8080 --listen 127.0.0.1:8000 [--config cache.yaml]
//
// Runs the real Traefik in the foreground with the httpcache plugin (build/plugin.wasm) on a
// catch-all router in front of --origin. Traefik's log goes to stdout. Ctrl-C stops it.
//
// The cache's store: a directory mounted into the plugin at /cache (settings.mounts), which the
// plugin finds on its own, so every plugin instance shares one cache. By default the directory is
// ${TRAEFIK_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/traefik-httpcache}/serve/<host-port>-<hash>/, one
// per origin (the hash is of the normalised origin, so http:// and https:// of one host, or two
// ports, never share entries), kept across serve restarts. --store-dir picks the directory,
// --memory-only mounts none and sets store.shared: false (memory only, on purpose: no warning).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { DEFAULT_WASM, ensureTraefik, ensureWasm, startTraefik } from "./lib/traefik.mjs";

const USAGE = `usage: npm run serve -- --origin URL [--listen HOST:PORT] [--config FILE] [options]

  --origin URL          backend to cache, e.g. http://127.0.0.1:8080 (required)
  --listen HOST:PORT    where Traefik listens (default 127.0.0.1:8000; port 0 = any free port)
  --config FILE         plugin configuration, YAML or JSON (see README "Configuration")
  --store-dir DIR       directory of the cache's store, mounted into the plugin at /cache (or at the
                        store.shared.path of --config); created if missing. Default: one directory per
                        origin under ~/.cache/traefik-httpcache/serve/ (moved by $XDG_CACHE_HOME or
                        $TRAEFIK_CACHE_DIR), kept across restarts: delete it to start cold
  --memory-only         no store directory: each plugin instance keeps its own entries in memory
                        (sets store.shared: false), so a URL can miss once per instance
  --mount HOST:GUEST    directory mounted into the plugin (settings.mounts; repeatable; ":ro" suffix
                        allowed); a mount at /cache is used as the store instead of the default one
  --env NAME            environment variable forwarded to the plugin (settings.envs; repeatable)
  --log-level LEVEL     Traefik log level: DEBUG, INFO (default), WARN, ERROR
  --access-log          print Traefik's access log too
  --wasm FILE           plugin module (default build/plugin.wasm, built with npm run build if missing)
  -h, --help            this help`;

function fail(msg) {
  console.error(`serve: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { listen: "127.0.0.1:8000", mounts: [], envs: [], logLevel: "INFO", accessLog: false, memoryOnly: false };
  const withValue = new Set(["--origin", "--listen", "--config", "--store-dir", "--mount", "--env", "--log-level", "--wasm"]);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (arg === "-h" || arg === "--help") { console.log(USAGE); process.exit(0); }
    if (arg === "--access-log" && value === undefined) { opts.accessLog = true; continue; }
    if (arg === "--memory-only" && value === undefined) { opts.memoryOnly = true; continue; }
    if (!withValue.has(arg)) fail(`unknown argument ${JSON.stringify(argv[i])}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith("--")) fail(`${arg} needs a value`);
    }
    switch (arg) {
      case "--origin": opts.origin = value; break;
      case "--listen": opts.listen = value; break;
      case "--config": opts.config = value; break;
      case "--store-dir": opts.storeDir = value; break;
      case "--mount": opts.mounts.push(value); break;
      case "--env": opts.envs.push(value); break;
      case "--log-level": opts.logLevel = value.toUpperCase(); break;
      case "--wasm": opts.wasm = value; break;
    }
  }
  return opts;
}

function checkOrigin(origin) {
  if (!origin) fail("--origin is required");
  let u;
  try { u = new URL(origin); } catch { fail(`--origin ${JSON.stringify(origin)} is not a URL (want e.g. http://127.0.0.1:8080)`); }
  if (u.protocol !== "http:" && u.protocol !== "https:") fail(`--origin must be http:// or https:// (got ${u.protocol})`);
  if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash) fail(`--origin must be scheme://host[:port] with no path or query (got ${origin})`);
  return `${u.protocol}//${u.host}`;
}

function checkListen(listen) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[3]) > 65535) fail(`--listen ${JSON.stringify(listen)} is not HOST:PORT (e.g. 127.0.0.1:8000)`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function readConfig(file) {
  if (!file) return {};
  const path = resolve(file);
  if (!existsSync(path)) fail(`--config ${file}: no such file`);
  let cfg;
  try {
    cfg = YAML.parse(readFileSync(path, "utf8")); // YAML is a superset of JSON
  } catch (e) {
    fail(`--config ${file}: not valid YAML or JSON: ${e.message}`);
  }
  if (cfg == null) return {};
  if (typeof cfg !== "object" || Array.isArray(cfg)) fail(`--config ${file}: the plugin configuration must be a mapping of keys (e.g. "maxTtl: 60s"), got ${Array.isArray(cfg) ? "a list" : typeof cfg}`);
  return cfg;
}

function checkMount(m) {
  const parts = m.replace(/:ro$/, "").split(":");
  if (parts.length > 2 || !parts[0]) fail(`--mount ${JSON.stringify(m)} is not HOSTDIR[:GUESTDIR][:ro]`);
  const host = resolve(parts[0]);
  if (!existsSync(host)) fail(`--mount ${m}: host directory ${host} does not exist`);
  return [host, ...parts.slice(1)].join(":") + (m.endsWith(":ro") ? ":ro" : "");
}

/** Guest directory of a settings.mounts entry ("host[:guest][:ro]"; host alone = same path), as "/a/b". */
const guestOf = (m) => {
  const parts = m.replace(/:ro$/, "").split(":");
  return normDir(parts[1] ?? parts[0]);
};
const normDir = (d) => "/" + String(d).replace(/^\.?\/+/, "").replace(/\/+$/, "");
const STORE_GUEST = "/cache";

/** What the configuration says about store.shared: "off" (false), a guest path, or undefined (auto). */
function sharedSetting(cfg) {
  const shared = cfg?.store?.shared;
  if (shared === false || (typeof shared === "string" && shared.trim().toLowerCase() === "false")) return "off";
  if (shared && typeof shared === "object" && shared.path != null && String(shared.path).trim() !== "") return normDir(String(shared.path).trim());
  return undefined;
}

/** The default store directory of an origin: readable, and unique per normalised origin. */
function defaultStoreDir(origin) {
  const base = process.env.TRAEFIK_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "traefik-httpcache");
  const u = new URL(origin);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const name = `${u.hostname}-${port}`.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "origin";
  const hash = createHash("sha256").update(origin).digest("hex").slice(0, 8);
  return join(base, "serve", `${name}-${hash}`);
}

function ensureDir(dir, what) {
  if (dir.includes(":")) fail(`${what} ${dir}: a mounted directory's path cannot contain ":" (settings.mounts is host:guest)`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail(`${what} ${dir}: cannot create it: ${e.message}`);
  }
  if (!statSync(dir).isDirectory()) fail(`${what} ${dir} is not a directory`);
  return dir;
}

/**
 * Decides the store: returns { mounts, pluginConfig, store } where store says, for the start-up
 * lines, where entries live.
 */
function chooseStore(opts, origin, pluginConfig, mounts) {
  const setting = sharedSetting(pluginConfig);
  if (opts.memoryOnly) {
    if (opts.storeDir) fail("--memory-only and --store-dir exclude each other");
    if (setting !== undefined && setting !== "off") fail(`--memory-only, but --config sets store.shared.path ${setting}`);
    const store = { ...(pluginConfig.store ?? {}), shared: false };
    return { mounts, pluginConfig: { ...pluginConfig, store }, store: "memory only (--memory-only): each plugin instance has its own entries" };
  }
  if (setting === "off") return { mounts, pluginConfig, store: "memory only (store.shared: false in --config): each plugin instance has its own entries" };
  // The guest directory the plugin will use: the configured path, else /cache, which the plugin
  // picks among any number of mounts (other --mount directories are passed as well).
  const guest = setting ?? STORE_GUEST;
  const at = mounts.find((m) => guestOf(m) === guest);
  if (opts.storeDir) {
    if (at) fail(`--store-dir and --mount ${at} both give ${guest}`);
    const dir = ensureDir(resolve(opts.storeDir), "--store-dir");
    return { mounts: [...mounts, `${dir}:${guest}`], pluginConfig, store: `${dir} (mounted at ${guest})` };
  }
  if (at) return { mounts, pluginConfig, store: `${at.split(":")[0]} (--mount at ${guest})` };
  if (setting !== undefined) {
    // Named in the configuration but not mounted: the plugin would answer every request with 500.
    fail(`--config sets store.shared.path ${setting}, which is not mounted: add --mount HOSTDIR:${setting} (or --store-dir DIR)`);
  }
  const dir = ensureDir(defaultStoreDir(origin), "store directory");
  return { mounts: [...mounts, `${dir}:${STORE_GUEST}`], pluginConfig, store: `${dir} (mounted at ${STORE_GUEST}; kept across restarts, one per origin; delete it to start cold)` };
}

function portFree(host, port) {
  if (port === 0) return Promise.resolve(true);
  return new Promise((res) => {
    const s = net.createServer();
    s.once("error", () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

const opts = parseArgs(process.argv.slice(2));
const origin = checkOrigin(opts.origin);
const { host, port } = checkListen(opts.listen);
const { mounts, pluginConfig, store } = chooseStore(opts, origin, readConfig(opts.config), opts.mounts.map(checkMount));
for (const e of opts.envs) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e)) fail(`--env ${JSON.stringify(e)} is not an environment variable name`);
if (!["DEBUG", "INFO", "WARN", "ERROR"].includes(opts.logLevel)) fail(`--log-level must be DEBUG, INFO, WARN or ERROR (got ${opts.logLevel})`);
if (!(await portFree(host, port))) fail(`cannot listen on ${opts.listen}: address in use or not available`);

const wasmPath = resolve(opts.wasm ?? DEFAULT_WASM);
try {
  ensureWasm(wasmPath);
} catch (e) {
  console.error(`serve: ${e.message}`);
  process.exit(1);
}
let traefikBin;
try {
  traefikBin = ensureTraefik();
} catch (e) {
  console.error(`serve: could not build or find Traefik: ${e.message}`);
  process.exit(1);
}

let t;
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`\nserve: ${signal}, stopping Traefik`);
  if (t) await t.stop();
  process.exit(0);
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGHUP", () => shutdown("SIGHUP"));

try {
  t = await startTraefik({
    origin,
    listen: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    pluginConfig,
    wasmPath,
    mounts,
    envs: opts.envs,
    logLevel: opts.logLevel,
    accessLog: opts.accessLog,
    traefikBin,
    onLog: (s) => process.stdout.write(s),
  });
} catch (e) {
  if (stopping) process.exit(0);
  console.error(`serve: Traefik did not start: ${e.message}`);
  process.exit(1);
}
if (stopping) process.exit(0);

console.log(`\nserve: Traefik ${traefikBin}`);
console.log(`serve: plugin ${wasmPath} with config ${JSON.stringify(pluginConfig)}`);
console.log(`serve: store ${store}`);
console.log(`serve: caching ${origin} at ${t.url}/  (Ctrl-C to stop)\n`);

const { code, signal } = await t.exited;
if (!stopping) {
  console.error(`serve: Traefik exited unexpectedly (${signal ?? "code " + code})`);
  await t.stop();
  process.exit(code || 1);
}
