// Shared helpers for the fake-host scenario tests. Library, not a test.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Clock, createMiddleware, PLUGIN_WASM } from './host.mjs';

let cached = null;

/** The release build. Missing = a clear failure (run `npm run build` first). */
export function pluginBytes() {
  if (cached) return cached;
  assert.ok(existsSync(PLUGIN_WASM), `${PLUGIN_WASM} is missing: run \`npm run build\` first`);
  cached = readFileSync(PLUGIN_WASM);
  return cached;
}

/**
 * A cache under test: {mw, clock, get(uri, opts), serve(request, backend)} with a default
 * origin. Every exchange is checked against the ABI rules a guest must keep (no trap, no leaked
 * instance, handle_request returns exactly 0 when it answers, features only enabled in
 * handle_request, never log at level 3).
 */
export function cache(config = {}, opts = {}) {
  const clock = opts.clock ?? new Clock();
  const mw = createMiddleware(pluginBytes(), config, { clock, ...opts });
  const origin = opts.origin ?? makeOrigin();
  const checked = async (request, backend = origin) => {
    const before = mw.featureCalls.length;
    const res = await mw.serve(request, backend);
    checkInvariants(mw, res, before);
    return res;
  };
  return {
    mw,
    clock,
    origin,
    serve: checked,
    /** GET (or opts.method) uri with headers; host defaults to api.example.com. */
    get(uri, { method = 'GET', headers = [], host = 'api.example.com', body, backend } = {}) {
      return checked({ method, uri, headers: [['Host', host], ...headerList(headers)], body }, backend ?? origin);
    },
  };
}

function headerList(h) {
  if (Array.isArray(h)) return h;
  return Object.entries(h);
}

export function checkInvariants(mw, res, featureCallsBefore = 0) {
  assert.equal(res.trap, null, `guest trapped: ${res.trap?.message}`);
  assert.equal(res.aborted, false, 'response aborted (panic after headers were sent)');
  assert.equal(res.leaked, false, 'handle_request returned next=0 with a non-zero context: instance leaked');
  if (!res.next) assert.equal(res.handleRequestResult, 0n, 'a guest-served answer must return exactly 0');
  for (const c of mw.featureCalls.slice(featureCallsBefore)) {
    // Outside a request only the start-up marker (trailers, which changes nothing; see
    // assembly/host/http.ts isFirstInstance) or a read of the features (0).
    if (!c.inRequest) assert.equal(c.requested & ~4, 0, `enable_features(${c.requested}) outside a request`);
    assert.ok(!c.afterNext, 'enable_features called in handle_response');
  }
  for (const l of res.logs) assert.notEqual(l.levelNum, 3, 'guest logged at level 3 (fatal in Traefik)');
}

/**
 * A scripted origin. respond(req, n) -> {status, headers, body}; default: 200, max-age=60, body
 * naming the URI and the call number. origin.calls counts calls; origin.requests keeps them.
 */
export function makeOrigin(respond) {
  const fn = async (req) => {
    fn.calls++;
    fn.requests.push(req);
    if (respond) return respond(req, fn.calls);
    return {
      status: 200,
      headers: [['Cache-Control', 'max-age=60'], ['Content-Type', 'text/plain']],
      body: `${req.method} ${req.uri} #${fn.calls}`,
    };
  };
  fn.calls = 0;
  fn.requests = [];
  return fn;
}

/** A fixed response: origin with the same answer every time (body gets the call number appended). */
export function fixed(status, headers = [], body = 'body') {
  return makeOrigin((req, n) => ({ status, headers, body: typeof body === 'function' ? body(req, n) : `${body}#${n}` }));
}

/** Asserts X-Cache-Status and (when given) the exact Cache-Status value. */
export function assertStatus(res, xcache, cacheStatus, msg = '') {
  assert.equal(res.get('x-cache-status'), xcache, `X-Cache-Status ${msg}`);
  if (cacheStatus !== undefined) assert.equal(res.get('cache-status'), cacheStatus, `Cache-Status ${msg}`);
}

/** Did the guest enable response buffering during this exchange? */
export function buffered(mw, fromIndex) {
  return mw.featureCalls.slice(fromIndex).some((c) => c.requested & 2);
}
