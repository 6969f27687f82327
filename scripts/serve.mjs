// npm run serve -- --origin http://127.0.0.1:8080 --listen 127.0.0.1:8000 [--config cache.yaml]
//
// Runs the real Traefik in the foreground with the httpcache plugin (build/plugin.wasm) on a
// catch-all router in front of --origin. Traefik's log goes to stdout. Ctrl-C stops it.

import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { resolve } from "node:path";
import YAML from "yaml";
import { DEFAULT_WASM, ensureTraefik, ensureWasm, startTraefik } from "./lib/traefik.mjs";

const USAGE = `usage: npm run serve -- --origin URL [--listen HOST:PORT] [--config FILE] [options]

  --origin URL          backend to cache, e.g. http://127.0.0.1:8080 (required)
  --listen HOST:PORT    where Traefik listens (default 127.0.0.1:8000; port 0 = any free port)
  --config FILE         plugin configuration, YAML or JSON (see README "Configuration")
  --mount HOST:GUEST    directory mounted into the plugin (settings.mounts; repeatable; ":ro" suffix allowed)
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
  const opts = { listen: "127.0.0.1:8000", mounts: [], envs: [], logLevel: "INFO", accessLog: false };
  const withValue = new Set(["--origin", "--listen", "--config", "--mount", "--env", "--log-level", "--wasm"]);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (arg === "-h" || arg === "--help") { console.log(USAGE); process.exit(0); }
    if (arg === "--access-log") { opts.accessLog = true; continue; }
    if (!withValue.has(arg)) fail(`unknown argument ${JSON.stringify(argv[i])}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith("--")) fail(`${arg} needs a value`);
    }
    switch (arg) {
      case "--origin": opts.origin = value; break;
      case "--listen": opts.listen = value; break;
      case "--config": opts.config = value; break;
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
const pluginConfig = readConfig(opts.config);
const mounts = opts.mounts.map(checkMount);
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
console.log(`serve: caching ${origin} at ${t.url}/  (Ctrl-C to stop)\n`);

const { code, signal } = await t.exited;
if (!stopping) {
  console.error(`serve: Traefik exited unexpectedly (${signal ?? "code " + code})`);
  await t.stop();
  process.exit(code || 1);
}
