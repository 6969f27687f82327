// Tags: what responses name themselves with (Surrogate-Key, Cache-Tag) so that a purge can
// remove every entry with a tag. Entries keep only a hash per tag; the purge API hashes the tags
// it is given the same way. Tags are case-sensitive bytes, as CDNs treat them.
import { ByteBuffer } from "../host/buffer";
import { COMMA, HTAB, NUL, SP } from "../http/bytes";
import { xxhash64 } from "../store/xxhash64";

export const TAG_HASH_SIZE: u32 = 8;

/** The hash a tag is stored and purged by. */
export function tagHash(ptr: usize, len: u32): u64 {
  return xxhash64(ptr, len);
}

/**
 * Separates tags in header values: Surrogate-Key lists them with spaces, Cache-Tag with commas,
 * and the host separates the values of a repeated header with NUL.
 */
@inline export function isTagSeparator(b: u8): bool {
  return b == COMMA || b == SP || b == HTAB || b == NUL;
}

/** Whether a u64 is among the first `count` ones in `list`. */
function listed(list: usize, count: u32, hash: u64): bool {
  for (let i: u32 = 0; i < count; i++) if (load<u64>(list + (<usize>i << 3)) == hash) return true;
  return false;
}

/**
 * Appends to `into` (an array of u64) the hash of each tag in `values`, skipping tags already
 * there. Returns the new count, or -1 when there would be more than `max` distinct tags.
 */
export function appendTagHashes(into: ByteBuffer, count: u32, values: usize, len: u32, max: u32): i32 {
  let i: u32 = 0;
  while (i < len) {
    while (i < len && isTagSeparator(load<u8>(values + i))) i++;
    const start = i;
    while (i < len && !isTagSeparator(load<u8>(values + i))) i++;
    if (i == start) break;
    const hash = tagHash(values + start, i - start);
    if (listed(into.ptr, count, hash)) continue;
    if (count == max) return -1;
    into.reserve(TAG_HASH_SIZE);
    store<u64>(into.end, hash);
    into.length += TAG_HASH_SIZE;
    count++;
  }
  return <i32>count;
}
