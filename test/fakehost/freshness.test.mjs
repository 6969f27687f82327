// Freshness, maxTtl, defaultTtl and Age (README "How caching decisions are made"; RFC 9111 §4.2),
// driven by the fake host's clock instead of sleeping.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, fixed, makeOrigin, assertStatus } from './helpers.mjs';

const MISS_STORED = 'httpcache; fwd=uri-miss; stored';
const STALE_STORED = 'httpcache; fwd=stale; stored';

test('max-age: fresh until the age reaches max-age exactly, then EXPIRED and refreshed', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60']]) });
  const miss = await c.get('/item');
  assertStatus(miss, 'MISS', MISS_STORED);
  assert.equal(miss.text, 'body#1');
  c.clock.advance(59);
  const hit = await c.get('/item');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=1');
  assert.equal(hit.get('age'), '59');
  assert.equal(hit.text, 'body#1');
  c.clock.advance(1); // age 60 = max-age: no longer fresh
  const expired = await c.get('/item');
  assertStatus(expired, 'EXPIRED', STALE_STORED);
  assert.equal(expired.text, 'body#2');
  assert.equal(c.origin.calls, 2);
  const again = await c.get('/item');
  assertStatus(again, 'HIT', 'httpcache; hit; ttl=60');
  assert.equal(again.get('age'), '0');
  assert.equal(again.text, 'body#2');
});

test('maxTtl caps the lifetime counted from storage', async () => {
  const c = cache({ maxTtl: '30s' }, { origin: fixed(200, [['Cache-Control', 'max-age=300']]) });
  await c.get('/p');
  c.clock.advance(10);
  const hit = await c.get('/p');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=20');
  c.clock.advance(19);
  assertStatus(await c.get('/p'), 'HIT');
  c.clock.advance(1); // stored 30 s ago
  const expired = await c.get('/p');
  assertStatus(expired, 'EXPIRED', STALE_STORED);
  assert.equal(c.origin.calls, 2);
});

test('maxTtl never makes a response that is stale by its own headers fresh', async () => {
  const c = cache({ maxTtl: '300s' }, { origin: fixed(200, [['Cache-Control', 'max-age=10']]) });
  await c.get('/p');
  c.clock.advance(9);
  assertStatus(await c.get('/p'), 'HIT', 'httpcache; hit; ttl=1');
  c.clock.advance(1);
  assertStatus(await c.get('/p'), 'EXPIRED');
});

test('Age = upstream Age + response delay + resident time (§4.2.3)', async () => {
  const c0 = cache({});
  const clock = c0.clock;
  const origin = makeOrigin((req, n) => {
    clock.advance(2); // the backend takes 2 s: response_time - request_time = 2
    return { status: 200, headers: [['Cache-Control', 'max-age=60'], ['Age', '20']], body: `v${n}` };
  });
  const c = cache({}, { clock, origin });
  const miss = await c.get('/aged');
  assertStatus(miss, 'MISS', MISS_STORED);
  c.clock.advance(5);
  const hit = await c.get('/aged');
  // corrected_age = 20 + 2 = 22; current_age = 22 + 5 = 27; ttl = 60 - 27 = 33
  assert.equal(hit.get('age'), '27');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=33');
  c.clock.advance(32); // current_age 59
  assertStatus(await c.get('/aged'), 'HIT', 'httpcache; hit; ttl=1');
  c.clock.advance(1); // current_age 60
  assertStatus(await c.get('/aged'), 'EXPIRED');
});

test('Age counts the apparent age from a Date in the past', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({
    status: 200,
    headers: [['Cache-Control', 'max-age=60'], ['Date', c.clock.httpDate(-30)]],
    body: 'x',
  }));
  await c.get('/dated', { backend: origin });
  const hit = await c.get('/dated', { backend: origin });
  assert.equal(hit.get('age'), '30');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=30');
  c.clock.advance(30);
  assertStatus(await c.get('/dated', { backend: origin }), 'EXPIRED');
});

test('a Date in the future does not make the age negative', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({
    status: 200,
    headers: [['Cache-Control', 'max-age=60'], ['Date', c.clock.httpDate(+100)]],
    body: 'x',
  }));
  await c.get('/skew', { backend: origin });
  c.clock.advance(3);
  const hit = await c.get('/skew', { backend: origin });
  assert.equal(hit.get('age'), '3');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=57');
});

test('an invalid upstream Age is ignored', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Age', '1.5']]) });
  await c.get('/badage');
  c.clock.advance(4);
  const hit = await c.get('/badage');
  assert.equal(hit.get('age'), '4');
});

test('Expires - Date gives the lifetime (with Date)', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({
    status: 200,
    headers: [['Date', c.clock.httpDate(0)], ['Expires', c.clock.httpDate(100)]],
    body: 'x',
  }));
  assertStatus(await c.get('/exp', { backend: origin }), 'MISS', MISS_STORED);
  c.clock.advance(99);
  assertStatus(await c.get('/exp', { backend: origin }), 'HIT', 'httpcache; hit; ttl=1');
  c.clock.advance(1);
  assertStatus(await c.get('/exp', { backend: origin }), 'EXPIRED');
});

test('Expires - Date with a Date in the past: lifetime from Date, apparent age counted', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({
    status: 200,
    headers: [['Date', c.clock.httpDate(-50)], ['Expires', c.clock.httpDate(50)]],
    body: 'x',
  }));
  await c.get('/exp2', { backend: origin });
  const hit = await c.get('/exp2', { backend: origin });
  assert.equal(hit.get('age'), '50');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=50');
  c.clock.advance(50);
  assertStatus(await c.get('/exp2', { backend: origin }), 'EXPIRED');
});

test('Expires without Date: the time of receipt stands for Date', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({ status: 200, headers: [['Expires', c.clock.httpDate(100)]], body: 'x' }));
  assertStatus(await c.get('/exp3', { backend: origin }), 'MISS', MISS_STORED);
  c.clock.advance(99);
  assertStatus(await c.get('/exp3', { backend: origin }), 'HIT', 'httpcache; hit; ttl=1');
  c.clock.advance(1);
  assertStatus(await c.get('/exp3', { backend: origin }), 'EXPIRED');
});

for (const bad of ['0', 'tomorrow', '-1']) {
  test(`an invalid Expires (${JSON.stringify(bad)}) counts as already expired: not stored`, async () => {
    const c = cache({ defaultTtl: '60s' }, { origin: fixed(200, [['Expires', bad]]) });
    const first = await c.get('/badexp');
    assert.equal(first.get('x-cache-status'), 'MISS');
    assert.ok(!/stored/.test(first.get('cache-status')), `Cache-Status: ${first.get('cache-status')}`);
    const second = await c.get('/badexp');
    assert.notEqual(second.get('x-cache-status'), 'HIT');
    assert.equal(c.origin.calls, 2);
  });
}

test('s-maxage takes precedence over max-age (longer)', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=10, s-maxage=100']]) });
  await c.get('/s');
  c.clock.advance(50);
  assertStatus(await c.get('/s'), 'HIT', 'httpcache; hit; ttl=50');
});

test('s-maxage takes precedence over max-age (shorter)', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=100, s-maxage=10']]) });
  await c.get('/s');
  c.clock.advance(10);
  assertStatus(await c.get('/s'), 'EXPIRED');
});

test('max-age takes precedence over Expires', async () => {
  const c = cache({});
  const origin = makeOrigin(() => ({
    status: 200,
    headers: [['Cache-Control', 'max-age=10'], ['Expires', c.clock.httpDate(100)]],
    body: 'x',
  }));
  await c.get('/m', { backend: origin });
  c.clock.advance(10);
  assertStatus(await c.get('/m', { backend: origin }), 'EXPIRED');
});

test('without explicit freshness and defaultTtl 0 (default) nothing is stored', async () => {
  const c = cache({}, { origin: fixed(200, [['Content-Type', 'text/plain']]) });
  const first = await c.get('/plain');
  assert.ok(!/stored/.test(first.get('cache-status')));
  assert.equal((await c.get('/plain')).get('x-cache-status'), 'MISS');
  assert.equal(c.origin.calls, 2);
});

test('defaultTtl applies to heuristically cacheable responses without explicit freshness', async () => {
  const c = cache({ defaultTtl: '60s' }, { origin: fixed(200, [['Content-Type', 'text/plain']]) });
  assertStatus(await c.get('/d'), 'MISS', MISS_STORED);
  c.clock.advance(59);
  assertStatus(await c.get('/d'), 'HIT', 'httpcache; hit; ttl=1');
  c.clock.advance(1);
  assertStatus(await c.get('/d'), 'EXPIRED');
});

test('defaultTtl does not extend an explicit max-age', async () => {
  const c = cache({ defaultTtl: '600s' }, { origin: fixed(200, [['Cache-Control', 'max-age=10']]) });
  await c.get('/d');
  c.clock.advance(10);
  assertStatus(await c.get('/d'), 'EXPIRED');
});

test('defaultTtl does not apply to an explicit max-age=0', async () => {
  const c = cache({ defaultTtl: '600s' }, { origin: fixed(200, [['Cache-Control', 'max-age=0']]) });
  const first = await c.get('/zero');
  assert.ok(!/stored/.test(first.get('cache-status')), first.get('cache-status'));
  assert.notEqual((await c.get('/zero')).get('x-cache-status'), 'HIT');
  assert.equal(c.origin.calls, 2);
});

test('defaultTtl applies to 404 (heuristically cacheable) but not to 500', async () => {
  const c = cache({ defaultTtl: '60s' });
  const notFound = fixed(404, [['Content-Type', 'text/plain']]);
  await c.get('/nf', { backend: notFound });
  const hit = await c.get('/nf', { backend: notFound });
  assertStatus(hit, 'HIT');
  assert.equal(hit.status, 404);
  const err = fixed(500, [['Content-Type', 'text/plain']]);
  await c.get('/err', { backend: err });
  assert.notEqual((await c.get('/err', { backend: err })).get('x-cache-status'), 'HIT');
  assert.equal(err.calls, 2);
});

test('defaultTtl applies to any status with public', async () => {
  const c = cache({ defaultTtl: '60s' }, { origin: fixed(500, [['Cache-Control', 'public']]) });
  await c.get('/pub500');
  const hit = await c.get('/pub500');
  assertStatus(hit, 'HIT');
  assert.equal(hit.status, 500);
});

test('an unknown final status with explicit freshness is stored', async () => {
  const c = cache({}, { origin: fixed(299, [['Cache-Control', 'max-age=60']]) });
  await c.get('/odd');
  const hit = await c.get('/odd');
  assertStatus(hit, 'HIT');
  assert.equal(hit.status, 299);
});
