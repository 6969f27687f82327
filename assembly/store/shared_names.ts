// Names of the small files a shared store keeps in a directory beside it (extent claims, bucket
// locks): `<store file>.claims/<kind><id in hex>`, written into a reused buffer so that taking a
// lock allocates nothing.

/** The directory, beside the store file, that holds its claim and lock files. */
export function markerDirectory(storeFileName: string): string {
  return storeFileName + ".claims";
}

const HEX_DIGITS: u32 = 16;

/**
 * One kind of marker's name ("x" extent claims, "b" bucket locks), relative to the store's
 * directory: `<store file>.claims/<kind><16 hex digits of an id>` then `suffixLength` more bytes
 * the owner writes (a lock's ".<generation>"), in one buffer allocated once.
 */
export class MarkerName {
  readonly ptr: usize;
  readonly length: u32;
  private prefixLength: u32;

  constructor(storeFileName: string, kind: string, suffixLength: u32 = 0) {
    const prefix = String.UTF8.encode(markerDirectory(storeFileName) + "/" + kind);
    this.prefixLength = <u32>prefix.byteLength;
    this.length = this.prefixLength + HEX_DIGITS + suffixLength;
    this.ptr = heap.alloc(<usize>this.length);
    memory.copy(this.ptr, changetype<usize>(prefix), <usize>this.prefixLength);
  }

  /** Writes the id into the name; returns its address. */
  of(id: u64): usize {
    writeHex(this.ptr + <usize>this.prefixLength, id);
    return this.ptr;
  }

  /** The address of the suffix, right after the id. */
  get suffix(): usize {
    return this.ptr + <usize>(this.prefixLength + HEX_DIGITS);
  }
}

/** Writes `value` as 16 lowercase hex digits at `p`. */
function writeHex(p: usize, value: u64): void {
  for (let i = <i32>HEX_DIGITS - 1; i >= 0; i--) {
    const digit = <u32>(value & 0xf);
    store<u8>(p + <usize>i, <u8>(digit < 10 ? 0x30 + digit : 0x57 + digit));
    value >>= 4;
  }
}
