// Variants (RFC 9111 §4.1). A URL whose responses carry Vary has, under its base key, a marker
// record instead of a response: the varied header names, and the key hashes of the variants
// stored. A lookup that finds a marker builds the request's variant key (exchange/request
// useVariantKey) and looks that up. The marker also bounds the variants: past MAX_VARIANTS the
// oldest is removed, so one URL varying on a header with many values cannot fill the store.
//
//   marker body: [u32 namesLength][u32 variantCount][names, padded to 8][u64 variant key hash]...
import { ByteBuffer } from "../host/buffer";
import { Store } from "../store/store";
import { describeMarker } from "./entry";
import {
  EntryMeta, RECORD_FLAG_VARY, RecordParts, recordBody, recordBodyLength, recordFlags,
} from "../store/record";
import { baseKeyLength, key, keyHash, keyUrlLength, truncateKey, useVariantKey } from "../exchange/request";

/** Variants kept per URL (and key headers). A shared-store bucket holds 8 entries: these, the marker and a lease. */
export const MAX_VARIANTS: u32 = 6;
const MARKER_HEAD: u32 = 8;
const HASH_SIZE: u32 = 8;

const body = new ByteBuffer(256);
const meta = new EntryMeta();
const parts = new RecordParts();

@inline function padded(n: u32): u32 {
  return (n + 7) & ~7;
}

/** Whether a marker's body is whole: its lengths fit in it. */
function markerFits(b: usize, len: u32): bool {
  if (len < MARKER_HEAD) return false;
  const namesLen = load<u32>(b);
  const count = load<u32>(b, 4);
  return <u64>MARKER_HEAD + <u64>padded(namesLen) + <u64>count * HASH_SIZE <= <u64>len && count <= MAX_VARIANTS;
}

export function isVaryMarker(record: usize): bool {
  return (recordFlags(record) & RECORD_FLAG_VARY) != 0;
}

/**
 * Switches the key to the request's variant key for the names the marker holds, and looks it up:
 * the variant's record, or 0 (a vary miss; the key stays the variant key for storing).
 */
export function findVariant(entries: Store, marker: usize): usize {
  const b = recordBody(marker);
  if (!markerFits(b, recordBodyLength(marker))) return 0;
  useVariantKey(b + MARKER_HEAD, load<u32>(b));
  return entries.find(keyHash, key.ptr, key.length, keyUrlLength);
}

/**
 * After a variant was stored under the current (variant) key for these names: makes sure the
 * URL's marker names it, removing the oldest variant past MAX_VARIANTS. Leaves the key as it was.
 */
export function recordVariant(entries: Store, names: usize, namesLen: u32, now: i64): void {
  const variantHash = keyHash;
  const variantLength = key.length;
  truncateKey(baseKeyLength);
  body.reset();
  body.reserve(MARKER_HEAD + padded(namesLen));
  store<u32>(body.ptr, namesLen);
  store<u32>(body.ptr, 0, 4);
  memory.copy(body.ptr + MARKER_HEAD, names, namesLen);
  memory.fill(body.ptr + MARKER_HEAD + namesLen, 0, padded(namesLen) - namesLen);
  body.length = MARKER_HEAD + padded(namesLen);
  let count: u32 = 0;
  const marker = entries.find(keyHash, key.ptr, key.length, keyUrlLength);
  if (marker != 0 && isVaryMarker(marker)) {
    const b = recordBody(marker);
    if (markerFits(b, recordBodyLength(marker)) && load<u32>(b) == namesLen &&
      memory.compare(b + MARKER_HEAD, names, namesLen) == 0) {
      const hashes = b + MARKER_HEAD + padded(namesLen);
      const known = load<u32>(b, 4);
      for (let i: u32 = 0; i < known; i++) {
        if (load<u64>(hashes + i * HASH_SIZE) == variantHash) {
          truncateKey(variantLength); // already named: nothing to write
          return;
        }
      }
      // The oldest goes when the bound is reached: it is removed, and no longer named.
      const first: u32 = known >= MAX_VARIANTS ? known - MAX_VARIANTS + 1 : 0;
      for (let i: u32 = 0; i < first; i++) entries.removeHashed(load<u64>(hashes + i * HASH_SIZE), key.ptr, keyUrlLength);
      body.appendBytes(hashes + first * HASH_SIZE, (known - first) * HASH_SIZE);
      count = known - first;
    }
  }
  body.reserve(HASH_SIZE);
  store<u64>(body.end, variantHash);
  body.length += HASH_SIZE;
  store<u32>(body.ptr, count + 1, 4);

  describeMarker(meta, RECORD_FLAG_VARY, now, 0, now);
  entries.put(meta, parts.set(key.ptr, key.length, 0, 0, 0, 0, body.ptr, body.length));
  // Restore the variant key (its suffix is still in the buffer past the base key).
  truncateKey(variantLength);
}
