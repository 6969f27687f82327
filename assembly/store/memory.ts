// The per-instance memory store: one arena of exactly `limit` bytes, allocated on first use,
// holding an open-addressing index and a ring of contiguous records.
//
//   arena = [ index: slotCount × 16 bytes ][ ring: records, oldest at `head`, next at `tail` ]
//
// Records are appended at the tail and evicted from the head (FIFO with a second chance: a
// record that answered a request since it was written is copied to the tail once instead of
// evicted, which makes it CLOCK). A record never wraps: the end of the ring is padded with a
// SKIP record. Lookup is O(1): hash -> slot (linear probing) -> record, then the full key is
// compared. The index and ring together never exceed `limit`, so memory is bounded by config.
//
// Trap safety: every change makes a record reachable only after it is completely written, and
// the slot update (one aligned store) is the publication step, so a trap at any point leaves
// either the old state or garbage that no slot points to.
import { Store } from "./store";
import {
  EntryMeta, RECORD_FLAG_REFERENCED, RECORD_MAGIC, SKIP_MAGIC, recordFlags, recordKeyEquals,
  recordKeyHash, recordMagic, recordSize, recordSizeFor, setRecordFlags, writeRecord,
} from "./record";

const SLOT_SIZE: u32 = 16; // u64 keyHash, u32 record offset + 1 (0 = empty), u32 unused
const BYTES_PER_SLOT: u32 = 512; // one slot per 512 bytes of limit: the index is ~3 % of it
const MIN_SLOTS: u32 = 64;
const MAX_LOAD_NUMERATOR: u32 = 3; // at most 3/4 of the slots used
const MAX_LOAD_DENOMINATOR: u32 = 4;
/** A record may use at most this fraction of the ring, so one entry never flushes the cache. */
const MAX_RECORD_FRACTION: u32 = 2;

function previousPowerOfTwo(n: u32): u32 {
  return n == 0 ? 0 : (<u32>1) << (31 - clz<u32>(n));
}

export class MemoryStore extends Store {
  readonly limit: u32;
  private arena: usize = 0;
  private slotCount: u32 = 0;
  private slotMask: u32 = 0;
  private maxCount: u32 = 0;
  private used: u32 = 0;
  private ring: usize = 0;
  private ringSize: u32 = 0;
  private head: u32 = 0;
  private tail: u32 = 0;
  private ringBytes: u32 = 0; // bytes between head and tail, padding included

  constructor(limit: u32) {
    super();
    this.limit = limit;
  }

  get count(): u32 {
    return this.used;
  }

  /** Largest record this store can hold. */
  get maxRecordSize(): u32 {
    this.initialize();
    return this.ringSize / MAX_RECORD_FRACTION;
  }

  /** Bytes of the ring in use (records and padding), for tests and metrics. */
  get bytesUsed(): u32 {
    return this.ringBytes;
  }

  private initialize(): void {
    if (this.arena != 0) return;
    let slots = previousPowerOfTwo(this.limit / BYTES_PER_SLOT);
    if (slots < MIN_SLOTS) slots = MIN_SLOTS;
    const indexBytes = slots * SLOT_SIZE;
    this.arena = heap.alloc(<usize>this.limit);
    memory.fill(this.arena, 0, indexBytes);
    this.slotCount = slots;
    this.slotMask = slots - 1;
    this.maxCount = slots / MAX_LOAD_DENOMINATOR * MAX_LOAD_NUMERATOR;
    this.ring = this.arena + <usize>indexBytes;
    this.ringSize = (this.limit - indexBytes) & ~<u32>7;
  }

  @inline private slotAddress(i: u32): usize {
    return this.arena + (<usize>i * SLOT_SIZE);
  }

  /** Slot holding the key, or -1. */
  private findSlot(keyHash: u64, key: usize, keyLen: u32): i32 {
    let i = <u32>keyHash & this.slotMask;
    while (true) {
      const slot = this.slotAddress(i);
      const offsetPlusOne = load<u32>(slot, 8);
      if (offsetPlusOne == 0) return -1;
      if (load<u64>(slot) == keyHash && recordKeyEquals(this.ring + offsetPlusOne - 1, key, keyLen)) return <i32>i;
      i = (i + 1) & this.slotMask;
    }
  }

  /** Slot whose record starts at `offset`, or -1 (the record is garbage). */
  private findSlotOf(keyHash: u64, offset: u32): i32 {
    let i = <u32>keyHash & this.slotMask;
    while (true) {
      const slot = this.slotAddress(i);
      const offsetPlusOne = load<u32>(slot, 8);
      if (offsetPlusOne == 0) return -1;
      if (offsetPlusOne == offset + 1) return <i32>i;
      i = (i + 1) & this.slotMask;
    }
  }

  /** Empties slot i, shifting later probes back so that no tombstone is needed. */
  private clearSlot(i: u32): void {
    let hole = i;
    let j = i;
    while (true) {
      j = (j + 1) & this.slotMask;
      const slot = this.slotAddress(j);
      if (load<u32>(slot, 8) == 0) break;
      const home = <u32>load<u64>(slot) & this.slotMask;
      // Move j into the hole when its home is not in (hole, j] cyclically.
      const distanceToJ = (j - home) & this.slotMask;
      const distanceToHole = (hole - home) & this.slotMask;
      if (distanceToHole < distanceToJ) {
        memory.copy(this.slotAddress(hole), slot, SLOT_SIZE);
        hole = j;
      }
    }
    store<u32>(this.slotAddress(hole), 0, 8);
    this.used--;
  }

  find(keyHash: u64, key: usize, keyLen: u32): usize {
    if (this.arena == 0) return 0;
    const i = this.findSlot(keyHash, key, keyLen);
    if (i < 0) return 0;
    return this.ring + load<u32>(this.slotAddress(<u32>i), 8) - 1;
  }

  touch(record: usize): void {
    setRecordFlags(record, recordFlags(record) | RECORD_FLAG_REFERENCED);
  }

  remove(keyHash: u64, key: usize, keyLen: u32): bool {
    if (this.arena == 0) return false;
    const i = this.findSlot(keyHash, key, keyLen);
    if (i < 0) return false;
    this.clearSlot(<u32>i); // the record stays as garbage until the head passes it
    return true;
  }

  put(
    meta: EntryMeta, key: usize, keyLen: u32,
    headers: usize, headersLen: u32, body: usize, bodyLen: u32,
  ): bool {
    this.initialize();
    const size64 = recordSizeFor(keyLen, headersLen, bodyLen);
    if (size64 > <u64>(this.ringSize / MAX_RECORD_FRACTION)) return false;
    const size = <u32>size64;
    const offset = this.allocate(size);
    writeRecord(this.ring + offset, size, meta, key, keyLen, headers, headersLen, body, bodyLen);
    this.tail = offset + size;
    this.ringBytes += size;
    // Publish: replace the slot of an older record under the same key, or take a free one.
    const existing = this.findSlot(meta.keyHash, key, keyLen);
    if (existing >= 0) {
      store<u32>(this.slotAddress(<u32>existing), offset + 1, 8);
    } else {
      let i = <u32>meta.keyHash & this.slotMask;
      while (load<u32>(this.slotAddress(i), 8) != 0) i = (i + 1) & this.slotMask;
      const slot = this.slotAddress(i);
      store<u64>(slot, meta.keyHash);
      store<u32>(slot, offset + 1, 8);
      this.used++;
    }
    return true;
  }

  /** Finds `size` contiguous free bytes at the tail, evicting from the head as needed. */
  private allocate(size: u32): u32 {
    while (true) {
      if (this.ringBytes == 0) {
        this.head = 0;
        this.tail = 0;
      }
      if (this.used >= this.maxCount) {
        this.evictHead();
        continue;
      }
      if (this.ringBytes == 0 || this.tail > this.head) {
        // Free space is [tail, ringSize) then [0, head).
        const atEnd = this.ringSize - this.tail;
        if (atEnd >= size) return this.tail;
        if (atEnd > 0) {
          store<u32>(this.ring + this.tail, SKIP_MAGIC, 0);
          store<u32>(this.ring + this.tail, atEnd, 4);
          this.ringBytes += atEnd;
        }
        this.tail = 0;
        continue;
      }
      // tail <= head: free space is [tail, head).
      if (this.head - this.tail >= size) return this.tail;
      this.evictHead();
    }
  }

  /**
   * Drops the oldest record, or gives it a second chance if it answered a request since it was
   * written: when the free space ends right at the head, the record slides back over that space
   * to the tail (the free space moves past it, its size unchanged) and loses its reference bit.
   */
  private evictHead(): void {
    const offset = this.head;
    const r = this.ring + offset;
    const size = recordSize(r);
    if (recordMagic(r) == RECORD_MAGIC) {
      const slot = this.findSlotOf(recordKeyHash(r), offset);
      if (slot >= 0) {
        const flags = recordFlags(r);
        if ((flags & RECORD_FLAG_REFERENCED) != 0 && this.tail <= this.head && this.used < this.maxCount) {
          const moved = this.tail;
          // One memory.copy (overlap-safe); the slot still names the old place until it is done.
          memory.copy(this.ring + moved, r, size);
          setRecordFlags(this.ring + moved, flags & ~RECORD_FLAG_REFERENCED);
          store<u32>(this.slotAddress(<u32>slot), moved + 1, 8);
          this.tail = moved + size;
          this.head = offset + size;
          if (this.head >= this.ringSize) this.head = 0;
          return;
        }
        this.clearSlot(<u32>slot);
      }
    }
    this.head = offset + size;
    this.ringBytes -= size;
    if (this.head >= this.ringSize) this.head = 0;
  }
}
