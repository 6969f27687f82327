// The release build's shape: what Traefik (host-go v0.7.0 on wazero, WASI preview1 only) accepts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { describeModule, signature, HTTP_HANDLER_ABI, WASI_ABI, checkGuestExports, checkGuestImports } from './host.mjs';
import { pluginBytes, cache } from './helpers.mjs';

test('release build imports only http_handler and wasi_snapshot_preview1, with the ABI signatures', () => {
  const info = describeModule(pluginBytes());
  const modules = [...new Set(info.imports.map((i) => i.module))].sort();
  for (const m of modules) assert.ok(['http_handler', 'wasi_snapshot_preview1'].includes(m), `imports module ${m}`);
  for (const imp of info.imports) {
    assert.equal(imp.kind, 'function', `${imp.module}.${imp.name} is a ${imp.kind}`);
    const abi = imp.module === 'http_handler' ? HTTP_HANDLER_ABI : WASI_ABI;
    const want = abi[imp.name];
    assert.ok(want, `${imp.module}.${imp.name} is not a function the host provides`);
    assert.equal(signature(imp), signature({ params: want[0], results: want[1] }), `${imp.module}.${imp.name}`);
  }
  assert.equal(checkGuestImports(info), null);
});

test('release build exports exactly memory, handle_request, handle_response, _start', () => {
  const info = describeModule(pluginBytes());
  const names = info.exports.map((e) => e.name).sort();
  assert.deepEqual(names, ['_start', 'handle_request', 'handle_response', 'memory']);
  const byName = Object.fromEntries(info.exports.map((e) => [e.name, e]));
  assert.equal(byName.memory.kind, 'memory');
  assert.equal(byName.handle_request.kind, 'function');
  assert.equal(signature(byName.handle_request), '()->(i64)');
  assert.equal(byName.handle_response.kind, 'function');
  assert.equal(signature(byName.handle_response), '(i32,i32)->()');
  assert.equal(byName._start.kind, 'function');
  assert.equal(signature(byName._start), '()->()');
  assert.equal(info.start, null, 'no wasm start section (start code belongs in _start)');
  assert.equal(checkGuestExports(info), null);
});

test('the guest enables buffering only inside handle_request, and outside it only marks the first instance', async () => {
  const c = cache({});
  await c.get('/a');
  await c.get('/a');
  await c.get('/a', { method: 'POST' });
  for (const call of c.mw.featureCalls) {
    if (call.inRequest) assert.ok(!call.afterNext, JSON.stringify(call));
    // The start-up marker: a read (0), then trailers (4), which no request uses.
    else assert.ok(call.requested === 0 || call.requested === 4, JSON.stringify(call));
  }
  assert.equal(c.mw.featureCalls.filter((call) => !call.inRequest && call.requested === 4).length, 1,
    'only the first instance marks the middleware');
  assert.equal(c.mw.monotonicReads, 0, 'the monotonic clock is fake in Traefik (+1 ms per read)');
  assert.equal(c.mw.stdio.stdout + c.mw.stdio.stderr, '', 'stdout/stderr are discarded by Traefik');
});

test('release build uses no bulk-memory instructions (wazero 1.8 in Traefik corrupts memory after them)', async () => {
  // wazero < 1.9 lowers memory.copy to Go's memmove without saving RDX, which Go >= 1.24 clobbers:
  // inside Traefik v3.1.6-v3.7 a value live across a memory.copy turns to garbage (seen as heap
  // corruption after the first memory.grow). The build disables bulk memory; keep it that way.
  const { readFileSync } = await import('node:fs');
  const wat = readFileSync(new URL('../../build/plugin.wat', import.meta.url), 'utf8');
  const instructions = wat.split('\n').filter((line) => /^\s+memory\.(copy|fill|init)\b/.test(line));
  assert.deepEqual(instructions, []);
});
