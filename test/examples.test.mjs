// Every YAML/JSON file in examples/ parses, is consistent (routers -> middlewares/services,
// HTTPRoute ExtensionRef -> Middleware in the same namespace, plugin name and moduleName), and every
// plugin configuration block in it is accepted by the real build/plugin.wasm, as written and in the
// file provider's all-strings form.
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

async function assertAccepted(config, label) {
  const mw = createMiddleware(pluginBytes(), config, { clock: new Clock() });
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
    for (const [i, doc] of docs.entries()) {
      for (const { path, config } of pluginBlocks(doc)) {
        blocks++;
        const label = `${name}#${i} ${path}`;
        assert.ok(config && typeof config === 'object', `${label}: config must be an object`);
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

test('static configuration: local plugin named httpcache with the module name; remote variant commented', () => {
  const [cfg] = load('traefik.yml');
  assert.equal(cfg.experimental.localPlugins[PLUGIN_NAME].moduleName, MODULE_NAME);
  assert.equal(cfg.experimental.abortOnPluginFailure, true);
  const text = readFileSync(join(EXAMPLES, 'traefik.yml'), 'utf8');
  assert.match(text, /#\s*plugins:\s*\n\s*#\s*httpcache:\s*\n\s*#\s*moduleName: github\.com\/traefik-httpcache\/httpcache\s*\n\s*#\s*version: v\d/);
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
