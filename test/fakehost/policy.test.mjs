// Storage and bypass rules of the README contract, and the status headers' exact values.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cache, fixed, makeOrigin, assertStatus, buffered } from './helpers.mjs';

const MISS_STORED = 'httpcache; fwd=uri-miss; stored';

function notStored(res) {
  const cs = res.get('cache-status') ?? '';
  assert.ok(!/;\s*stored/.test(cs), `response must not be stored, Cache-Status: ${cs}`);
}

// ---- Authorization (§3.5) ------------------------------------------------------------------------

const AUTH = [['Authorization', 'Bearer secret-token']];

test('Authorization: a plain max-age response is not stored and not shared', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60']], 'private data') });
  const first = await c.get('/me', { headers: AUTH });
  notStored(first);
  const second = await c.get('/me', { headers: AUTH });
  assert.notEqual(second.get('x-cache-status'), 'HIT');
  const anon = await c.get('/me');
  assert.notEqual(anon.get('x-cache-status'), 'HIT', 'an authorized response must never reach an anonymous client');
  assert.equal(c.origin.calls, 3);
});

for (const cc of ['public, max-age=60', 's-maxage=60', 'must-revalidate, max-age=60']) {
  test(`Authorization: "${cc}" may be stored and answer authorized requests`, async () => {
    const c = cache({}, { origin: fixed(200, [['Cache-Control', cc]]) });
    assertStatus(await c.get('/shared', { headers: AUTH }), 'MISS', MISS_STORED);
    const hit = await c.get('/shared', { headers: [['Authorization', 'Bearer other']] });
    assertStatus(hit, 'HIT');
    assert.equal(hit.text, 'body#1');
    assert.equal(c.origin.calls, 1);
  });
}

test('Authorization: an entry stored without public/s-maxage/must-revalidate is bypassed', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60']]) });
  await c.get('/a');
  assertStatus(await c.get('/a'), 'HIT');
  const authed = await c.get('/a', { headers: AUTH });
  assert.equal(authed.get('x-cache-status'), 'BYPASS');
  assert.equal(authed.text, 'body#2');
  assertStatus(await c.get('/a'), 'HIT', undefined, '(the anonymous entry is still there)');
});

test('Authorization: an entry stored with public answers an authorized request', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'public, max-age=60']]) });
  await c.get('/p');
  assertStatus(await c.get('/p', { headers: AUTH }), 'HIT');
});

// ---- Set-Cookie --------------------------------------------------------------------------------

test('Set-Cookie (default bypass): never stored, the client still gets its cookie', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Set-Cookie', 'sid=abc; HttpOnly']]) });
  const first = await c.get('/login');
  notStored(first);
  assert.equal(first.get('set-cookie'), 'sid=abc; HttpOnly');
  const second = await c.get('/login');
  assert.notEqual(second.get('x-cache-status'), 'HIT');
  assert.equal(c.origin.calls, 2);
});

test('setCookie: strip stores without Set-Cookie; the client that caused the miss gets it', async () => {
  const c = cache({ setCookie: 'strip' }, {
    origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Keep', 'yes']]),
  });
  const miss = await c.get('/sc');
  assertStatus(miss, 'MISS', MISS_STORED);
  assert.deepEqual(miss.values('set-cookie'), ['a=1', 'b=2']);
  const hit = await c.get('/sc');
  assertStatus(hit, 'HIT');
  assert.equal(hit.has('set-cookie'), false, 'a stored response must not carry Set-Cookie');
  assert.equal(hit.get('x-keep'), 'yes');
});

// ---- responses that are never stored ---------------------------------------------------------------

const NEVER = [
  ['Vary: *', 200, [['Cache-Control', 'max-age=60'], ['Vary', '*']]],
  ['no-store', 200, [['Cache-Control', 'max-age=60, no-store']]],
  ['private', 200, [['Cache-Control', 'private, max-age=60']]],
  ['206', 206, [['Cache-Control', 'max-age=60'], ['Content-Range', 'bytes 0-3/10']]],
];
for (const [name, status, headers] of NEVER) {
  test(`${name}: not stored`, async () => {
    const c = cache({}, { origin: fixed(status, headers) });
    const first = await c.get('/never');
    assert.equal(first.status, status);
    notStored(first);
    const second = await c.get('/never');
    assert.notEqual(second.get('x-cache-status'), 'HIT');
    assert.equal(c.origin.calls, 2);
  });
}

test('Vary: stored per variant; same varied values HIT, others MISS with fwd=vary-miss', async () => {
  const c = cache({}, { origin: makeOrigin((req, n) => ({
    status: 200,
    headers: [['Cache-Control', 'max-age=60'], ['Vary', 'Accept-Encoding']],
    body: `${req.get('accept-encoding') ?? 'none'}#${n}`,
  })) });
  const gz = [['Accept-Encoding', 'gzip']];
  const br = [['Accept-Encoding', 'br']];
  assertStatus(await c.get('/vary', { headers: gz }), 'MISS', MISS_STORED);
  const gzHit = await c.get('/vary', { headers: gz });
  assertStatus(gzHit, 'HIT');
  assert.equal(gzHit.text, 'gzip#1');
  const brMiss = await c.get('/vary', { headers: br });
  assertStatus(brMiss, 'MISS', 'httpcache; fwd=vary-miss; stored');
  assert.equal(brMiss.text, 'br#2');
  const brHit = await c.get('/vary', { headers: br });
  assertStatus(brHit, 'HIT');
  assert.equal(brHit.text, 'br#2');
  assertStatus(await c.get('/vary'), 'MISS', 'httpcache; fwd=vary-miss; stored', '(no Accept-Encoding is a variant of its own)');
  assert.equal((await c.get('/vary', { headers: gz })).text, 'gzip#1', 'the first variant is still stored');
  assert.equal(c.origin.calls, 3);
});

test('a request with Range is not answered from the cache', async () => {
  const c = cache({});
  await c.get('/range');
  const ranged = await c.get('/range', { headers: [['Range', 'bytes=0-3']] });
  assert.notEqual(ranged.get('x-cache-status'), 'HIT');
  assert.equal(c.origin.calls, 2);
});

// ---- excludedResponseCodes ------------------------------------------------------------------------

test('excludedResponseCodes: numbers', async () => {
  const c = cache({ excludedResponseCodes: [404, 410] });
  const nf = fixed(404, [['Cache-Control', 'max-age=60']]);
  notStored(await c.get('/x', { backend: nf }));
  assert.notEqual((await c.get('/x', { backend: nf })).get('x-cache-status'), 'HIT');
  const ok = fixed(200, [['Cache-Control', 'max-age=60']]);
  await c.get('/y', { backend: ok });
  assertStatus(await c.get('/y', { backend: ok }), 'HIT');
});

test('excludedResponseCodes: "500-599" range and string numbers (file provider form)', async () => {
  const c = cache({ excludedResponseCodes: ['500-599', '404'] });
  for (const [path, status, stored] of [['/e503', 503, false], ['/e500', 500, false], ['/e599', 599, false], ['/e404', 404, false], ['/e410', 410, true], ['/e200', 200, true]]) {
    const b = fixed(status, [['Cache-Control', 'max-age=60']]);
    await c.get(path, { backend: b });
    const second = await c.get(path, { backend: b });
    assert.equal(second.get('x-cache-status') === 'HIT', stored, `${status} stored=${stored}`);
  }
});

// ---- maxObjectSize ---------------------------------------------------------------------------

test('maxObjectSize: a Content-Length above it is passed through and not stored', async () => {
  const big = 'x'.repeat(2048);
  const c = cache({ maxObjectSize: '1Ki' }, {
    origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Content-Length', String(big.length)]], () => big),
  });
  const first = await c.get('/big');
  assert.equal(first.body.length, 2048);
  notStored(first);
  const second = await c.get('/big');
  assert.notEqual(second.get('x-cache-status'), 'HIT');
  assert.equal(second.body.length, 2048);
});

test('maxObjectSize: a body above it without Content-Length is passed through whole and not stored', async () => {
  const big = Buffer.alloc(5000, 0x61);
  const c = cache({ maxObjectSize: '4Ki' }, { origin: fixed(200, [['Cache-Control', 'max-age=60']], () => big) });
  const first = await c.get('/chunked');
  assert.equal(first.body.length, 5000);
  assert.ok(first.body.equals(big), 'the client must get the whole body');
  notStored(first);
  const second = await c.get('/chunked');
  assert.notEqual(second.get('x-cache-status'), 'HIT');
  assert.equal(second.body.length, 5000);
});

test('maxObjectSize: a body of exactly the limit is stored; K = 1000 bytes', async () => {
  const c = cache({ maxObjectSize: '1K' });
  const exact = fixed(200, [['Cache-Control', 'max-age=60']], () => 'y'.repeat(1000));
  await c.get('/exact', { backend: exact });
  const hit = await c.get('/exact', { backend: exact });
  assertStatus(hit, 'HIT');
  assert.equal(hit.body.length, 1000);
  const over = fixed(200, [['Cache-Control', 'max-age=60']], () => 'y'.repeat(1001));
  await c.get('/over', { backend: over });
  assert.notEqual((await c.get('/over', { backend: over })).get('x-cache-status'), 'HIT');
});

// ---- request directives -------------------------------------------------------------------------

/**
 * A no-cache request goes to the backend (BYPASS, fwd=request) and "may refresh the stored
 * entry": if Cache-Status says "stored", the next plain request must be a HIT on the new body.
 */
async function noCacheRefresh(c, path, headers) {
  await c.get(path);
  const res = await c.get(path, { headers });
  assert.equal(res.get('x-cache-status'), 'BYPASS');
  const cs = res.get('cache-status');
  assert.ok(cs === 'httpcache; fwd=request' || cs === 'httpcache; fwd=request; stored', `Cache-Status: ${cs}`);
  assert.equal(res.text, `GET ${path} #2`);
  assert.equal(c.origin.calls, 2);
  const after = await c.get(path);
  assertStatus(after, 'HIT');
  assert.equal(after.text, cs.endsWith('stored') ? `GET ${path} #2` : `GET ${path} #1`);
}

test('request Cache-Control: no-cache goes to the backend (BYPASS, fwd=request)', async () => {
  await noCacheRefresh(cache({}), '/nc', [['Cache-Control', 'no-cache']]);
});

test('request Pragma: no-cache (no Cache-Control) goes to the backend', async () => {
  await noCacheRefresh(cache({}), '/pr', [['Pragma', 'no-cache']]);
});

test('request Cache-Control: no-store goes to the backend on a miss and never stores', async () => {
  const c = cache({});
  const res = await c.get('/ns', { headers: [['Cache-Control', 'no-store']] });
  assertStatus(res, 'MISS', 'httpcache; fwd=uri-miss');
  assert.equal(res.text, 'GET /ns #1');
  assertStatus(await c.get('/ns'), 'MISS', MISS_STORED, '(nothing was stored by the no-store request)');
  assert.equal(c.origin.calls, 2);
});

test('request Cache-Control: no-store may be answered by a fresh stored response (§5.2.1.5)', async () => {
  const c = cache({});
  assertStatus(await c.get('/ns-hit'), 'MISS', MISS_STORED);
  const hit = await c.get('/ns-hit', { headers: [['Cache-Control', 'no-store']] });
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=60');
  assert.equal(hit.text, 'GET /ns-hit #1');
  assert.equal(c.origin.calls, 1);
});

// ---- methods -----------------------------------------------------------------------------------

test('unsafe methods stream to the backend (BYPASS, fwd=method), are not stored, and invalidate the URL (§4.4)', async () => {
  const c = cache({});
  assertStatus(await c.get('/m'), 'MISS', MISS_STORED, '(first GET)');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    assertStatus(await c.get('/m'), 'HIT', undefined, `(GET before ${method})`);
    const before = c.mw.featureCalls.length;
    const res = await c.get('/m', { method, body: method === 'POST' ? '{"a":1}' : undefined });
    assertStatus(res, 'BYPASS', 'httpcache; fwd=method', method);
    assert.equal(res.backendRequest.method, method);
    assert.equal(buffered(c.mw, before), false, `${method} streams (an answer to a POST may be an event stream)`);
    assertStatus(await c.get('/m'), 'MISS', MISS_STORED, `(${method} invalidated it)`);
  }
  const post = c.origin.requests.find((r) => r.method === 'POST');
  assert.equal(post.body.toString(), '{"a":1}', 'the request body reaches the backend');
});

test('OPTIONS and TRACE pass through (BYPASS, fwd=method) without buffering or invalidating', async () => {
  const c = cache({});
  await c.get('/o');
  for (const method of ['OPTIONS', 'TRACE']) {
    const before = c.mw.featureCalls.length;
    const res = await c.get('/o', { method });
    assertStatus(res, 'BYPASS', 'httpcache; fwd=method', method);
    assert.equal(res.backendRequest.method, method);
    assert.equal(buffered(c.mw, before), false, `${method} must stream, not buffer`);
  }
  assertStatus(await c.get('/o'), 'HIT', undefined, '(OPTIONS/TRACE do not invalidate)');
  assert.equal(c.origin.calls, 3);
});

test('an unsafe method answered 4xx/5xx invalidates too: its status cannot be read while it streams', async () => {
  const c = cache({});
  await c.get('/w');
  for (const status of [400, 404, 500, 503]) {
    const res = await c.get('/w', { method: 'POST', backend: fixed(status) });
    assertStatus(res, 'BYPASS', 'httpcache; fwd=method', String(status));
    assert.equal(res.status, status);
    assertStatus(await c.get('/w'), 'MISS', MISS_STORED, `(after a POST answered ${status})`);
  }
  assert.equal(c.origin.calls, 5);
});

test('methods: ["GET"] => HEAD passes through (BYPASS, fwd=bypass)', async () => {
  const c = cache({ methods: ['GET'] });
  await c.get('/g');
  assertStatus(await c.get('/g'), 'HIT');
  const head = await c.get('/g', { method: 'HEAD' });
  assertStatus(head, 'BYPASS', 'httpcache; fwd=bypass');
  assert.equal(c.origin.calls, 2);
});

// ---- status headers --------------------------------------------------------------------------

test('status headers: exact values for MISS, HIT, EXPIRED, BYPASS', async () => {
  const c = cache({});
  assertStatus(await c.get('/s'), 'MISS', 'httpcache; fwd=uri-miss; stored');
  c.clock.advance(18);
  const hit = await c.get('/s');
  assertStatus(hit, 'HIT', 'httpcache; hit; ttl=42');
  assert.equal(hit.get('age'), '18');
  c.clock.advance(60);
  assertStatus(await c.get('/s'), 'EXPIRED', 'httpcache; fwd=stale; stored');
  assertStatus(await c.get('/s', { headers: [['Cache-Control', 'no-cache']] }), 'BYPASS', 'httpcache; fwd=request; stored');
  assertStatus(await c.get('/s', { method: 'POST' }), 'BYPASS', 'httpcache; fwd=method');
  assertStatus(await c.get('/s', { headers: [['Cache-Control', 'no-store']] }), 'MISS', 'httpcache; fwd=uri-miss');
});

test('a miss that is not stored says so: MISS without "stored"', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'no-store']]) });
  const res = await c.get('/nostore');
  assertStatus(res, 'MISS', 'httpcache; fwd=uri-miss');
});

test('Age is only on answers from the cache; the backend Age passes through a miss', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60']]) });
  const miss = await c.get('/age');
  assert.equal(miss.has('age'), false);
  assert.equal((await c.get('/age')).get('age'), '0');
});

test('cacheName names the cache in Cache-Status', async () => {
  const c = cache({ cacheName: 'edge-cache' });
  assertStatus(await c.get('/n'), 'MISS', 'edge-cache; fwd=uri-miss; stored');
  c.clock.advance(1);
  assertStatus(await c.get('/n'), 'HIT', 'edge-cache; hit; ttl=59');
  assertStatus(await c.get('/n', { method: 'DELETE' }), 'BYPASS', 'edge-cache; fwd=method');
});

test('Cache-Status is appended to an upstream Cache-Status', async () => {
  const c = cache({}, { origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Cache-Status', 'origin-cache; hit']]) });
  const miss = await c.get('/up');
  assert.equal(miss.get('cache-status'), 'origin-cache; hit, httpcache; fwd=uri-miss; stored');
  const hit = await c.get('/up');
  assert.equal(hit.get('cache-status'), 'origin-cache; hit, httpcache; hit; ttl=60');
  // A pass-through that streams (POST, OPTIONS) sets our member before the backend answers: it
  // comes first (changing headers after next needs buffering).
  const bypass = await c.get('/up', { method: 'POST' });
  assert.equal(bypass.get('cache-status'), 'httpcache; fwd=method, origin-cache; hit');
  const options = await c.get('/up', { method: 'OPTIONS' });
  assert.equal(options.get('cache-status'), 'httpcache; fwd=method, origin-cache; hit');
});

test('disableCacheStatusHeader: no X-Cache-Status / Cache-Status added; upstream ones untouched', async () => {
  const c = cache({ disableCacheStatusHeader: true }, {
    origin: fixed(200, [['Cache-Control', 'max-age=60'], ['Cache-Status', 'origin-cache; hit']]),
  });
  const miss = await c.get('/d');
  assert.equal(miss.has('x-cache-status'), false);
  assert.equal(miss.get('cache-status'), 'origin-cache; hit');
  c.clock.advance(5);
  const hit = await c.get('/d');
  assert.equal(c.origin.calls, 1, 'still cached');
  assert.equal(hit.has('x-cache-status'), false);
  assert.equal(hit.get('cache-status'), 'origin-cache; hit');
  assert.equal(hit.get('age'), '5', 'Age is still sent on answers from the cache');
  const post = await c.get('/d', { method: 'POST' });
  assert.equal(post.has('x-cache-status'), false);
});

// ---- what a stored entry keeps ------------------------------------------------------------------

test('a stored entry keeps multi-value headers and drops hop-by-hop ones and Age', async () => {
  // proxy: false hands the backend's hop-by-hop headers to the guest (Traefik's reverse proxy
  // would strip them before the middleware sees them).
  const c = cache({}, {
    proxy: false,
    origin: fixed(200, [
      ['Cache-Control', 'max-age=60'],
      ['Link', '</a>; rel=preload'],
      ['Link', '</b>; rel=preload'],
      ['Connection', 'X-Hop-Custom'],
      ['X-Hop-Custom', '1'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Authenticate', 'Basic'],
      ['Trailer', 'X-Checksum'],
      ['Upgrade', 'h2c'],
      ['Te', 'trailers'],
      ['Age', '3'],
      ['X-End', 'kept'],
    ]),
  });
  await c.get('/hdr');
  const hit = await c.get('/hdr');
  assertStatus(hit, 'HIT');
  assert.deepEqual(hit.values('link'), ['</a>; rel=preload', '</b>; rel=preload']);
  for (const h of ['connection', 'x-hop-custom', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade', 'te']) {
    assert.equal(hit.has(h), false, `${h} must not be stored`);
  }
  assert.deepEqual(hit.values('age'), ['3'], 'one Age, computed (3 + 0)');
  assert.equal(hit.get('x-end'), 'kept');
});

test('the stored body and status are served byte for byte', async () => {
  const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
  const c = cache({}, { origin: fixed(203, [['Cache-Control', 'max-age=60'], ['Content-Type', 'application/octet-stream']], () => body) });
  await c.get('/bin');
  const hit = await c.get('/bin');
  assertStatus(hit, 'HIT');
  assert.equal(hit.status, 203);
  assert.ok(hit.body.equals(body));
});

test('an empty 204 is stored and answered without a body', async () => {
  const c = cache({}, { origin: fixed(204, [['Cache-Control', 'max-age=60']], () => '') });
  await c.get('/empty');
  const hit = await c.get('/empty');
  assertStatus(hit, 'HIT');
  assert.equal(hit.status, 204);
  assert.equal(hit.body.length, 0);
});

test('backend errors (502 from the proxy) are not stored', async () => {
  const c = cache({});
  const down = () => {
    throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
  };
  const res = await c.get('/down', { backend: down });
  assert.equal(res.status, 502);
  notStored(res);
});

test('nothing is logged per request above debug with the default logLevel', async () => {
  const c = cache({});
  const results = [];
  results.push(await c.get('/l'));
  results.push(await c.get('/l'));
  results.push(await c.get('/l', { method: 'POST' }));
  results.push(await c.get('/l', { headers: AUTH }));
  results.push(await c.get('/l', { headers: [['Cache-Control', 'no-cache']] }));
  results.push(await c.get('/big', { backend: fixed(200, [['Cache-Control', 'max-age=60']], () => 'z'.repeat(2 * 1024 * 1024)) }));
  for (const r of results) {
    const loud = r.logs.filter((l) => l.levelNum >= 0);
    assert.deepEqual(loud, [], 'per-request logs above debug');
  }
});

// Hit-for-pass: once a URL's response could not be stored for a reason in its own headers, the
// next requests for 30 s stream through instead of being buffered for nothing.
test('a URL whose response cannot be stored streams for 30 s, then is tried again', async () => {
  let cacheControl = 'no-store';
  const c = cache({}, { origin: makeOrigin(() => ({ status: 200, headers: [['Cache-Control', cacheControl]], body: 'v' })) });
  let before = c.mw.featureCalls.length;
  assertStatus(await c.get('/hfp'), 'MISS', 'httpcache; fwd=uri-miss');
  assert.equal(buffered(c.mw, before), true, 'the first response is buffered: it might be storable');
  c.clock.advance(10);
  before = c.mw.featureCalls.length;
  assertStatus(await c.get('/hfp'), 'MISS', 'httpcache; fwd=uri-miss');
  assert.equal(buffered(c.mw, before), false, 'known to be uncacheable: streamed');
  cacheControl = 'max-age=60'; // the backend changes its mind
  c.clock.advance(21);
  before = c.mw.featureCalls.length;
  assertStatus(await c.get('/hfp'), 'MISS', MISS_STORED);
  assert.equal(buffered(c.mw, before), true);
  assertStatus(await c.get('/hfp'), 'HIT');
  assert.equal(c.origin.calls, 3);
});

test('a passing error status is not remembered: the next request may still be stored', async () => {
  let status = 503;
  const c = cache({}, { origin: makeOrigin(() => ({ status, headers: [['Cache-Control', 'no-store']], body: 'e' })) });
  await c.get('/err');
  status = 200;
  const before = c.mw.featureCalls.length;
  await c.get('/err');
  assert.equal(buffered(c.mw, before), true, 'a 503 must not make the URL stream');
});

test('an uncacheable answer replaces an expired entry', async () => {
  let cacheControl = 'max-age=5';
  const c = cache({}, { origin: makeOrigin(() => ({ status: 200, headers: [['Cache-Control', cacheControl]], body: 'v' })) });
  assertStatus(await c.get('/rep'), 'MISS', MISS_STORED);
  c.clock.advance(6);
  cacheControl = 'private';
  assertStatus(await c.get('/rep'), 'EXPIRED', 'httpcache; fwd=stale');
  assertStatus(await c.get('/rep'), 'MISS', 'httpcache; fwd=uri-miss');
  assert.equal(c.origin.calls, 3);
});

test('a response header too long for the read buffer is still read whole (Cache-Control of 8 KiB)', async () => {
  const pad = 'x'.repeat(8192);
  const c = cache({}, { origin: fixed(200, [['Cache-Control', `max-age=60, x-pad="${pad}"`], ['X-Big', pad]]) });
  assertStatus(await c.get('/big-header'), 'MISS', MISS_STORED);
  const hit = await c.get('/big-header');
  assertStatus(hit, 'HIT');
  assert.equal(hit.get('x-big'), pad);
});
