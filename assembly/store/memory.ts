// The per-instance memory store: an open-addressing index and a ring of contiguous records,
// together never more than `limit` bytes.
//
//   index: slotCount × 16 bytes, INITIAL_SLOTS on the first store, doubled as entries come (up to
//          one slot per KiB of `limit`); each size taken from the host (memory.grow: zeroed pages)
//   ring:  `segmentCount` segments of `segmentSize` bytes, each taken from the host (memory.grow)
//          only when the ring first reaches it - so an instance holds what it stores, not `limit`
//
// Traefik runs one instance per request in flight; reserving `limit` up front made 20 concurrent
// cold requests cost 20 × limit of real memory. Segments also keep memory.grow exact: the
// allocator would double the memory each time it grows.
//
// The first store is on the hit path's tail: Traefik's pool drops idle instances after two Go GCs,
// and every new instance misses and stores. Each memory.grow makes the host (wazero 1.8) copy the
// whole linear memory into a new Go allocation, and those allocations bring the next Go GC (which
// drops more instances) closer. A full-size index from the allocator (1 MiB for the default 64Mi,
// zeroed by a loop, then the first segment: two grows, 2.5 MiB of memory) made the first store
// cost ~1.5 ms; now the first store grows the memory once, by a 64 KiB index and one segment.
// Outgrown index regions are not reused (raw pages have no allocator): the budget reserves every
// size the index can take, less than twice its final size.
//
// Records are appended at the tail and evicted from the head (FIFO with a second chance: a
// record that answered a request since it was written slides to the tail once instead of being
// evicted, which makes it CLOCK). A record never crosses a segment end: the rest of a segment is
// padded with a SKIP record. Positions are ring offsets; offset / segmentSize picks the segment.
// Lookup is O(1): hash -> slot (linear probing) -> record, then the full key is compared.
//
// Trap safety: a record becomes reachable only after it is completely written, through one
// aligned store into its slot, so a trap at any point leaves the old state or unreachable bytes.
import { PurgeRequest, matchesPurge } from "./purge";
import { Store } from "./store";
import {
  EntryMeta, RECORD_FLAG_REFERENCED, RECORD_MAGIC, RecordParts, recordFlags, recordKey, recordKeyEquals,
  recordKeyHash, recordMagic, recordSize, recordUrlLength, setRecordFlags, writeRecord, SKIP_MAGIC,
} from "./record";

const SLOT_SIZE: u32 = 16; // u64 keyHash, u32 record offset + 1 (0 = empty), u32 unused
const BYTES_PER_SLOT: u32 = 1024; // one slot per KiB of limit: the index is ~1.6 % of it
const MIN_SLOTS: u32 = 64;
/** Slots of the index on the first store (one page, 3 072 entries); doubled as entries come. */
const INITIAL_SLOTS: u32 = 4096;
const MAX_LOAD_NUMERATOR: u32 = 3; // at most 3/4 of the slots used
const MAX_LOAD_DENOMINATOR: u32 = 4;
const PAGE_SIZE: u32 = 65536;
const MIN_SEGMENT_SIZE: u32 = 1 << 20;
/** Room for the key and header lines of a record besides its body. */
export const RECORD_HEAD_ALLOWANCE: u32 = 64 * 1024;
/** At most this many segments (a fixed table); 1023Mi / 1Mi fits. */
const MAX_SEGMENTS: u32 = 1024;

function previousPowerOfTwo(n: u32): u32 {
  return n == 0 ? 0 : (<u32>1) << (31 - clz<u32>(n));
}

@inline function roundDownToPage(n: u32): u32 {
  return n & ~(PAGE_SIZE - 1);
}

@inline function roundUpToPage(n: u64): u64 {
  return (n + <u64>(PAGE_SIZE - 1)) & ~<u64>(PAGE_SIZE - 1);
}

@inline function indexPages(slots: u32): i32 {
  return <i32>(roundUpToPage(<u64>slots * SLOT_SIZE) / PAGE_SIZE);
}

export class MemoryStore extends Store {
  readonly limit: u32;
  /** The index's final size: one slot per KiB of limit. */
  private maxSlots: u32;
  /** The index's current size, and the entries it holds before it doubles (or evicts). */
  private slotCount: u32;
  private slotMask: u32;
  private maxCount: u32;
  /** Bytes of every index region taken so far (outgrown ones included). */
  private indexReserved: u32 = 0;
  private segmentSize: u32;
  private segmentCount: u32;
  private ringSize: u32;
  private index: usize = 0;
  /** Base address of each segment, 0 until it is first used. */
  private segments: StaticArray<usize>;
  private used: u32 = 0;
  private head: u32 = 0;
  private tail: u32 = 0;
  private ringBytes: u32 = 0; // bytes between head and tail, padding included

  /** `maxObjectSize`: the largest body to be stored, which a segment must hold. */
  constructor(limit: u32, maxObjectSize: u32) {
    super();
    this.limit = limit;
    let slots = previousPowerOfTwo(limit / BYTES_PER_SLOT);
    if (slots < MIN_SLOTS) slots = MIN_SLOTS;
    this.maxSlots = slots;
    const initial = slots < INITIAL_SLOTS ? slots : INITIAL_SLOTS;
    this.slotCount = initial;
    this.slotMask = initial - 1;
    this.maxCount = initial / MAX_LOAD_DENOMINATOR * MAX_LOAD_NUMERATOR;
    // The ring gets what every index size the store can go through leaves.
    let indexBudget: u32 = 0;
    for (let s = initial; s <= slots; s <<= 1) indexBudget += <u32>indexPages(s) * PAGE_SIZE;
    const available = roundDownToPage(limit > indexBudget ? limit - indexBudget : 0);
    let segment = <u32>roundUpToPage(<u64>maxObjectSize + <u64>RECORD_HEAD_ALLOWANCE);
    if (segment < MIN_SEGMENT_SIZE) segment = MIN_SEGMENT_SIZE;
    if (segment > available) segment = available;
    let count = segment > 0 ? available / segment : 0;
    if (count > MAX_SEGMENTS) count = MAX_SEGMENTS;
    this.segmentSize = segment;
    this.segmentCount = count;
    this.ringSize = segment * count;
    this.segments = new StaticArray<usize>(<i32>count);
  }

  get count(): u32 {
    return this.used;
  }

  /** Largest record this store can hold: one segment, and at most half the ring. */
  get maxRecordSize(): u32 {
    const half = this.ringSize / 2;
    return this.segmentCount == 1 ? half : this.segmentSize;
  }

  /** Bytes of the ring in use (records and padding), for tests and metrics. */
  get bytesUsed(): u32 {
    return this.ringBytes;
  }

  /** Bytes taken from the host so far: the index (every size it took) and the segments in use. */
  get bytesReserved(): u32 {
    let total: u32 = this.indexReserved;
    for (let i = 0; i < <i32>this.segmentCount; i++) if (unchecked(this.segments[i]) != 0) total += this.segmentSize;
    return total;
  }

  @inline private address(offset: u32): usize {
    return unchecked(this.segments[offset / this.segmentSize]) + <usize>(offset % this.segmentSize);
  }

  /** End of the segment holding `offset` (a ring offset). */
  @inline private segmentEnd(offset: u32): u32 {
    return (offset / this.segmentSize + 1) * this.segmentSize;
  }

  /** Makes sure the segment holding `offset` has memory; false when the host has none left. */
  private ensureSegment(offset: u32): bool {
    const i = offset / this.segmentSize;
    if (unchecked(this.segments[i]) != 0) return true;
    // Straight from the host: the allocator leaves memory it did not grow alone, and growing
    // exactly one segment keeps the instance's memory at what it stores.
    const page = memory.grow(<i32>(this.segmentSize / PAGE_SIZE));
    if (page < 0) return false;
    unchecked(this.segments[i] = <usize>page * PAGE_SIZE);
    return true;
  }

  /**
   * The first store's memory: the index and the ring's first segment in one memory.grow (each
   * grow copies the whole memory in the host). False when the host has none left.
   */
  private takeFirstMemory(): bool {
    const indexSize = indexPages(this.slotCount);
    // The first record goes at ring offset 0, in segment 0.
    const withSegment = this.segmentCount > 0 && unchecked(this.segments[0]) == 0;
    const segmentSize = withSegment ? <i32>(this.segmentSize / PAGE_SIZE) : 0;
    let page = memory.grow(indexSize + segmentSize);
    if (page < 0) {
      if (segmentSize == 0) return false;
      page = memory.grow(indexSize); // the segment then waits for ensureSegment
      if (page < 0) return false;
    } else if (withSegment) {
      unchecked(this.segments[0] = (<usize>page + <usize>indexSize) * PAGE_SIZE);
    }
    this.index = <usize>page * PAGE_SIZE; // fresh pages are zeroed
    this.indexReserved += <u32>indexSize * PAGE_SIZE;
    return true;
  }

  /**
   * Doubles the index and moves every slot into it. The new index is complete before it replaces
   * the old one, and nothing in between can fail: a trap leaves the old one in use. Keeps the old
   * one when the host has no memory (the store then evicts instead).
   */
  private growIndex(): void {
    const oldIndex = this.index;
    const oldCount = this.slotCount;
    const slots = oldCount << 1;
    const mask = slots - 1;
    const pages = indexPages(slots);
    const page = memory.grow(pages);
    if (page < 0) return;
    const index = <usize>page * PAGE_SIZE;
    this.indexReserved += <u32>pages * PAGE_SIZE;
    for (let j: u32 = 0; j < oldCount; j++) {
      const from = oldIndex + (<usize>j * SLOT_SIZE);
      const offsetPlusOne = load<u32>(from, 8);
      if (offsetPlusOne == 0) continue;
      const keyHash = load<u64>(from);
      let i = <u32>keyHash & mask;
      while (load<u32>(index + (<usize>i * SLOT_SIZE), 8) != 0) i = (i + 1) & mask;
      const to = index + (<usize>i * SLOT_SIZE);
      store<u64>(to, keyHash);
      store<u32>(to, offsetPlusOne, 8);
    }
    this.index = index;
    this.slotCount = slots;
    this.slotMask = mask;
    this.maxCount = slots / MAX_LOAD_DENOMINATOR * MAX_LOAD_NUMERATOR;
  }

  @inline private slotAddress(i: u32): usize {
    return this.index + (<usize>i * SLOT_SIZE);
  }

  /** Slot holding the key, or -1. */
  private findSlot(keyHash: u64, key: usize, keyLen: u32): i32 {
    let i = <u32>keyHash & this.slotMask;
    while (true) {
      const slot = this.slotAddress(i);
      const offsetPlusOne = load<u32>(slot, 8);
      if (offsetPlusOne == 0) return -1;
      if (load<u64>(slot) == keyHash && recordKeyEquals(this.address(offsetPlusOne - 1), key, keyLen)) return <i32>i;
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

  find(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): usize {
    if (this.index == 0) return 0;
    const i = this.findSlot(keyHash, key, keyLen);
    if (i < 0) return 0;
    return this.address(load<u32>(this.slotAddress(<u32>i), 8) - 1);
  }

  touch(record: usize): void {
    setRecordFlags(record, recordFlags(record) | RECORD_FLAG_REFERENCED);
  }

  remove(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): bool {
    if (this.index == 0) return false;
    const i = this.findSlot(keyHash, key, keyLen);
    if (i < 0) return false;
    this.clearSlot(<u32>i); // the record stays as garbage until the head passes it
    return true;
  }

  removeHashed(keyHash: u64, url: usize, urlLen: u32): bool {
    if (this.index == 0) return false;
    let i = <u32>keyHash & this.slotMask;
    while (true) {
      const slot = this.slotAddress(i);
      const offsetPlusOne = load<u32>(slot, 8);
      if (offsetPlusOne == 0) return false;
      if (load<u64>(slot) == keyHash) {
        const r = this.address(offsetPlusOne - 1);
        if (recordUrlLength(r) == urlLen && memory.compare(recordKey(r), url, urlLen) == 0) {
          this.clearSlot(i);
          return true;
        }
      }
      i = (i + 1) & this.slotMask;
    }
  }

  /** Removes every record the purge names: a walk over the ring, head to tail. */
  purge(request: PurgeRequest): i64 {
    if (this.index == 0) return 0;
    let purged: i64 = 0;
    let offset = this.head;
    let left = this.ringBytes;
    while (left > 0) {
      let step: u32;
      if (unchecked(this.segments[offset / this.segmentSize]) == 0) {
        step = this.segmentEnd(offset) - offset; // padding over a segment never written
      } else {
        const r = this.address(offset);
        step = recordSize(r);
        if (recordMagic(r) == RECORD_MAGIC && matchesPurge(r, request)) {
          const slot = this.findSlotOf(recordKeyHash(r), offset);
          if (slot >= 0) {
            this.clearSlot(<u32>slot);
            purged++;
          }
        }
      }
      left -= step;
      offset += step;
      if (offset >= this.ringSize) offset = 0;
    }
    return purged;
  }

  put(meta: EntryMeta, parts: RecordParts): bool {
    const key = parts.key;
    const keyLen = parts.keyLength;
    const size64 = parts.recordSize;
    if (size64 > <u64>this.maxRecordSize) return false;
    if (this.index == 0) {
      if (!this.takeFirstMemory()) return false;
    } else if (this.used >= this.maxCount && this.slotCount < this.maxSlots) {
      this.growIndex();
    }
    const size = <u32>size64;
    const offset = this.allocate(size);
    if (offset < 0) return false;
    writeRecord(this.address(<u32>offset), size, meta, parts);
    this.setTail(<u32>offset + size);
    this.ringBytes += size;
    // Publish: replace the slot of an older record under the same key, or take a free one.
    const existing = this.findSlot(meta.keyHash, key, keyLen);
    if (existing >= 0) {
      store<u32>(this.slotAddress(<u32>existing), <u32>offset + 1, 8);
    } else {
      let i = <u32>meta.keyHash & this.slotMask;
      while (load<u32>(this.slotAddress(i), 8) != 0) i = (i + 1) & this.slotMask;
      const slot = this.slotAddress(i);
      store<u64>(slot, meta.keyHash);
      store<u32>(slot, <u32>offset + 1, 8);
      this.used++;
    }
    return true;
  }

  /**
   * Finds `size` contiguous free bytes at the tail, inside one segment, evicting from the head as
   * needed. -1 when the host has no memory for a new segment.
   */
  private allocate(size: u32): i64 {
    while (true) {
      if (this.ringBytes == 0) {
        this.head = 0;
        this.tail = 0;
      }
      if (this.used >= this.maxCount) {
        this.evictHead();
        continue;
      }
      // Free space runs from the tail to the head, or to the ring's end when the tail is ahead.
      const freeEnd = this.ringBytes > 0 && this.tail <= this.head ? this.head : this.ringSize;
      const segmentEnd = this.segmentEnd(this.tail);
      const roomEnd = freeEnd < segmentEnd ? freeEnd : segmentEnd;
      if (roomEnd - this.tail >= size) {
        if (!this.ensureSegment(this.tail)) return -1;
        return <i64>this.tail;
      }
      if (freeEnd >= segmentEnd) {
        // The rest of this segment is free but too small: pad it and move to the next segment.
        const rest = segmentEnd - this.tail;
        if (rest > 0 && unchecked(this.segments[this.tail / this.segmentSize]) != 0) {
          const skip = this.address(this.tail);
          store<u32>(skip, SKIP_MAGIC, 0);
          store<u32>(skip, rest, 4);
        }
        this.ringBytes += rest;
        this.setTail(segmentEnd);
        continue;
      }
      this.evictHead();
    }
  }

  /**
   * Drops the oldest record, or gives it a second chance if it answered a request since it was
   * written: when the free space ends right at the head and the tail's segment has room, the
   * record slides back to the tail (the free space moves past it, its size unchanged) and loses
   * its reference bit.
   */
  private evictHead(): void {
    const offset = this.head;
    if (unchecked(this.segments[offset / this.segmentSize]) == 0) {
      // Padding counted over a segment never written: the rest of the segment goes.
      this.advanceHead(this.segmentEnd(offset) - offset);
      return;
    }
    const r = this.address(offset);
    const size = recordSize(r);
    if (recordMagic(r) != RECORD_MAGIC) {
      this.advanceHead(size); // a SKIP record at a segment's end
      return;
    }
    const slot = this.findSlotOf(recordKeyHash(r), offset);
    if (slot >= 0) {
      const flags = recordFlags(r);
      const tailRoom = this.segmentEnd(this.tail) - this.tail;
      if ((flags & RECORD_FLAG_REFERENCED) != 0 && this.tail <= this.head && tailRoom >= size) {
        const moved = this.tail;
        const destination = this.address(moved);
        // memmove is overlap-safe; the slot still names the old place until the copy is done.
        memory.copy(destination, r, size);
        setRecordFlags(destination, flags & ~RECORD_FLAG_REFERENCED);
        store<u32>(this.slotAddress(<u32>slot), moved + 1, 8);
        this.setTail(moved + size);
        this.ringBytes += size;
        this.advanceHead(size);
        return;
      }
      this.clearSlot(<u32>slot);
    }
    this.advanceHead(size);
  }

  /** The tail wraps to the ring's start; tail == head then means full, as ringBytes tells. */
  @inline private setTail(offset: u32): void {
    this.tail = offset == this.ringSize ? 0 : offset;
  }

  private advanceHead(size: u32): void {
    this.head += size;
    this.ringBytes -= size;
    if (this.head >= this.ringSize) this.head = 0;
    if (this.ringBytes == 0) {
      this.head = 0;
      this.tail = 0;
    }
  }
}
