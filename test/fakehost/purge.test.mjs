// The purge API (README "Purge") and tags, through the fake host: PURGE <url> and POST
// {purge.path}, the token, the JSON answers, and tag headers kept out of client responses.
// Without store.shared each instance has its own store; these tests run one request at a time,
// so every request lands on the same instance.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, makeOrigin, assertStatus } from './helpers.mjs';

const TOKEN = 's3cret-token';
const PURGE = { purge: { token: TOKEN } };
const BEARER = { Authorization: `Bearer ${TOKEN}` };

/** An origin that tags /products/* with their id and "products", and everything else with "other". */
function taggingOrigin() {
  return makeOrigin((req, n) => {
    const id = /^\/products\/(\d+)/.exec(req.uri)?.[1];
    const tags = id ? `product-${id} products` : 'other';
    return {
      status: 200,
      headers: [['Cache-Control', 'max-age=600'], ['Surrogate-Key', tags], ['Cache-Tag', `${tags.replace(' ', ',')}, all`]],
      body: `${req.uri} #${n}`,
    };
  });
}

function purgeCache(config = {}, opts = {}) {
  return cache({ ...PURGE, ...config }, { origin: taggingOrigin(), ...opts });
}

async function warm(c, uris, opts = {}) {
  for (const uri of uris) {
    await c.get(uri, opts);
    assertStatus(await c.get(uri, opts), 'HIT', undefined, `(${uri} warmed)`);
  }
}

function post(c, body, { headers = BEARER, host, uri = '/_cache/purge' } = {}) {
  return c.get(uri, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), host });
}

function assertJson(res, status, expected, msg = '') {
  assert.equal(res.status, status, `status ${msg}: ${res.text}`);
  assert.equal(res.get('content-type'), 'application/json', `content type ${msg}`);
  assert.equal(res.get('cache-control'), 'no-store', `cache-control ${msg}`);
  assert.equal(res.backendCalls, 0, `a purge answer never reaches the backend ${msg}`);
  assert.equal(res.get('x-cache-status'), null, `no cache status on a purge answer ${msg}`);
  if (expected !== undefined) assert.deepEqual(JSON.parse(res.text), expected, msg);
}

test('PURGE <url> removes that URL (GET and HEAD share it) and answers {"purged":N}', async () => {
  const c = purgeCache();
  await warm(c, ['/products/1', '/products/2']);
  assertStatus(await c.get('/products/1', { method: 'HEAD' }), 'HIT');
  const res = await c.get('/products/1', { method: 'PURGE', headers: BEARER });
  assertJson(res, 200, { purged: 1 });
  assertStatus(await c.get('/products/1', { method: 'HEAD' }), 'MISS', undefined, '(HEAD after purge)');
  assertStatus(await c.get('/products/1'), 'MISS', undefined, '(GET after purge)');
  assertStatus(await c.get('/products/2'), 'HIT', undefined, '(another URL stays)');
  assertJson(await c.get('/nothing', { method: 'PURGE', headers: BEARER }), 200, { purged: 0 });
});

test('PURGE normalises the URL like the cache key and removes every variant', async () => {
  const c = purgeCache({ key: { headers: ['Accept-Language'], ignoredQueryParams: ['utm_source'] } });
  await warm(c, ['/p?b=2&a=1']);
  await warm(c, ['/v'], { headers: { 'Accept-Language': 'en' } });
  await warm(c, ['/v'], { headers: { 'Accept-Language': 'fr' } });
  assertJson(await c.get('/p?utm_source=x&a=1&b=2', { method: 'PURGE', headers: BEARER }), 200, { purged: 1 });
  assertJson(await c.get('/v', { method: 'PURGE', headers: BEARER }), 200, { purged: 2 });
  assertStatus(await c.get('/v', { headers: { 'Accept-Language': 'fr' } }), 'MISS');
});

test('PURGE uses the request host, case-insensitively', async () => {
  const c = purgeCache();
  await warm(c, ['/a'], { host: 'one.example' });
  await warm(c, ['/a'], { host: 'two.example' });
  assertJson(await c.get('/a', { method: 'PURGE', headers: BEARER, host: 'ONE.example' }), 200, { purged: 1 });
  assertStatus(await c.get('/a', { host: 'one.example' }), 'MISS');
  assertStatus(await c.get('/a', { host: 'two.example' }), 'HIT');
});

test('the token: Bearer or X-Purge-Token; missing or wrong is a 401 that purges nothing', async () => {
  const c = purgeCache();
  await warm(c, ['/a']);
  for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${TOKEN}x` },
    { Authorization: `Basic ${TOKEN}` }, { 'X-Purge-Token': TOKEN.slice(0, -1) }, { Authorization: TOKEN }]) {
    const res = await c.get('/a', { method: 'PURGE', headers });
    assertJson(res, 401, { error: 'purge token missing or wrong' }, JSON.stringify(headers));
    assert.equal(res.get('www-authenticate'), 'Bearer');
    assertStatus(await c.get('/a'), 'HIT', undefined, `(after ${JSON.stringify(headers)})`);
  }
  assertJson(await c.get('/a', { method: 'PURGE', headers: { 'X-Purge-Token': TOKEN } }), 200, { purged: 1 });
  await warm(c, ['/a']);
  assertJson(await c.get('/a', { method: 'PURGE', headers: { Authorization: `bearer ${TOKEN}` } }), 200, { purged: 1 });
  await warm(c, ['/a']);
  assertJson(await post(c, { urls: ['/a'] }, { headers: {} }), 401);
  assertJson(await post(c, { urls: ['/a'] }, { headers: { 'X-Purge-Token': 'nope' } }), 401);
  assertStatus(await c.get('/a'), 'HIT');
});

test('POST purge.path: urls, absolute URLs, prefixes, tags and all', async () => {
  const c = purgeCache();
  await warm(c, ['/products/1', '/products/2', '/products/3?x=1', '/about', '/help']);
  await warm(c, ['/products/1'], { host: 'shop.example:8080' });

  assertJson(await post(c, { urls: ['/about', 'https://shop.example:8080/products/1'] }), 200, { purged: 2 });
  assertStatus(await c.get('/about'), 'MISS');
  assertStatus(await c.get('/products/1', { host: 'shop.example:8080' }), 'MISS');
  assertStatus(await c.get('/products/1'), 'HIT', undefined, '(same path, other host)');

  assertJson(await post(c, { prefixes: ['/products/3'] }), 200, { purged: 1 });
  assertStatus(await c.get('/products/3?x=1'), 'MISS');

  assertJson(await post(c, { tags: ['product-2'] }), 200, { purged: 1 });
  assertStatus(await c.get('/products/2'), 'MISS');
  assertStatus(await c.get('/products/1'), 'HIT');

  // Cache-Tag values are comma-separated: "products" reaches every product page, on both hosts
  // (the MISSes above stored /products/2, /products/3?x=1 and shop.example's /products/1 again).
  assertJson(await post(c, { tags: ['products'] }), 200, { purged: 4 });
  assertStatus(await c.get('/products/1'), 'MISS');
  assertStatus(await c.get('/help'), 'HIT');

  await warm(c, ['/products/1']);
  assertJson(await post(c, { all: true }), 200, { purged: 3 }, '(/about, /help, /products/1)');
  for (const uri of ['/help', '/about', '/products/1']) assertStatus(await c.get(uri), 'MISS', undefined, uri);
});

test('POST purge.path: a readable 400 for bad JSON, wrong types, unknown members and empty requests', async () => {
  const c = purgeCache();
  const cases = [
    ['{"urls":[', /not valid JSON/],
    ['', /not valid JSON/],
    ['["/a"]', /JSON object/],
    [{ url: ['/a'] }, /unknown member "url"/],
    [{ urls: '/a' }, /"urls": expected a list of strings/],
    [{ urls: ['/a', 3] }, /urls\[1\]/],
    [{ urls: ['ftp://x/a'] }, /urls\[0\] "ftp:\/\/x\/a"/],
    [{ prefixes: ['products'] }, /prefixes\[0\]/],
    [{ tags: ['two words'] }, /tags\[0\]/],
    [{ all: 'yes' }, /"all"/],
    [{}, /nothing to purge/],
    [{ urls: [], all: false }, /nothing to purge/],
  ];
  for (const [body, pattern] of cases) {
    const res = await post(c, body);
    assertJson(res, 400, undefined, JSON.stringify(body));
    assert.match(JSON.parse(res.text).error, pattern, JSON.stringify(body));
  }
  const big = await post(c, { urls: ['/' + 'a'.repeat(1 << 20)] });
  assertJson(big, 413);
  assert.match(JSON.parse(big.text).error, /larger than/);
});

test('other methods on purge.path get 405 with Allow: POST; the query does not matter', async () => {
  const c = purgeCache({ purge: { token: TOKEN, path: '/admin/purge' } });
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await c.get('/admin/purge?x=1', { method, headers: BEARER });
    assertJson(res, 405, undefined, method);
    assert.equal(res.get('allow'), 'POST');
  }
  const head = await c.get('/admin/purge', { method: 'HEAD' });
  assert.equal(head.status, 405);
  assert.equal(head.body.length, 0);
  assertJson(await post(c, { all: true }, { uri: '/admin/purge?x=1' }), 200, { purged: 0 });
  // The default path is an ordinary path now.
  const res = await post(c, { all: true });
  assert.equal(res.backendCalls, 1);
});

test('purge off (no token): PURGE and purge.path go to the backend like any request', async () => {
  const c = cache({}, { origin: taggingOrigin() });
  await warm(c, ['/a', '/b']);
  // PURGE is then an unknown (unsafe) method: forwarded, and its 2xx invalidates /a like any write.
  const purge = await c.get('/a', { method: 'PURGE', headers: BEARER });
  assert.equal(purge.backendCalls, 1);
  assert.equal(purge.text, '/a #3', 'the backend answers the PURGE');
  assertStatus(purge, 'BYPASS', 'httpcache; fwd=method');
  const postRes = await post(c, { all: true });
  assert.equal(postRes.backendCalls, 1);
  assertStatus(postRes, 'BYPASS', 'httpcache; fwd=method');
  assertStatus(await c.get('/b'), 'HIT', undefined, '(nothing was purged by the cache itself)');
  assertStatus(await c.get('/a'), 'MISS', 'httpcache; fwd=uri-miss; stored', '(invalidated by the forwarded PURGE)');
});

test('purge.tokenEnv reads the token from settings.envs; an unset variable refuses the configuration', async () => {
  const c = cache({ purge: { tokenEnv: 'HTTPCACHE_PURGE_TOKEN' } }, { origin: taggingOrigin(), env: { HTTPCACHE_PURGE_TOKEN: 'from-env' } });
  await warm(c, ['/a']);
  assertJson(await c.get('/a', { method: 'PURGE', headers: { Authorization: 'Bearer from-env' } }), 200, { purged: 1 });
  const missing = cache({ purge: { tokenEnv: 'HTTPCACHE_PURGE_TOKEN' } });
  const res = await missing.get('/a');
  assert.equal(res.status, 500);
  assert.match(res.text, /purge\.tokenEnv.*HTTPCACHE_PURGE_TOKEN/);
});

test('purge without a shared store logs a warning at start-up', async () => {
  const c = purgeCache();
  await c.get('/a');
  const warnings = c.mw.logs.filter((l) => l.level === 'warn');
  assert.ok(warnings.some((l) => /without a shared store/.test(l.message)), JSON.stringify(c.mw.logs));
  const quiet = cache({ store: { shared: false } });
  await quiet.get('/a');
  assert.equal(quiet.mw.logs.filter((l) => l.level === 'warn').length, 0);
});

test('tag headers are removed from client responses and stored entries unless keepTagHeaders', async () => {
  const c = purgeCache();
  const miss = await c.get('/products/7');
  assertStatus(miss, 'MISS');
  assert.equal(miss.get('surrogate-key'), null);
  assert.equal(miss.get('cache-tag'), null);
  const hit = await c.get('/products/7');
  assertStatus(hit, 'HIT');
  assert.equal(hit.get('surrogate-key'), null);
  assert.equal(hit.get('cache-tag'), null);

  const kept = purgeCache({ keepTagHeaders: true });
  for (let i = 0; i < 2; i++) {
    const res = await kept.get('/products/7');
    assert.equal(res.get('surrogate-key'), 'product-7 products', res.cache);
    assert.equal(res.get('cache-tag'), 'product-7,products, all', res.cache);
  }
  assertJson(await post(kept, { tags: ['product-7'] }), 200, { purged: 1 });
});

test('tagHeaders chooses the headers; tags are case-sensitive', async () => {
  const c = cache({ ...PURGE, tagHeaders: ['X-Tags'] }, {
    origin: makeOrigin((req) => ({ status: 200, headers: [['Cache-Control', 'max-age=600'], ['X-Tags', 'Blue, green'], ['Surrogate-Key', 'ignored']], body: req.uri })),
  });
  const miss = await c.get('/a');
  assert.equal(miss.get('x-tags'), null);
  assert.equal(miss.get('surrogate-key'), 'ignored');
  await warm(c, ['/a']);
  assertJson(await post(c, { tags: ['ignored', 'blue'] }), 200, { purged: 0 });
  assertJson(await post(c, { tags: ['Blue'] }), 200, { purged: 1 });
});

test('a response with more distinct tags than a record keeps is not stored', async () => {
  const many = Array.from({ length: 200 }, (_, i) => `t${i}`).join(' ');
  const c = purgeCache({}, { origin: makeOrigin((req) => ({ status: 200, headers: [['Cache-Control', 'max-age=600'], ['Surrogate-Key', req.uri === '/many' ? many : 'few']], body: req.uri })) });
  await c.get('/many');
  assertStatus(await c.get('/many'), 'MISS');
  await warm(c, ['/few']);
});
