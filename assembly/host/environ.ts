// The guest's WASI environment: read once, at start-up, to resolve purge.tokenEnv. It allocates,
// which is fine outside the request path.
import { environ_get, environ_sizes_get } from "../abi/wasi_environ";

const ERRNO_SUCCESS: u16 = 0;

/** The value of an environment variable, or null when it is not set (or the host refuses). */
export function getEnv(name: string): string | null {
  const sizes = heap.alloc(8);
  let result: string | null = null;
  if (environ_sizes_get(sizes, sizes + 4) == ERRNO_SUCCESS) {
    const count = load<u32>(sizes);
    const size = load<u32>(sizes, 4);
    // At least one byte each, so that an empty environment still gets valid pointers.
    const pointers = heap.alloc(<usize>count * 4 + 4);
    const text = heap.alloc(<usize>size + 1);
    if (environ_get(pointers, text) == ERRNO_SUCCESS) result = find(name, pointers, count, text, size);
    heap.free(text);
    heap.free(pointers);
  }
  heap.free(sizes);
  return result;
}

/** Finds "NAME=value\0" among the entries; the first with this exact name wins. */
function find(name: string, pointers: usize, count: u32, text: usize, size: u32): string | null {
  const wanted = String.UTF8.encode(name);
  const wantedLen = <u32>wanted.byteLength;
  const end = text + <usize>size;
  for (let i: u32 = 0; i < count; i++) {
    const entry = <usize>load<u32>(pointers + (<usize>i << 2));
    if (entry < text || entry + <usize>wantedLen + 1 > end) continue;
    if (memory.compare(entry, changetype<usize>(wanted), wantedLen) != 0) continue;
    if (load<u8>(entry + wantedLen) != 0x3d) continue; // '='
    const value = entry + wantedLen + 1;
    let valueEnd = value;
    while (valueEnd < end && load<u8>(valueEnd) != 0) valueEnd++;
    return String.UTF8.decodeUnsafe(value, valueEnd - value);
  }
  return null;
}
