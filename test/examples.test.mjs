// Every YAML/JSON file in examples/ parses, is consistent (routers -> middlewares/services,
// HTTPRoute ExtensionRef -> Middleware in the same namespace, plugin name and moduleName), and every
// plugin configuration block in it is accepted by the real build/plugin.wasm, as written and in the
// file provider's all-strings form.
//
// The fake host has no file system: blocks are run here without their store.shared (every other key
// is checked; with nothing mounted the plugin keeps entries in memory), and
// test/traefik/shared.test.mjs runs the shared store through the real Traefik with a mount. Every
// shipped example mounts a directory into the plugin, and every Middleware in them resolves to a
// store on it (the directory mounted at /cache, found by the plugin, as README "Configuration" says).
// As Traefik's kubernetesCRD provider does, "urn:k8s:secret:<name>:<key>" in a Middleware's plugin
// block is replaced by that key of a Secret of the same file and namespace (or, for one the file tells
// to create with kubectl rather than ship, a stand-in), and the variables named by purge.tokenEnv are set.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { createMiddleware, Clock } from './fakehost/host.mjs';
import { pluginBytes } from './fakehost/helpers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const PLUGIN_NAME = 'httpcache';
const MODULE_NAME = 'github.com/traefik-httpcache/httpcache';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (['.yml', '.yaml', '.json'].includes(extname(name))) out.push(p);
  }
  return out;
}

/** Every document of a file (multi-document YAML included). */
function documents(file) {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) return [JSON.parse(text)];
  const docs = YAML.parseAllDocuments(text);
  for (const d of docs) {
    assert.deepEqual(d.errors.map(String), [], `${relative(ROOT, file)}: YAML errors`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
}

/** Every value under a key path ending in plugin.httpcache, with where it was found. */
function pluginBlocks(node, path = []) {
  const found = [];
  if (Array.isArray(node)) {
    node.forEach((v, i) => found.push(...pluginBlocks(v, [...path, i])));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === PLUGIN_NAME && path[path.length - 1] === 'plugin') found.push({ path: [...path, k].join('.'), config: v });
      else found.push(...pluginBlocks(v, [...path, k]));
    }
  }
  return found;
}

/** What Traefik's file provider hands the plugin: every scalar as a string. */
function asStrings(v) {
  if (Array.isArray(v)) return v.map(asStrings);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asStrings(x)]));
  if (v === null || v === undefined) return v;
  return String(v);
}

/** Sizes as the plugin reads them (64Ki, 1Gi, 1M...) and Kubernetes quantities (1100Mi). */
export function parseSize(v) {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T|k)?\s*$/.exec(String(v));
  assert.ok(m, `not a size: ${JSON.stringify(v)}`);
  const mult = { undefined: 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]];
  return Number(m[1]) * mult;
}

/** Guest directory of a settings.mounts entry ("host[:guest][:ro]"), normalised like the plugin does. */
export function mountGuest(entry) {
  const parts = String(entry).split(':');
  if (parts.length > 1 && parts[parts.length - 1] === 'ro') parts.pop();
  return normDir(parts.length > 1 ? parts[1] : parts[0]);
}
const normDir = (d) => '/' + String(d).replace(/^\.?\/+/, '').replace(/\/+$/, '');

/** The plugin block as the fake host can run it: store.shared left out (no file system). */
function withoutSharedStore(config) {
  if (!config?.store || typeof config.store !== 'object' || !('shared' in config.store)) return config;
  const { shared: _shared, ...store } = config.store;
  const out = { ...config };
  if (Object.keys(store).length) out.store = store;
  else delete out.store;
  return out;
}

/** Secret values of a file, by namespace/name/key (stringData, or base64 data). */
function secretsOf(docs) {
  const map = new Map();
  for (const d of docs.filter((x) => x.kind === 'Secret')) {
    const ns = d.metadata?.namespace ?? 'default';
    const values = { ...Object.fromEntries(Object.entries(d.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')])), ...(d.stringData ?? {}) };
    map.set(`${ns}/${d.metadata.name}`, values);
  }
  return map;
}

/** Traefik's kubernetesCRD provider: resolves urn:k8s:secret:<name>:<key> strings at any depth. */
function resolveSecrets(node, secrets, ns, label) {
  if (typeof node === 'string' && node.startsWith('urn:k8s:secret:')) {
    const parts = node.split(':');
    assert.equal(parts.length, 5, `${label}: malformed secret URN ${node}`);
    const values = secrets.get(`${ns}/${parts[3]}`);
    if (!values) return OUT_OF_BAND_SECRET; // created with kubectl, as the file says (checked below)
    assert.ok(parts[4] in values, `${label}: ${node}: Secret ${ns}/${parts[3]} has no key ${parts[4]}`);
    return values[parts[4]];
  }
  if (Array.isArray(node)) return node.map((v) => resolveSecrets(v, secrets, ns, label));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveSecrets(v, secrets, ns, label)]));
  return node;
}

/** The value given to a Secret the examples create with kubectl rather than ship. */
const OUT_OF_BAND_SECRET = 'a-random-token-created-with-kubectl';

/** Environment for the guest: every variable a purge.tokenEnv names. */
function envFor(config) {
  const name = config?.purge?.tokenEnv;
  return name ? { [name]: 'example-purge-token' } : {};
}

async function assertAccepted(config, label) {
  const mw = createMiddleware(pluginBytes(), config, { clock: new Clock(), env: envFor(config) });
  let calls = 0;
  const backend = () => {
    calls++;
    return { status: 200, headers: [['Cache-Control', 'max-age=60'], ['Content-Type', 'application/json']], body: '{"sku":"A1"}' };
  };
  const res = await mw.serve({ method: 'GET', uri: '/products/A1?utm_source=mail', headers: [['Host', 'catalog.example.com'], ['Accept-Language', 'fr']] }, backend);
  assert.equal(res.trap, null, `${label}: guest trapped: ${res.trap?.message}`);
  assert.ok(!(res.status === 500 && /invalid configuration/.test(res.text)), `${label}: rejected: ${res.text}`);
  assert.equal(res.status, 200, `${label}: status`);
  assert.equal(calls, 1, `${label}: the backend was called`);
  const errors = mw.logs.filter((l) => l.levelNum >= 2);
  assert.deepEqual(errors, [], `${label}: error logs`);
  const again = await mw.serve({ method: 'GET', uri: '/products/A1', headers: [['Host', 'catalog.example.com'], ['Accept-Language', 'fr']] }, backend);
  assert.equal(again.trap, null, `${label}: guest trapped on the second request: ${again.trap?.message}`);
}

// ---------------------------------------------------------------------------------------------
// Which store a plugin block gets, given the guest directories mounted into the plugin (README
// "Configuration": store.shared false = memory; a path = that directory, which must be mounted;
// otherwise the mount at /cache, else the only mount, else memory when store.shared is absent and
// a configuration error when it is true or an object).

const STORE_GUEST = '/cache';
const DEFAULT_SHARED_LIMIT = '256Mi';
const DEFAULT_CACHE_NAME = 'httpcache';

function storeOf(cfg, guests, label) {
  const shared = cfg?.store?.shared;
  if (shared === false || String(shared).toLowerCase() === 'false') return { memory: 'store.shared: false' };
  let dir;
  if (shared && typeof shared === 'object' && shared.path != null) {
    dir = normDir(shared.path);
    assert.ok(guests.includes(dir), `${label}: store.shared.path ${shared.path} is not mounted (${JSON.stringify(guests)})`);
  } else if (guests.includes(STORE_GUEST)) dir = STORE_GUEST;
  else if (guests.length === 1) dir = guests[0];
  else {
    assert.ok(shared == null, `${label}: store.shared ${JSON.stringify(shared)} with no directory to choose is a configuration error`);
    return { memory: guests.length ? `several mounts, none at ${STORE_GUEST}` : 'nothing mounted' };
  }
  // Without store.shared.limit, store.memory.limit is the size of the whole cache (as Hub users mean it).
  const limit = parseSize(shared?.limit ?? cfg?.store?.memory?.limit ?? DEFAULT_SHARED_LIMIT);
  return { dir, limit, file: `${cfg?.cacheName ?? DEFAULT_CACHE_NAME}.cache` };
}

/** Every store file the plugin blocks put on the volume, by file name: its size (which must agree). */
function storeFiles(configs, guests, label) {
  const files = new Map();
  for (const [name, cfg] of configs) {
    const st = storeOf(cfg, guests, `${label} ${name}`);
    assert.ok(st.dir, `${label} ${name}: memory only (${st.memory}); every shipped example has a store`);
    assert.ok(parseSize(cfg.maxObjectSize ?? '1Mi') <= st.limit / 8, `${label} ${name}: maxObjectSize <= the store's size / 8`);
    if (files.has(st.file)) assert.equal(files.get(st.file), st.limit, `${label} ${name}: middlewares sharing ${st.file} use one size`);
    files.set(st.file, st.limit);
  }
  return files;
}

const files = walk(EXAMPLES);

test('examples/ has YAML files to check', () => {
  assert.ok(files.length >= 5, `found ${files.length}`);
});

let blocks = 0;
for (const file of files) {
  const name = relative(ROOT, file);
  test(`${name}: parses, and every plugin config block is accepted by build/plugin.wasm`, async () => {
    const docs = documents(file);
    assert.ok(docs.length > 0, 'no documents');
    const secrets = secretsOf(docs);
    for (const [i, doc] of docs.entries()) {
      for (const { path, config: written } of pluginBlocks(doc)) {
        blocks++;
        const label = `${name}#${i} ${path}`;
        assert.ok(written && typeof written === 'object', `${label}: config must be an object`);
        const resolved = doc.kind === 'Middleware' ? resolveSecrets(written, secrets, doc.metadata?.namespace ?? 'default', label) : written;
        const config = withoutSharedStore(resolved);
        await assertAccepted(config, label);
        await assertAccepted(asStrings(config), `${label} (file provider strings)`);
      }
    }
  });
}

test('the examples hold plugin config blocks (checked above)', () => {
  assert.ok(blocks >= 6, `found ${blocks} plugin blocks`);
});

test('the repository .traefik.yml testData is accepted', async () => {
  const manifest = YAML.parse(readFileSync(join(ROOT, '.traefik.yml'), 'utf8'));
  assert.equal(manifest.runtime, 'wasm');
  assert.equal(manifest.type, 'middleware');
  assert.ok(manifest.testData && Object.keys(manifest.testData).length > 0, 'testData is required and non-empty');
  await assertAccepted(manifest.testData, '.traefik.yml testData');
  await assertAccepted(asStrings(manifest.testData), '.traefik.yml testData (strings)');
});

function load(rel) {
  return documents(join(EXAMPLES, rel));
}

test('static configuration: local plugin named httpcache with the module name and a store directory mounted at /cache; remote variant commented with the same mount', () => {
  const [cfg] = load('traefik.yml');
  const local = cfg.experimental.localPlugins[PLUGIN_NAME];
  assert.equal(local.moduleName, MODULE_NAME);
  assert.equal(cfg.experimental.abortOnPluginFailure, true);
  assert.ok(Array.isArray(local.settings?.mounts) && local.settings.mounts.length > 0, 'settings.mounts is present');
  assert.ok(local.settings.mounts.map(mountGuest).includes(STORE_GUEST), `a directory is mounted at ${STORE_GUEST}`);
  assert.ok(!local.settings.mounts.some((m) => mountGuest(m) === STORE_GUEST && /:ro$/.test(m)), 'the store mount is writable');
  const text = readFileSync(join(EXAMPLES, 'traefik.yml'), 'utf8');
  assert.match(text, /#\s*plugins:\s*\n\s*#\s*httpcache:\s*\n\s*#\s*moduleName: github\.com\/traefik-httpcache\/httpcache\s*\n\s*#\s*version: v\d[^\n]*\n\s*#\s*settings:\s*\n\s*#\s*mounts: \[\"[^"]+:\/cache\"\]/);
  assert.ok(cfg.providers.file, 'file provider');
});

test('dynamic configuration: routers use defined middlewares and services; stock 30 s, products 5 min', () => {
  const [cfg] = load('dynamic.yml');
  const { routers, middlewares, services } = cfg.http;
  for (const [name, r] of Object.entries(routers)) {
    assert.ok(services[r.service], `router ${name}: service ${r.service}`);
    for (const m of r.middlewares ?? []) assert.ok(middlewares[m], `router ${name}: middleware ${m}`);
  }
  const ttlOf = (rule) => {
    const router = Object.values(routers).find((r) => r.rule.includes(rule));
    return middlewares[router.middlewares[0]].plugin[PLUGIN_NAME].maxTtl;
  };
  assert.equal(ttlOf('/stock'), '30s');
  assert.equal(ttlOf('/products'), '5m');
});

function byKind(docs, kind) {
  return docs.filter((d) => d.kind === kind);
}

test('Gateway API: HTTPRoute ExtensionRef filters name traefik.io Middlewares in the same namespace', () => {
  const docs = load('kubernetes/gateway-api.yaml');
  for (const d of docs) assert.ok(d.apiVersion && d.kind && d.metadata?.name, `apiVersion/kind/metadata.name: ${JSON.stringify(d).slice(0, 80)}`);
  const [gc] = byKind(docs, 'GatewayClass');
  assert.equal(gc.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.equal(gc.spec.controllerName, 'traefik.io/gateway-controller');
  const gateways = byKind(docs, 'Gateway');
  assert.equal(gateways.length, 1);
  assert.equal(gateways[0].spec.gatewayClassName, gc.metadata.name);
  const middlewares = byKind(docs, 'Middleware');
  for (const m of middlewares) {
    assert.equal(m.apiVersion, 'traefik.io/v1alpha1');
    assert.ok(m.spec.plugin[PLUGIN_NAME], `${m.metadata.name}: spec.plugin.${PLUGIN_NAME}`);
  }
  const routes = byKind(docs, 'HTTPRoute');
  assert.ok(routes.length >= 1);
  let refs = 0;
  for (const route of routes) {
    assert.equal(route.apiVersion, 'gateway.networking.k8s.io/v1');
    for (const p of route.spec.parentRefs) {
      assert.ok(gateways.some((g) => g.metadata.name === p.name && g.metadata.namespace === route.metadata.namespace), `parentRef ${p.name}`);
      if (p.sectionName) assert.ok(gateways[0].spec.listeners.some((l) => l.name === p.sectionName));
    }
    for (const rule of route.spec.rules) {
      for (const f of rule.filters ?? []) {
        assert.equal(f.type, 'ExtensionRef');
        assert.equal(f.extensionRef.group, 'traefik.io');
        assert.equal(f.extensionRef.kind, 'Middleware');
        const target = middlewares.find((m) => m.metadata.name === f.extensionRef.name);
        assert.ok(target, `Middleware ${f.extensionRef.name} exists`);
        assert.equal(target.metadata.namespace, route.metadata.namespace, 'same namespace');
        refs++;
      }
    }
  }
  assert.equal(refs, 2);
});

test('IngressRoute: routes use Middlewares defined in the same namespace', () => {
  const docs = load('kubernetes/ingressroute.yaml');
  const middlewares = byKind(docs, 'Middleware');
  const [ir] = byKind(docs, 'IngressRoute');
  assert.equal(ir.apiVersion, 'traefik.io/v1alpha1');
  for (const route of ir.spec.routes) {
    for (const m of route.middlewares) {
      const target = middlewares.find((x) => x.metadata.name === m.name);
      assert.ok(target, `Middleware ${m.name}`);
      assert.equal(target.metadata.namespace, ir.metadata.namespace);
    }
  }
});

test('Helm values: local plugin from a declared volume, providers and abortOnPluginFailure', () => {
  const [v] = load('kubernetes/helm-values.yaml');
  const lp = v.experimental.localPlugins[PLUGIN_NAME];
  assert.equal(lp.moduleName, MODULE_NAME);
  assert.equal(lp.type, 'localPath');
  assert.equal(lp.mountPath, `/plugins-local/src/${MODULE_NAME}`);
  assert.ok(v.deployment.additionalVolumes.some((vol) => vol.name === lp.volumeName), 'volumeName is declared');
  assert.equal(v.experimental.abortOnPluginFailure, true);
  assert.equal(v.providers.kubernetesGateway.enabled, true);
  assert.equal(v.providers.kubernetesCRD.enabled, true);
  const gw = load('kubernetes/gateway-api.yaml').find((d) => d.kind === 'Gateway');
  assert.ok(gw.spec.listeners.every((l) => l.port === v.ports.web.port), 'Gateway listener port = the web entryPoint port');
});

// ---------------------------------------------------------------------------------------------
// Shared store and purge

const PURGE_PATH_DEFAULT = '/_cache/purge';
const middlewareConfig = (m) => m.spec.plugin[PLUGIN_NAME];
/** The --experimental.{localPlugins,plugins}.httpcache.settings.<what>= values of additionalArguments. */
function settingsFlags(values, what) {
  const re = new RegExp(`^--experimental\\.(?:localplugins|plugins)\\.${PLUGIN_NAME}\\.settings\\.${what}=(.*)$`, 'i');
  return (values.additionalArguments ?? []).map((a) => re.exec(a)).filter(Boolean).flatMap((m) => m[1].split(','));
}

test('static + dynamic configuration: every middleware keeps its entries on the mounted directory, purge.tokenEnv is forwarded, a router serves purge.path', () => {
  const [stat] = load('traefik.yml');
  const [dyn] = load('dynamic.yml');
  const settings = stat.experimental.localPlugins[PLUGIN_NAME].settings ?? {};
  const guests = (settings.mounts ?? []).map(mountGuest);
  const { routers, middlewares } = dyn.http;
  const configs = Object.entries(middlewares).filter(([, mw]) => mw.plugin?.[PLUGIN_NAME]).map(([name, mw]) => [name, mw.plugin[PLUGIN_NAME]]);
  assert.ok(configs.length >= 2, 'dynamic.yml has cache middlewares');
  for (const [name, cfg] of configs) {
    assert.equal(cfg.store?.shared?.path, undefined, `${name}: relies on the mount (no store.shared.path)`);
  }
  storeFiles(configs, guests, 'dynamic.yml');
  let purge = 0;
  for (const [name, cfg] of configs) {
    if (cfg.purge) {
      purge++;
      if (cfg.purge.tokenEnv) assert.ok((settings.envs ?? []).includes(cfg.purge.tokenEnv), `${name}: ${cfg.purge.tokenEnv} is not in settings.envs`);
      const path = cfg.purge.path ?? PURGE_PATH_DEFAULT;
      const serving = Object.values(routers).filter((r) => (r.middlewares ?? []).includes(name) && r.rule.includes(`Path(\`${path}\`)`));
      assert.ok(serving.length > 0, `${name}: no router with Path(\`${path}\`) carries it`);
    }
  }
  assert.ok(purge >= 1, 'dynamic.yml has a middleware with purge');
});

test('Kubernetes purge: Middleware with a urn:k8s:secret purge token whose Secret is created with kubectl, not shipped; a route serves purge.path; headless Service for fan-out', () => {
  const docs = load('kubernetes/shared-store.yaml');
  const [mw] = byKind(docs, 'Middleware').filter((m) => middlewareConfig(m)?.purge);
  assert.ok(mw, 'a Middleware with purge');
  const cfg = middlewareConfig(mw);
  assert.match(cfg.purge.token, /^urn:k8s:secret:[^:]+:[^:]+$/);
  const [, , , secretName, key] = cfg.purge.token.split(':');
  // The token is not shipped: the file says how to create its Secret, in the Middleware's namespace
  // (where Traefik reads it), with a random value.
  assert.equal(byKind(docs, 'Secret').length, 0, 'no Secret (with a token anyone can read) in the example');
  const text = readFileSync(join(ROOT, 'examples', 'kubernetes', 'shared-store.yaml'), 'utf8');
  assert.ok(text.includes(`kubectl -n ${mw.metadata.namespace} create secret generic ${secretName} --from-literal=${key}="$(openssl rand`),
    `the file tells how to create Secret ${secretName} with key ${key} in namespace ${mw.metadata.namespace}`);
  const [ir] = byKind(docs, 'IngressRoute');
  assert.equal(ir.metadata.namespace, mw.metadata.namespace);
  const path = cfg.purge.path ?? PURGE_PATH_DEFAULT;
  assert.ok(ir.spec.routes.some((r) => r.match.includes(`Path(\`${path}\`)`) && r.middlewares.some((m) => m.name === mw.metadata.name)), `a route matches ${path} with the middleware`);
  const [svc] = byKind(docs, 'Service');
  assert.equal(svc.spec.clusterIP, 'None', 'headless');
  assert.equal(svc.metadata.namespace, 'traefik');
  assert.deepEqual(svc.spec.selector, { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' });
  const [values] = load('kubernetes/helm-values.yaml');
  assert.ok(svc.spec.ports.some((p) => p.port === values.ports.web.port && p.targetPort === 'web'), 'the headless Service exposes the web entryPoint port');
});

/** What Helm does with several -f files: maps merged key by key, lists and scalars replaced. */
function helmMerge(base, overlay) {
  if (!overlay || typeof overlay !== 'object' || Array.isArray(overlay) || !base || typeof base !== 'object' || Array.isArray(base)) return overlay ?? base;
  const out = { ...base };
  for (const [k, v] of Object.entries(overlay)) out[k] = k in base ? helmMerge(base[k], v) : v;
  return out;
}

/** The store volume of Helm values: the settings.mounts flag, the container mount and the volume behind it. */
function storeVolume(values, label) {
  const lp = values.experimental.localPlugins[PLUGIN_NAME];
  const volumes = values.deployment.additionalVolumes;
  assert.ok(volumes.some((v) => v.name === lp.volumeName), `${label}: keeps the plugin volume ${lp.volumeName} (Helm replaces lists)`);
  const mounts = settingsFlags(values, 'mounts');
  assert.equal(mounts.length, 1, `${label}: one settings.mounts entry in additionalArguments`);
  assert.ok((values.additionalArguments ?? []).some((a) => a === `--experimental.localPlugins.${PLUGIN_NAME}.settings.mounts=${mounts[0]}`),
    `${label}: the flag is --experimental.localPlugins.${PLUGIN_NAME}.settings.mounts=HOST:GUEST`);
  const [host] = mounts[0].split(':');
  assert.equal(mountGuest(mounts[0]), STORE_GUEST, `${label}: mounted into the plugin at ${STORE_GUEST}`);
  assert.ok(!/:ro$/.test(mounts[0]), `${label}: writable`);
  const vm = (values.additionalVolumeMounts ?? []).find((m) => normDir(m.mountPath) === normDir(host));
  assert.ok(vm, `${label}: a volume is mounted in the container at ${host}`);
  assert.ok(!vm.readOnly, `${label}: the container mount is writable`);
  const vol = volumes.find((v) => v.name === vm.name);
  assert.ok(vol, `${label}: volume ${vm.name} is declared`);
  return { vol, guests: mounts.map(mountGuest) };
}

/** The plugin blocks of every Middleware the Kubernetes examples ship, by file. */
const K8S_MANIFESTS = ['kubernetes/gateway-api.yaml', 'kubernetes/ingressroute.yaml', 'kubernetes/shared-store.yaml'];
function k8sMiddlewares(rel) {
  return byKind(load(rel), 'Middleware').map((m) => [m.metadata.name, middlewareConfig(m)]);
}

test('Helm values (default): the store on a memory emptyDir with a sizeLimit a bit above the store files, mounted in the container and passed as settings.mounts in additionalArguments', () => {
  const [values] = load('kubernetes/helm-values.yaml');
  const { vol, guests } = storeVolume(values, 'helm-values.yaml');
  assert.equal(vol.emptyDir?.medium, 'Memory', 'a memory emptyDir');
  assert.ok(vol.emptyDir.sizeLimit, 'with a sizeLimit');
  const sizeLimit = parseSize(vol.emptyDir.sizeLimit);
  // Each manifest is applied alone (they are alternatives): its store files must fit, a bit below the sizeLimit.
  for (const rel of K8S_MANIFESTS) {
    const files = storeFiles(k8sMiddlewares(rel), guests, rel);
    for (const [, cfg] of k8sMiddlewares(rel)) assert.equal(cfg.store?.shared?.path, undefined, `${rel}: relies on the mount (no store.shared.path)`);
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    assert.ok(sizeLimit > total && sizeLimit <= total * 1.25, `${rel}: sizeLimit ${vol.emptyDir.sizeLimit} vs ${total / 2 ** 20}Mi of store files`);
  }
  assert.ok(parseSize(values.resources.limits.memory) >= sizeLimit + parseSize('256Mi'), 'a memory emptyDir counts against the memory limit');
});

test('Helm values, store on a PersistentVolumeClaim (on top of the default): same volume name, mount and flag; the claim exists in Traefik namespace, ReadWriteMany for several replicas, big enough', () => {
  const [base] = load('kubernetes/helm-values.yaml');
  const [overlay] = load('kubernetes/helm-values-shared-pvc.yaml');
  const values = helmMerge(base, overlay);
  const { vol, guests } = storeVolume(values, 'helm-values.yaml + helm-values-shared-pvc.yaml');
  const [pvc] = byKind(load('kubernetes/shared-store-pvc.yaml'), 'PersistentVolumeClaim');
  assert.equal(vol.persistentVolumeClaim?.claimName, pvc.metadata.name);
  assert.equal(vol.emptyDir, undefined, 'the claim replaces the emptyDir');
  assert.equal(pvc.metadata.namespace, 'traefik');
  if ((values.deployment.replicas ?? 1) > 1) assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'several replicas need ReadWriteMany');
  const files = storeFiles(k8sMiddlewares('kubernetes/shared-store.yaml'), guests, 'shared-store.yaml');
  const total = [...files.values()].reduce((a, b) => a + b, 0);
  assert.ok(parseSize(pvc.spec.resources.requests.storage) > total, 'the claim holds the store files');
  assert.equal(values.podSecurityContext.fsGroup, 65532, 'the volume is writable by the Traefik user');
});
