// Names of the small files a shared store keeps in a directory beside it (extent claims, bucket
// locks): `<store file>.claims/<kind><id in hex>`, written into a reused buffer so that taking a
// lock allocates nothing.

/** The directory, beside the store file, that holds its claim and lock files. */
export function markerDirectory(storeFileName: string): string {
  return storeFileName + ".claims";
}

/** The name prefix of one kind of marker ("x" extent claims, "b" bucket locks), relative to the store's directory. */
export function markerPrefix(storeFileName: string, kind: string): string {
  return markerDirectory(storeFileName) + "/" + kind;
}

/** Writes `value` as 16 lowercase hex digits at `p`. */
export function writeHex(p: usize, value: u64): void {
  for (let i = 15; i >= 0; i--) {
    const digit = <u32>(value & 0xf);
    store<u8>(p + <usize>i, <u8>(digit < 10 ? 0x30 + digit : 0x57 + digit));
    value >>= 4;
  }
}
