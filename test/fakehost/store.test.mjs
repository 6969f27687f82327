// The memory store: bounded by store.memory.limit, approximately-LRU eviction (CLOCK / second
// chance), entries reusable after eviction, contents never mixed up; per-instance caches.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, makeOrigin, fixed, assertStatus } from './helpers.mjs';

const SMALL = { store: { memory: { limit: '1Mi' } }, maxObjectSize: '64Ki' };

function bodyFor(uri, size) {
  const unit = `<${uri}>`;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

test('eviction: a recently hit entry survives churn, a never-hit one is evicted', async () => {
  const c = cache(SMALL, { origin: makeOrigin((req) => ({ status: 200, headers: [['Cache-Control', 'max-age=600']], body: bodyFor(req.uri, 8 * 1024) })) });
  await c.get('/hot');
  await c.get('/cold');
  let hotHits = 0;
  for (let i = 0; i < 400; i++) { // 400 x 8 KiB through a 1 MiB store
    await c.get(`/churn/${i}`);
    if (i % 10 === 9) {
      const r = await c.get('/hot');
      if (r.get('x-cache-status') === 'HIT') hotHits++;
    }
  }
  assert.equal(hotHits, 40, 'the hot entry stayed in the store through the churn');
  const cold = await c.get('/cold');
  assertStatus(cold, 'MISS', undefined, '(the never-hit entry was evicted)');
  assert.equal(cold.text, bodyFor('/cold', 8 * 1024));
  assertStatus(await c.get('/cold'), 'HIT', undefined, '(stored again after eviction)');
  assertStatus(await c.get('/churn/0'), 'MISS', undefined, '(early churn evicted)');
  assertStatus(await c.get('/churn/399'), 'HIT', undefined, '(recent churn kept)');
});

test('store.memory.limit bounds the instance memory', async () => {
  const c = cache(SMALL, { origin: makeOrigin((req) => ({ status: 200, headers: [['Cache-Control', 'max-age=600']], body: bodyFor(req.uri, 30 * 1024) })) });
  for (let i = 0; i < 200; i++) await c.get(`/fill/${i}`); // 6 MiB through a 1 MiB store
  for (const g of c.mw.instances) {
    assert.ok(g.memoryBytes <= 2 * 1024 * 1024, `instance memory ${g.memoryBytes} bytes for a 1 MiB store`);
  }
  assertStatus(await c.get('/fill/199'), 'HIT');
});

test('an object above maxObjectSize is not stored and evicts nothing', async () => {
  const c = cache(SMALL, { origin: makeOrigin((req) => ({ status: 200, headers: [['Cache-Control', 'max-age=600']], body: bodyFor(req.uri, req.uri.startsWith('/huge') ? 64 * 1024 + 1 : 16 * 1024) })) });
  for (let i = 0; i < 40; i++) await c.get(`/keep/${i}`); // 640 KiB
  for (let i = 0; i < 10; i++) {
    const huge = await c.get(`/huge/${i}`);
    assert.equal(huge.body.length, 64 * 1024 + 1);
    assert.ok(!/stored/.test(huge.get('cache-status')));
  }
  for (let i = 0; i < 40; i++) assertStatus(await c.get(`/keep/${i}`), 'HIT', undefined, `/keep/${i}`);
});

test('under churn with mixed sizes every HIT serves exactly what was stored for its URI', async () => {
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const sizes = new Map();
  const c = cache(SMALL, {
    origin: makeOrigin((req) => {
      const size = sizes.get(req.uri);
      return { status: 200, headers: [['Cache-Control', 'max-age=600'], ['X-Uri', req.uri]], body: bodyFor(req.uri, size) };
    }),
  });
  let hits = 0;
  for (let i = 0; i < 1500; i++) {
    const id = rnd(300);
    const uri = `/mix/${id}?v=${id % 7}`;
    if (!sizes.has(uri)) sizes.set(uri, 1 + rnd(60 * 1024));
    const res = await c.get(uri);
    assert.equal(res.status, 200);
    assert.equal(res.get('x-uri'), uri);
    assert.equal(res.text, bodyFor(uri, sizes.get(uri)), `${uri} body (${res.get('x-cache-status')})`);
    if (res.get('x-cache-status') === 'HIT') hits++;
  }
  assert.ok(hits > 100, `some hits expected, got ${hits}`);
});

test('entries expire and their space is reused', async () => {
  const c = cache(SMALL, { origin: makeOrigin((req, n) => ({ status: 200, headers: [['Cache-Control', 'max-age=10']], body: bodyFor(req.uri + n, 20 * 1024) })) });
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 30; i++) assertStatus(await c.get(`/exp/${i}`), round === 0 ? 'MISS' : 'EXPIRED', undefined, `round ${round} /exp/${i}`);
    for (let i = 0; i < 30; i++) assertStatus(await c.get(`/exp/${i}`), 'HIT');
    c.clock.advance(10);
  }
});

test('the cache is per instance: a second instance starts cold, dropped instances lose it', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60']]) });
  await c.get('/pi');
  assertStatus(await c.get('/pi'), 'HIT');
  // Two requests in flight: the second one gets a new instance.
  let release;
  const gate = new Promise((r) => (release = r));
  const slow = makeOrigin(async () => {
    await gate;
    return { status: 200, headers: [['Cache-Control', 'max-age=60']], body: 'slow' };
  });
  const inflight = c.serve({ uri: '/slow', headers: [['Host', 'api.example.com']] }, slow);
  const other = await c.get('/pi');
  assertStatus(other, 'MISS', undefined, '(the second instance has its own, empty cache)');
  release();
  await inflight;
  assert.equal(c.mw.instances.length, 2);
  c.mw.dropInstances();
  assertStatus(await c.get('/pi'), 'MISS', undefined, '(a new instance after the pool was emptied)');
});
