// The shared store's file: its geometry, control block and index entries (see docs/shared-store.md).
//
//   0            control block (4 KiB): geometry, its checksum, the log head (HEAD_SLOTS words)
//   4 KiB        index: bucketCount buckets of WAYS entries of ENTRY_SIZE bytes
//   dataOffset   data: a circular log of [checksum u64][position u64][record] envelopes, in
//                extents of EXTENT_SIZE that instances claim for themselves (shared_extents.ts)
//
// The file is exactly `limit` bytes, whatever is stored: the bound is the file's size.
// Nothing here is trusted when read back: the geometry has a checksum, every index entry a check
// word, and every envelope a checksum over its position and record.
import { xxhash64 } from "./xxhash64";

export const FILE_MAGIC: u32 = 0x31534348; // "HCS1"
/**
 * 2: records gained the stale windows (88-byte header). 3: the log is claimed in extents and its
 * head kept in HEAD_SLOTS words. Another version is a foreign file.
 */
export const FORMAT_VERSION: u32 = 3;
export const CONTROL_SIZE: u64 = 4096;
/** Bytes of the control block covered by the geometry checksum (stored right after them). */
const GEOMETRY_SIZE: u32 = 48;
const GEOMETRY_CHECK_OFFSET: u32 = 48;
/**
 * The log's head (the end of the newest claimed extent, a virtual position) is the largest of
 * HEAD_SLOTS words: a claimer of extent k writes word k mod HEAD_SLOTS. Two writers racing on one
 * word may leave the older value, but the other words keep the head within HEAD_SLOTS extents of
 * the truth: it never goes far back (shared_extents.ts relies on it).
 */
export const HEAD_OFFSET: u64 = 64;
export const HEAD_SLOTS: u32 = 64;
/** The bytes of the control block a store reads before each write: geometry and head. */
export const CONTROL_HEAD_END: u32 = <u32>HEAD_OFFSET + HEAD_SLOTS * 8;
/** The unit in which instances claim the log for themselves. The data region is a whole number of them. */
export const EXTENT_SIZE: u64 = 64 * 1024;

/** Entries per bucket: the variants of one URL share a bucket, so this bounds them too. */
export const WAYS: u32 = 8;
export const ENTRY_SIZE: u32 = 32;
export const BUCKET_SIZE: u32 = WAYS * ENTRY_SIZE;
/** One index entry per KiB of data (the index is 3 % of the file): API answers are often ~1 KiB. */
const DATA_BYTES_PER_ENTRY: u64 = 1024;
const DATA_ALIGN: u64 = 4096;

/** checksum u64, position u64, then the record. */
export const ENVELOPE_SIZE: u32 = 16;
export const ENVELOPE_ALIGN: u64 = 8;

@final
export class Geometry {
  fileSize: u64 = 0;
  bucketCount: u64 = 0;
  indexOffset: u64 = CONTROL_SIZE;
  dataOffset: u64 = 0;
  dataSize: u64 = 0;

  static forLimit(limit: u64): Geometry {
    const g = new Geometry();
    g.fileSize = limit;
    let entries = (limit - CONTROL_SIZE) / (DATA_BYTES_PER_ENTRY + <u64>ENTRY_SIZE);
    let buckets = entries / <u64>WAYS;
    if (buckets == 0) buckets = 1;
    g.bucketCount = buckets;
    const indexEnd = CONTROL_SIZE + buckets * <u64>BUCKET_SIZE;
    g.dataOffset = (indexEnd + DATA_ALIGN - 1) & ~(DATA_ALIGN - 1);
    g.dataSize = (limit - g.dataOffset) / EXTENT_SIZE * EXTENT_SIZE;
    return g;
  }

  get extentCount(): u64 {
    return this.dataSize / EXTENT_SIZE;
  }

  get indexSize(): u64 {
    return this.bucketCount * <u64>BUCKET_SIZE;
  }

  bucketOffset(urlHash: u64): u64 {
    return this.indexOffset + (urlHash % this.bucketCount) * <u64>BUCKET_SIZE;
  }

  /** Writes the control block's geometry part (with its checksum) at `p`. */
  encode(p: usize): void {
    store<u32>(p, FILE_MAGIC, 0);
    store<u32>(p, FORMAT_VERSION, 4);
    store<u64>(p, this.fileSize, 8);
    store<u64>(p, this.bucketCount, 16);
    store<u64>(p, this.indexOffset, 24);
    store<u64>(p, this.dataOffset, 32);
    store<u64>(p, this.dataSize, 40);
    store<u64>(p, xxhash64(p, GEOMETRY_SIZE), GEOMETRY_CHECK_OFFSET);
  }

  /** The log head in the control block at `p` (the largest head word). */
  static headOf(p: usize): u64 {
    let head: u64 = 0;
    for (let i: u32 = 0; i < HEAD_SLOTS; i++) {
      const word = load<u64>(p + <usize>HEAD_OFFSET + <usize>i * 8);
      if (word > head) head = word;
    }
    return head;
  }

  /** Sets every head word of the control block at `p`. */
  static setHead(p: usize, head: u64): void {
    for (let i: u32 = 0; i < HEAD_SLOTS; i++) store<u64>(p + <usize>HEAD_OFFSET + <usize>i * 8, head);
  }

  /** Whether the control block at `p` is an intact one, of whatever geometry. */
  static isIntact(p: usize): bool {
    return load<u32>(p, 0) == FILE_MAGIC && load<u32>(p, 4) == FORMAT_VERSION &&
      load<u64>(p, GEOMETRY_CHECK_OFFSET) == xxhash64(p, GEOMETRY_SIZE);
  }

  /** The file size an intact control block at `p` was made for. */
  static fileSizeOf(p: usize): u64 {
    return load<u64>(p, 8);
  }

  /** Whether the control block at `p` describes exactly this geometry, intact. */
  matches(p: usize): bool {
    return Geometry.isIntact(p) &&
      load<u64>(p, 8) == this.fileSize && load<u64>(p, 16) == this.bucketCount &&
      load<u64>(p, 24) == this.indexOffset && load<u64>(p, 32) == this.dataOffset &&
      load<u64>(p, 40) == this.dataSize;
  }
}

// --- index entries: urlHash u64, keyHash u64, position + 1 u64 (0 = empty), length u32, check u32 ---

@inline export function entryUrlHash(e: usize): u64 { return load<u64>(e, 0); }
@inline export function entryKeyHash(e: usize): u64 { return load<u64>(e, 8); }
@inline export function entryPositionPlusOne(e: usize): u64 { return load<u64>(e, 16); }
@inline export function entryLength(e: usize): u32 { return load<u32>(e, 24); }

function entryCheck(urlHash: u64, keyHash: u64, positionPlusOne: u64, length: u32): u32 {
  const mixed = (urlHash ^ rotl<u64>(keyHash, 21) ^ rotl<u64>(positionPlusOne, 42) ^ <u64>length) *
    0x9e3779b97f4a7c15;
  return <u32>(mixed >>> 32) | 1; // never 0, so an all-zero entry is never valid
}

/** Whether the entry names a record (not empty, not torn, not garbage). */
export function entryIsValid(e: usize): bool {
  const p = entryPositionPlusOne(e);
  return p != 0 && load<u32>(e, 28) == entryCheck(entryUrlHash(e), entryKeyHash(e), p, entryLength(e));
}

export function encodeEntry(e: usize, urlHash: u64, keyHash: u64, position: u64, length: u32): void {
  store<u64>(e, urlHash, 0);
  store<u64>(e, keyHash, 8);
  store<u64>(e, position + 1, 16);
  store<u32>(e, length, 24);
  store<u32>(e, entryCheck(urlHash, keyHash, position + 1, length), 28);
}
