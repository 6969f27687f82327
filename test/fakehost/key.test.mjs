// Cache key normalisation (README: lowercased Host, path, query sorted by name with repeated
// names in order, ignoredQueryParams, ignoreQuery, key.headers; GET and HEAD share keys).
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, assertStatus } from './helpers.mjs';

test('query parameters are sorted by name: ?b=2&a=1 hits ?a=1&b=2', async () => {
  const c = cache({});
  await c.get('/q?a=1&b=2');
  const hit = await c.get('/q?b=2&a=1');
  assertStatus(hit, 'HIT');
  assert.equal(hit.text, 'GET /q?a=1&b=2 #1');
  assert.equal(c.origin.calls, 1);
});

test('repeated names keep their order', async () => {
  const c = cache({});
  await c.get('/r?a=1&a=2');
  assertStatus(await c.get('/r?a=2&a=1'), 'MISS', undefined, '(a=2&a=1 is another resource)');
  assertStatus(await c.get('/r?a=1&a=2'), 'HIT');
  await c.get('/r2?a=1&b=x&a=2');
  assertStatus(await c.get('/r2?b=x&a=1&a=2'), 'HIT', undefined, '(b moved, a order kept)');
  assertStatus(await c.get('/r2?a=2&b=x&a=1'), 'MISS');
});

test('different query values and the path are part of the key', async () => {
  const c = cache({});
  await c.get('/k?x=1');
  assertStatus(await c.get('/k?x=2'), 'MISS');
  assertStatus(await c.get('/k'), 'MISS');
  assertStatus(await c.get('/K?x=1'), 'MISS', undefined, '(paths are case-sensitive)');
  assertStatus(await c.get('/k/?x=1'), 'MISS');
  assertStatus(await c.get('/k?x=1'), 'HIT');
});

test('key.ignoredQueryParams drops the listed parameters', async () => {
  const c = cache({ key: { ignoredQueryParams: ['utm_source', 'utm_medium'] } });
  await c.get('/p?x=1&utm_source=mail');
  assertStatus(await c.get('/p?x=1'), 'HIT');
  assertStatus(await c.get('/p?utm_medium=web&x=1&utm_source=ads'), 'HIT');
  assertStatus(await c.get('/p?x=2&utm_source=mail'), 'MISS');
  assert.equal(c.origin.calls, 2);
});

test('key.ignoreQuery leaves the whole query out of the key', async () => {
  const c = cache({ key: { ignoreQuery: true } });
  await c.get('/iq?x=1');
  assertStatus(await c.get('/iq?y=2'), 'HIT');
  assertStatus(await c.get('/iq'), 'HIT');
  assertStatus(await c.get('/other?x=1'), 'MISS');
});

test('key.headers adds request header values to the key', async () => {
  const c = cache({ key: { headers: ['Accept-Language'] } });
  await c.get('/h', { headers: [['Accept-Language', 'fr']] });
  assertStatus(await c.get('/h', { headers: [['accept-language', 'fr']] }), 'HIT');
  assertStatus(await c.get('/h', { headers: [['Accept-Language', 'de']] }), 'MISS');
  assertStatus(await c.get('/h'), 'MISS', undefined, '(absent is not the same as fr)');
  assertStatus(await c.get('/h'), 'HIT', undefined, '(absent matches absent)');
  assertStatus(await c.get('/h', { headers: [['Accept-Language', 'de']] }), 'HIT');
});

test('without key.headers, request headers do not split the key', async () => {
  const c = cache({});
  await c.get('/n', { headers: [['Accept-Language', 'fr']] });
  assertStatus(await c.get('/n', { headers: [['Accept-Language', 'de']] }), 'HIT');
});

test('Host is compared case-insensitively and is part of the key', async () => {
  const c = cache({});
  await c.get('/host', { host: 'API.Example.COM' });
  assertStatus(await c.get('/host', { host: 'api.example.com' }), 'HIT');
  assertStatus(await c.get('/host', { host: 'other.example.com' }), 'MISS');
  assertStatus(await c.get('/host', { host: 'api.example.com:8080' }), 'MISS');
});

test('GET and HEAD share keys: HEAD is answered from a stored GET without a body', async () => {
  const c = cache({}, {});
  const origin = async (req) => ({
    status: 200,
    headers: [['Cache-Control', 'max-age=60'], ['Content-Type', 'application/json'], ['Content-Length', '13'], ['ETag', '"v1"']],
    body: req.method === 'HEAD' ? '' : '{"id":"abc"}\n',
  });
  const miss = await c.get('/gh', { backend: origin });
  assertStatus(miss, 'MISS');
  const head = await c.get('/gh', { method: 'HEAD', backend: () => assert.fail('HEAD must be answered from the stored GET') });
  assertStatus(head, 'HIT');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.get('content-type'), 'application/json');
  assert.equal(head.get('content-length'), '13');
  assert.equal(head.get('etag'), '"v1"');
  assert.equal(head.get('age'), '0', 'Age on every answer from the cache');
});

test('a HEAD miss is not stored: a later GET is still a miss', async () => {
  const c = cache({});
  const first = await c.get('/hm', { method: 'HEAD' });
  assert.equal(first.get('x-cache-status'), 'MISS');
  assert.equal(first.body.length, 0);
  const get = await c.get('/hm');
  assertStatus(get, 'MISS');
  assert.equal(get.text, 'GET /hm #2');
  assertStatus(await c.get('/hm', { method: 'HEAD' }), 'HIT');
});

test('percent-encoding in the path is kept as sent', async () => {
  const c = cache({});
  await c.get('/a%2Fb');
  assertStatus(await c.get('/a/b'), 'MISS', undefined, '(%2F is not /)');
  assertStatus(await c.get('/a%2Fb'), 'HIT');
});
