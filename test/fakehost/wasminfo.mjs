// A small WebAssembly binary reader: imports and exports with their exact types (Node's
// WebAssembly.Module.imports/exports do not give signatures). Library, not a test.

const VALTYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const KINDS = ['function', 'table', 'memory', 'global'];

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.p = 0;
  }
  byte() {
    if (this.p >= this.b.length) throw new Error('wasm: unexpected end');
    return this.b[this.p++];
  }
  u32() {
    let result = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('wasm: bad LEB128');
    }
  }
  name() {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.p, this.p + n)).toString('utf8');
    this.p += n;
    return s;
  }
  valtype() {
    const t = this.byte();
    const name = VALTYPES[t];
    if (!name) throw new Error(`wasm: unknown value type 0x${t.toString(16)}`);
    return name;
  }
  limits() {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : null;
    return { min, max, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  }
}

/**
 * describeModule(bytes) -> {
 *   imports: [{module, name, kind, params?, results?, limits?, type?}],
 *   exports: [{name, kind, index, params?, results?}],
 *   start: function index or null, memories: [...limits] (defined ones)
 * }
 */
export function describeModule(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const r = new Reader(b);
  if (!(b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d)) throw new Error('wasm: bad magic');
  r.p = 8;
  const types = [];
  const imports = [];
  const funcTypes = []; // function index space -> type index
  const memories = [];
  const exportsRaw = [];
  let start = null;
  while (r.p < b.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.p + size;
    switch (id) {
      case 1: { // type
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const form = r.byte();
          if (form !== 0x60) throw new Error(`wasm: unsupported type form 0x${form.toString(16)}`);
          const params = [];
          const results = [];
          for (let k = r.u32(); k > 0; k--) params.push(r.valtype());
          for (let k = r.u32(); k > 0; k--) results.push(r.valtype());
          types.push({ params, results });
        }
        break;
      }
      case 2: { // import
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          const imp = { module, name, kind: KINDS[kind] };
          if (kind === 0) {
            const t = r.u32();
            funcTypes.push(t);
            imp.params = types[t].params;
            imp.results = types[t].results;
          } else if (kind === 1) {
            imp.type = r.valtype();
            imp.limits = r.limits();
          } else if (kind === 2) {
            imp.limits = r.limits();
          } else if (kind === 3) {
            imp.type = r.valtype();
            imp.mutable = r.byte() === 1;
          } else {
            throw new Error(`wasm: unknown import kind ${kind}`);
          }
          imports.push(imp);
        }
        break;
      }
      case 3: { // function
        const n = r.u32();
        for (let i = 0; i < n; i++) funcTypes.push(r.u32());
        break;
      }
      case 5: { // memory
        const n = r.u32();
        for (let i = 0; i < n; i++) memories.push(r.limits());
        break;
      }
      case 7: { // export
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const name = r.name();
          const kind = r.byte();
          const index = r.u32();
          exportsRaw.push({ name, kind: KINDS[kind], index });
        }
        break;
      }
      case 8:
        start = r.u32();
        break;
      default:
        break;
    }
    r.p = end;
  }
  const exports = exportsRaw.map((e) => {
    if (e.kind !== 'function') return e;
    const t = types[funcTypes[e.index]];
    return { ...e, params: t.params, results: t.results };
  });
  return { types, imports, exports, start, memories };
}

/** "i32,i32->i64" style signature text. */
export function signature(f) {
  return `(${(f.params ?? []).join(',')})->(${(f.results ?? []).join(',')})`;
}

/** A printable listing of a module's imports and exports. */
export function formatModule(info) {
  const lines = [];
  for (const i of info.imports) {
    lines.push(`import ${i.kind} ${i.module}.${i.name}${i.kind === 'function' ? ' ' + signature(i) : ''}`);
  }
  for (const e of info.exports) {
    lines.push(`export ${e.kind} ${e.name}${e.kind === 'function' ? ' ' + signature(e) : ''}`);
  }
  if (info.start !== null) lines.push(`start section: function ${info.start}`);
  return lines.join('\n');
}
