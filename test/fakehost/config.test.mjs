// Configuration: JSON types and the file provider's all-strings form, units, empty configs, and
// invalid configs (500 "httpcache: invalid configuration: ..." naming the key, no backend call).
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, fixed, assertStatus, makeOrigin } from './helpers.mjs';

function assertAccepted(res, label) {
  assert.ok(!(res.status === 500 && /invalid configuration/.test(res.text)), `${label}: rejected: ${res.text}`);
}

test('empty configurations are accepted: no config, null, {}, "" and "null"', async () => {
  for (const cfg of [undefined, null, {}, '', 'null', '{}', '  {} ']) {
    const c = cache(cfg);
    const res = await c.get('/e');
    assertAccepted(res, JSON.stringify(cfg));
    assertStatus(res, 'MISS', 'httpcache; fwd=uri-miss; stored', JSON.stringify(cfg));
    assertStatus(await c.get('/e'), 'HIT');
  }
});

const FULL_JSON = {
  maxTtl: 120,
  defaultTtl: 30,
  methods: ['GET', 'HEAD'],
  excludedResponseCodes: [418, '500-599'],
  maxObjectSize: 65536,
  store: { memory: { limit: 4194304 } },
  key: { ignoreQuery: false, ignoredQueryParams: ['utm_source'], headers: ['Accept-Language'] },
  setCookie: 'strip',
  cacheName: 'edge',
  disableCacheStatusHeader: false,
  logLevel: 'warn',
};

const FULL_STRINGS = {
  maxTtl: '120',
  defaultTtl: '30',
  methods: ['GET', 'HEAD'],
  excludedResponseCodes: ['418', '500-599'],
  maxObjectSize: '65536',
  store: { memory: { limit: '4194304' } },
  key: { ignoreQuery: 'false', ignoredQueryParams: ['utm_source'], headers: ['Accept-Language'] },
  setCookie: 'strip',
  cacheName: 'edge',
  disableCacheStatusHeader: 'false',
  logLevel: 'warn',
};

for (const [label, cfg] of [['JSON types', FULL_JSON], ['all strings (file provider)', FULL_STRINGS]]) {
  test(`every key, as ${label}, is accepted and takes effect`, async () => {
    const c = cache(cfg);
    const origin = fixed(200, [['Cache-Control', 'max-age=600'], ['Set-Cookie', 's=1']]);
    const miss = await c.get('/all?utm_source=x', { backend: origin, headers: [['Accept-Language', 'fr']] });
    assertAccepted(miss, label);
    assertStatus(miss, 'MISS', 'edge; fwd=uri-miss; stored');
    c.clock.advance(100);
    const hit = await c.get('/all', { backend: origin, headers: [['Accept-Language', 'fr']] });
    assertStatus(hit, 'HIT', 'edge; hit; ttl=20', '(maxTtl 120 caps max-age 600)');
    assert.equal(hit.has('set-cookie'), false);
    assertStatus(await c.get('/all', { backend: origin, headers: [['Accept-Language', 'de']] }), 'MISS');
    c.clock.advance(20);
    assertStatus(await c.get('/all', { backend: origin, headers: [['Accept-Language', 'fr']] }), 'EXPIRED');
    const teapot = fixed(418, [['Cache-Control', 'max-age=60']]);
    await c.get('/t', { backend: teapot });
    assert.notEqual((await c.get('/t', { backend: teapot })).get('x-cache-status'), 'HIT');
    const dflt = fixed(200, []);
    await c.get('/dflt', { backend: dflt });
    assertStatus(await c.get('/dflt', { backend: dflt }), 'HIT', 'edge; hit; ttl=30', '(defaultTtl 30)');
  });
}

test('booleans as strings: disableCacheStatusHeader "true", key.ignoreQuery "true"', async () => {
  const c = cache({ disableCacheStatusHeader: 'true', key: { ignoreQuery: 'true' } });
  const miss = await c.get('/b?x=1');
  assertAccepted(miss, 'strings');
  assert.equal(miss.has('x-cache-status'), false);
  const hit = await c.get('/b?y=2');
  assert.equal(c.origin.calls, 1, 'ignoreQuery "true" took effect');
  assert.equal(hit.has('cache-status'), false);
});

const DURATIONS = [['45', 45], [45, 45], ['45s', 45], ['1m', 60], ['2h', 7200], ['1d', 86400]];
for (const [value, seconds] of DURATIONS) {
  test(`maxTtl ${JSON.stringify(value)} = ${seconds} s`, async () => {
    const c = cache({ maxTtl: value }, { origin: fixed(200, [['Cache-Control', 'max-age=999999']]) });
    assertAccepted(await c.get('/d'), String(value));
    c.clock.advance(seconds - 1);
    assertStatus(await c.get('/d'), 'HIT', 'httpcache; hit; ttl=1');
    c.clock.advance(1);
    assertStatus(await c.get('/d'), 'EXPIRED');
  });
}

const SIZES = [['1Ki', 1024], ['1K', 1000], [2048, 2048], ['2048', 2048], ['1Mi', 1048576], ['1M', 1000000]];
for (const [value, bytes] of SIZES) {
  test(`maxObjectSize ${JSON.stringify(value)} = ${bytes} bytes`, async () => {
    const c = cache({ maxObjectSize: value, store: { memory: { limit: '64Mi' } } });
    const exact = fixed(200, [['Cache-Control', 'max-age=60']], () => 'a'.repeat(bytes));
    assertAccepted(await c.get('/exact', { backend: exact }), String(value));
    assertStatus(await c.get('/exact', { backend: exact }), 'HIT');
    const over = fixed(200, [['Cache-Control', 'max-age=60']], () => 'a'.repeat(bytes + 1));
    await c.get('/over', { backend: over });
    assert.notEqual((await c.get('/over', { backend: over })).get('x-cache-status'), 'HIT');
  });
}

test('store.memory.limit accepts 1Mi (with a maxObjectSize of at most a quarter)', async () => {
  const c = cache({ store: { memory: { limit: '1Mi' } }, maxObjectSize: '256Ki' });
  assertAccepted(await c.get('/m'), '1Mi');
  assertStatus(await c.get('/m'), 'HIT');
});

// The arena is one allocator block, and AssemblyScript's allocator caps blocks just below 1 GiB.
// Larger values (Traefik Hub's example is 3Gi) are clamped to 1023Mi, with a warning saying so.
for (const limit of ['1023Mi', 1072693248, '1Gi', '3Gi']) {
  test(`store.memory.limit ${JSON.stringify(limit)} is accepted and stores without trapping`, async () => {
    const c = cache({ store: { memory: { limit } } });
    const first = await c.get('/m');
    assertAccepted(first, String(limit));
    assertStatus(first, 'MISS', 'httpcache; fwd=uri-miss; stored');
    assertStatus(await c.get('/m'), 'HIT');
    const clamped = c.mw.logs.filter((l) => l.level === 'warn' && /1023Mi\) applied/.test(l.message));
    assert.equal(clamped.length, /Gi$/.test(String(limit)) ? 1 : 0, JSON.stringify(c.mw.logs));
    c.mw.dropInstances();
  });
}

test('methods are case-insensitive; ["HEAD"] only makes GET pass through', async () => {
  const c = cache({ methods: ['head'] });
  const get = await c.get('/h');
  assertAccepted(get, 'methods head');
  assertStatus(get, 'BYPASS', 'httpcache; fwd=bypass');
  // HEAD is still looked up (a HEAD miss streams and is not stored, as with the default methods).
  assertStatus(await c.get('/h', { method: 'HEAD' }), 'MISS', 'httpcache; fwd=uri-miss', '(HEAD)');
});

// ---- invalid configurations -----------------------------------------------------------------------

const INVALID = [
  // [config, key named in the message, value named in the log (or null)]
  [{ maxTtl: 'abc' }, 'maxTtl', 'abc'],
  [{ maxTtl: '5 minutes' }, 'maxTtl', '5 minutes'],
  [{ maxTtl: -5 }, 'maxTtl', '-5'],
  [{ maxTtl: true }, 'maxTtl', null],
  [{ defaultTtl: '10x' }, 'defaultTtl', '10x'],
  [{ maxTtl: [] }, 'maxTtl', null],
  [{ unknownKey: 1 }, 'unknownKey', null],
  [{ maxttl: '30s' }, 'maxttl', null],
  [{ methods: ['POST'] }, 'methods', 'POST'],
  [{ methods: [] }, 'methods', null],
  [{ excludedResponseCodes: ['abc'] }, 'excludedResponseCodes', 'abc'],
  [{ excludedResponseCodes: ['599-500'] }, 'excludedResponseCodes', '599-500'],
  [{ excludedResponseCodes: [42] }, 'excludedResponseCodes', '42'],
  [{ maxObjectSize: 'lots' }, 'maxObjectSize', 'lots'],
  [{ maxObjectSize: '10Xi' }, 'maxObjectSize', '10Xi'],
  [{ maxObjectSize: '1Mi', store: { memory: { limit: '1Mi' } } }, 'maxObjectSize', null],
  [{ store: { memory: { limit: '512Ki' } }, maxObjectSize: '1Ki' }, 'store.memory.limit', '512Ki'],
  [{ store: { memory: { limit: 'big' } } }, 'store.memory.limit', 'big'],
  [{ store: { disk: {} } }, 'disk', null],
  [{ store: { memory: { size: '1Mi' } } }, 'size', null],
  [{ store: 'memory' }, 'store', null],
  [{ key: { ignoreQuery: 'maybe' } }, 'key.ignoreQuery', 'maybe'],
  [{ key: { headers: ['bad header'] } }, 'key.headers', 'bad header'],
  [{ key: { foo: 1 } }, 'foo', null],
  [{ setCookie: 'keep' }, 'setCookie', 'keep'],
  [{ disableCacheStatusHeader: 'yes' }, 'disableCacheStatusHeader', 'yes'],
  [{ cacheName: 'bad name;' }, 'cacheName', 'bad name;'],
  [{ logLevel: 'verbose' }, 'logLevel', 'verbose'],
];

for (const [cfg, key, value] of INVALID) {
  test(`invalid configuration ${JSON.stringify(cfg)} -> 500 naming ${key}, no backend call`, async () => {
    const origin = makeOrigin();
    const c = cache(cfg, { origin });
    for (const method of ['GET', 'POST']) {
      const res = await c.get('/x', { method });
      assert.equal(res.status, 500, `${method}: status`);
      assert.match(res.text, /^httpcache: invalid configuration: /, `${method}: body`);
      assert.ok(res.text.includes(key), `${method}: body names ${key}: ${res.text}`);
    }
    assert.equal(origin.calls, 0, 'the backend must not be called');
    const errors = c.mw.logs.filter((l) => l.level === 'error');
    assert.ok(errors.some((l) => l.message.includes(key)), `an error log names ${key}: ${JSON.stringify(c.mw.logs)}`);
    if (value !== null) assert.ok(errors.some((l) => l.message.includes(value)), `an error log names the value ${value}`);
  });
}

for (const text of ['{', '[1,2]', '"str"', '{"maxTtl": }']) {
  test(`config that is not a JSON object (${text}) -> 500 invalid configuration`, async () => {
    const origin = makeOrigin();
    const c = cache(text, { origin });
    const res = await c.get('/x');
    assert.equal(res.status, 500);
    assert.match(res.text, /^httpcache: invalid configuration: /);
    assert.equal(origin.calls, 0);
  });
}
