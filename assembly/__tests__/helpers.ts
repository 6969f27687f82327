// Shared helpers for the unit specs.

/** UTF-8 bytes of a string, kept alive by the returned buffer. */
export function bytes(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

@inline export function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

@inline export function len(b: ArrayBuffer): u32 {
  return <u32>b.byteLength;
}
