// The shared store: one file on a mounted directory that every instance of every router reads
// and writes at once. See docs/shared-store.md for the design and the measurements behind it;
// shared_layout.ts for the bytes.
//
// No store is lost to another and no two records share a position (a version), with WASI's one
// atomic file operation (creating a file with O_CREAT|O_EXCL) and no waiting on the common path:
// - each instance writes its records into extents of the log it claimed for itself
//   (shared_extents.ts), so no other writer ever writes over them;
// - a record is named in its URL's index bucket under that bucket's lock (shared_lock.ts), so
//   two stores into one bucket never write over each other's way.
// Readers take no lock:
// - a record is written by ONE fd_pwrite of one buffer, which Linux never interleaves with
//   another, and published afterwards by one 32-byte index entry write;
// - reads are not atomic against writes (torn reads are frequent on tmpfs), so everything read
//   is checked: the index entry's check word, then the envelope's position and checksum, then
//   the full key. Anything that fails is a miss, never an answer;
// - a purge clears index ways; anything that would name an entry again (a second chance) first
//   checks, under the lock, that its way still names the version it read.
//
// Coherence with the per-instance memory front: every lookup reads the key's bucket from the
// file, and the front's copy is used only when it is the very version the bucket names. Versions
// are log positions, which never repeat (not even when the file is emptied). So an entry
// replaced, purged or evicted through any instance is never served from any front.
import { logDebug, logEnabled, logError, logWarn } from "../host/log";
import { LOG_LEVEL_DEBUG } from "../abi/constants";
import { ByteBuffer } from "../host/buffer";
import { nowMillis } from "../host/clock";
import {
  closeFile, ensureDirectory, fileSize, findPreopen, isStillNamed, openReadWrite, readAt, setFileSize, writeAt,
} from "../host/fs";
import { MemoryStore } from "./memory";
import { PurgeRequest, matchesPurge } from "./purge";
import {
  EntryMeta, RECORD_HEADER_SIZE, RecordParts, recordFits, recordHeadFits, recordKey, recordKeyEquals, recordKeyHash,
  recordKeyLength, recordStoredAt, recordTagCount, recordUrlLength, recordVersion, writeRecord,
} from "./record";
import {
  BUCKET_SIZE, CONTROL_HEAD_END, CONTROL_SIZE, ENTRY_SIZE, ENVELOPE_ALIGN, ENVELOPE_SIZE, EXTENT_SIZE, Geometry, WAYS,
  encodeEntry, entryIsValid, entryKeyHash, entryLength, entryPositionPlusOne, entryUrlHash,
} from "./shared_layout";
import { ExtentClaims } from "./shared_extents";
import { LockAttempt, StoreLock } from "./shared_lock";
import { markerDirectory } from "./shared_names";
import { Store } from "./store";
import { xxhash64 } from "./xxhash64";

/** A record may use at most this fraction of the data log (so a wrap wastes little). */
const MAX_RECORD_FRACTION: u64 = 4;
/** Room for a record's header, key, tags and header lines besides its body. */
const RECORD_HEAD_ALLOWANCE: u64 = 64 * 1024;
/** A record hit while in the oldest quarter of the log is written again at the head. */
const SECOND_CHANCE_NUMERATOR: u64 = 3;
const SECOND_CHANCE_DENOMINATOR: u64 = 4;
/**
 * Lookups between two looks at the control block: the cursor (second chance only needs it
 * roughly), and whether the file is still our store (an instance that only answers lookups must
 * notice a file deleted, replaced or damaged by someone else too).
 */
const CHECK_EVERY_LOOKUPS: u32 = 32;
/**
 * Heads (log positions) at or above this are corrupt. Positions start at the clock in ms << 20 (about 2^61
 * today), so this leaves them room until the year 2100 and more, and keeps them far from
 * wrapping u64.
 */
const MAX_CURSOR: u64 = (<u64>1) << 62;
/** No configuration stores a larger body: maxObjectSize is at most a quarter of store.memory.limit (< 1 GiB). */
const LARGEST_OBJECT: u64 = 256 << 20;
/**
 * How long a writer waits for a bucket's lock before it gives up (the change is then dropped). A
 * hold is two file calls; a holder that died is superseded once its lock file is LOCK_STALE_MS old.
 */
const LOCK_WAIT_MS: i64 = 2000;
/** Emptying the file moves the head on by at least this much (claim files near the old head are removed). */
const EMPTY_HEAD_JUMP: u64 = 1024 * EXTENT_SIZE;
/** An extent this close to the log's tail (in fractions of the log) is not written into any more. */
const EXTENT_RETIRE_DIVISOR: u64 = 4;
/** Purge failures: the store could not be read or written. */
export const PURGE_FAILED: i64 = -1;
/** Index bytes read or zeroed per call when a purge walks the index. */
const INDEX_CHUNK: u32 = 64 * 1024;
/** A record's head (header, key, tags) is read in one go when it is at most this long. */
const HEAD_READ: u32 = 4096;

// Fixed scratch: one bucket, one entry to write, and the control block.
const bucket = memory.data(<i32>BUCKET_SIZE);
const entryOut = memory.data(<i32>ENTRY_SIZE);
const wayAgain = memory.data(<i32>ENTRY_SIZE);
/** The envelope and header of one record, read while waiting for a bucket's lock. */
const recordHead = memory.data(<i32>(ENVELOPE_SIZE + RECORD_HEADER_SIZE));
const control = memory.data(<i32>CONTROL_SIZE);

/** Why open() failed (empty when it did not). */
export let sharedStoreError: string = "";

export class SharedStore extends Store {
  private dirFd: i32;
  private name: ArrayBuffer;
  private fd: i32;
  private geometry: Geometry;
  private front: MemoryStore;
  /** Records read from the file (one at a time), and records being written. */
  private readBuffer: ByteBuffer = new ByteBuffer(16 * 1024);
  private writeBuffer: ByteBuffer = new ByteBuffer(16 * 1024);
  /** A purge's index chunk as scanned, and the ways in it to clear. */
  private chunk: usize = 0;
  private toClear: u32[] = [];
  private meta: EntryMeta = new EntryMeta();
  private parts: RecordParts = new RecordParts();
  /** The largest envelope this store reads or writes. */
  private maxRecordSize: u64;
  /** The largest envelope this store accepts when reading. */
  private maxReadSize: u64;
  /** The log head as last read (or as this instance's own claims moved it), and lookups since. */
  private cursor: u64 = 0;
  /** The extents this instance claimed and fills: [extentStart, extentEnd), next free at extentNext. */
  private extentStart: u64 = 0;
  private extentNext: u64 = 0;
  private extentEnd: u64 = 0;
  private claims: ExtentClaims;
  /** The directory of claim and lock files, beside the store file. */
  private markers: ArrayBuffer;
  private lookupsSinceCheck: u32 = 0;
  /** An all-zero control block was seen once: another instance may be emptying the file. */
  private zeroControlSeen: bool = false;
  /** Whether the record find() returned came from the front. */
  private foundInFront: bool = false;
  private conflictLogged: bool = false;
  private foreignLogged: bool = false;
  private lock: StoreLock;
  /** Records that failed their checks and were skipped (torn, overwritten, corrupt). */
  corruptSkipped: u32 = 0;
  /** Changes given up because a bucket's lock could not be taken in LOCK_WAIT_MS, or no extent claimed. */
  lockFailures: u32 = 0;

  private constructor(dirFd: i32, fileName: string, fd: i32, geometry: Geometry, maxObjectSize: u64, front: MemoryStore) {
    super();
    this.dirFd = dirFd;
    this.name = String.UTF8.encode(fileName);
    this.lock = new StoreLock(dirFd, fileName);
    this.claims = new ExtentClaims(dirFd, fileName);
    this.markers = String.UTF8.encode(markerDirectory(fileName));
    this.fd = fd;
    this.geometry = geometry;
    this.front = front;
    // Lengths read back from the file are trusted only up to what this store would write.
    const byObject = <u64>ENVELOPE_SIZE + maxObjectSize + RECORD_HEAD_ALLOWANCE;
    const byLog = geometry.dataSize / MAX_RECORD_FRACTION;
    this.maxRecordSize = byObject < byLog ? byObject : byLog;
    // Reading is bounded by what any middleware sharing the file could have written (they may
    // have another maxObjectSize), not by this one's: their entries are served, not cleared.
    const byAnyConfig = <u64>ENVELOPE_SIZE + LARGEST_OBJECT + RECORD_HEAD_ALLOWANCE;
    this.maxReadSize = byAnyConfig < byLog ? byAnyConfig : byLog;
  }

  /**
   * Opens (or creates, or reclaims) `<directory>/<name>` as a store of exactly `limit` bytes.
   * Null with sharedStoreError set when the directory is not mounted or the file cannot be used.
   */
  static open(directory: string, name: string, limit: u64, maxObjectSize: u64, front: MemoryStore): SharedStore | null {
    const dirFd = findPreopen(directory);
    if (dirFd < 0) {
      sharedStoreError = "key \"store.shared.path\": \"" + directory + "\" is not mounted: add it to the " +
        "plugin's settings.mounts in Traefik's static configuration (\"/host/dir:" + directory +
        "\"), and check that the host directory exists";
      return null;
    }
    const fileName = String.UTF8.encode(name);
    const fd = openReadWrite(dirFd, fileName);
    if (fd < 0) {
      sharedStoreError = "key \"store.shared.path\": cannot open \"" + directory + "/" + name + "\" for reading " +
        "and writing (WASI errno " + (-fd).toString() + "; a \":ro\" mount answers 52)";
      return null;
    }
    if (!ensureDirectory(dirFd, String.UTF8.encode(markerDirectory(name)))) {
      sharedStoreError = "key \"store.shared.path\": cannot create the directory \"" + directory + "/" +
        markerDirectory(name) + "\" (is the mount writable?)";
      closeFile(fd);
      return null;
    }
    const geometry = Geometry.forLimit(limit);
    const store = new SharedStore(dirFd, name, fd, geometry, maxObjectSize, front);
    if (!store.adopt()) {
      sharedStoreError = "key \"store.shared.path\": cannot size \"" + directory + "/" + name + "\" to " +
        limit.toString() + " bytes (is the volume full?)";
      return null;
    }
    return store;
  }

  /**
   * Uses the file as it is when its control block matches our geometry; otherwise (new, foreign,
   * corrupt, truncated, or another limit) makes it ours: sized, index emptied, control written.
   */
  private adopt(): bool {
    const g = this.geometry;
    const size = fileSize(this.fd);
    const read = readAt(this.fd, control, <u32>CONTROL_SIZE, 0) == <i64>CONTROL_SIZE;
    if (size == <i64>g.fileSize && read && this.isOurs(control)) return true;
    if (read && Geometry.isIntact(control) && !g.matches(control)) {
      // A store made by another limit: a reload that changed it (the old instances soon go), or
      // two middlewares sharing one file with different limits, which would keep emptying it.
      if (!this.conflictLogged) {
        this.conflictLogged = true;
        logError("shared store: the file was made with store.shared.limit " + Geometry.fileSizeOf(control).toString() +
          " bytes and this middleware's is " + g.fileSize.toString() + ": starting it afresh. If two middlewares " +
          "share store.shared.path and cacheName, give them the same limit or different cacheNames.");
      }
    } else if (size > 0 && !this.foreignLogged) {
      // Once per instance: two plugin versions with different file formats on one volume (a
      // rolling upgrade) start the file afresh at every look until the old ones are gone.
      this.foreignLogged = true;
      logWarn("shared store: the file is not a whole store of this plugin version (corrupt, foreign, truncated " +
        "or written by another version): starting it afresh");
    }
    return this.empty();
  }

  /** Whether the control block at `p` is an intact one of our geometry, with a sane cursor. */
  private isOurs(p: usize): bool {
    return this.geometry.matches(p) && Geometry.headOf(p) < MAX_CURSOR;
  }

  /**
   * Empties the file at once, however large: truncated to nothing and back (it is sparse), then
   * the control block. Instances reading meanwhile see short reads or zeros: misses.
   */
  private empty(): bool {
    const g = this.geometry;
    // Log positions are versions, and memory fronts trust a matching version: they must never
    // repeat. The head goes on past where it was (far enough that no claim file near the old
    // head matters), and past the clock (in ms << 20, far ahead of any position written before),
    // for a file that lost its control block.
    let previous = this.cursor;
    if (readAt(this.fd, control, CONTROL_HEAD_END, 0) == <i64>CONTROL_HEAD_END && Geometry.isIntact(control)) {
      const read = Geometry.headOf(control);
      if (read > previous && read < MAX_CURSOR) previous = read;
    }
    let head = previous;
    const byClock = <u64>nowMillis() << 20;
    if (byClock > head) head = byClock;
    const jump = g.dataSize > EMPTY_HEAD_JUMP ? g.dataSize : EMPTY_HEAD_JUMP;
    head = (head + jump + EXTENT_SIZE - 1) / EXTENT_SIZE * EXTENT_SIZE;
    if (!setFileSize(this.fd, 0) || !setFileSize(this.fd, g.fileSize)) return false;
    memory.fill(control, 0, <usize>CONTROL_SIZE);
    g.encode(control);
    Geometry.setHead(control, head);
    this.cursor = head;
    this.extentEnd = 0; // this instance's extent is behind the new head: claim anew
    if (!writeAt(this.fd, control, <u32>CONTROL_SIZE, 0)) return false;
    if (previous > 0) this.claims.forget(previous);
    return true;
  }

  /** Records in this instance's memory front (the file's own count would need a scan). */
  get count(): u32 {
    return this.front.count;
  }

  find(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): usize {
    this.foundInFront = false;
    if (++this.lookupsSinceCheck >= CHECK_EVERY_LOOKUPS) {
      this.lookupsSinceCheck = 0;
      if (this.currentCursor() < 0) return 0;
    }
    const urlHash = xxhash64(key, urlLen);
    const way = this.newestWay(urlHash, keyHash);
    if (way < 0) return 0;
    const e = bucket + <usize>way * ENTRY_SIZE;
    const version = entryPositionPlusOne(e);
    // The log has written over it (as far as this instance knows): evicted, even from the front.
    if (version - 1 + this.geometry.dataSize < this.cursor) return 0;
    const inFront = this.front.find(keyHash, key, keyLen, urlLen);
    if (inFront != 0 && recordVersion(inFront) == version) {
      this.foundInFront = true;
      return inFront;
    }
    const r = this.readRecord(version - 1, entryLength(e));
    if (r == 0) {
      this.skipCorrupt(urlHash, way);
      return 0;
    }
    if (recordKeyHash(r) != keyHash || !recordKeyEquals(r, key, keyLen)) return 0; // a hash collision
    this.meta.copyFrom(r);
    this.front.put(this.meta, this.parts.of(r));
    return r;
  }

  /** Second chance: a record hit while near the end of its life is written again at the head. */
  touch(record: usize): void {
    if (this.foundInFront) this.front.touch(record);
    const version = recordVersion(record);
    const position = version - 1;
    const age = this.cursor > position ? this.cursor - position : 0;
    if (age * SECOND_CHANCE_DENOMINATOR > this.geometry.dataSize * SECOND_CHANCE_NUMERATOR) {
      // The front is left alone: `record` may live in it, and the caller still reads it.
      this.meta.copyFrom(record);
      this.append(this.meta, this.parts.of(record), version);
    }
  }

  put(meta: EntryMeta, parts: RecordParts): bool {
    if (!this.append(meta, parts, 0)) return false;
    this.front.put(meta, parts);
    return true;
  }

  /**
   * Stores the record only if the key's entry is still version `expected` (0: none): between
   * instances, the one whose check and index write come first wins. The window is one bucket read
   * to one 32-byte write, not the whole record: close to a compare-and-swap, which WASI lacks.
   */
  claim(meta: EntryMeta, parts: RecordParts, expected: u64): bool {
    if (!this.append(meta, parts, expected, true)) return false;
    this.front.put(meta, parts);
    return true;
  }

  remove(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): bool {
    this.front.remove(keyHash, key, keyLen, urlLen);
    return this.clearKeyWays(keyHash, xxhash64(key, urlLen));
  }

  /** Clears the ways naming the key (by its hash) in the URL's bucket. */
  private clearKeyWays(keyHash: u64, urlHash: u64): bool {
    const offset = this.geometry.bucketOffset(urlHash);
    if (!this.lockBucket(offset)) return false;
    let removed = false;
    if (this.readBucket(offset)) {
      for (let w: u32 = 0; w < WAYS; w++) {
        const e = bucket + <usize>w * ENTRY_SIZE;
        if (entryIsValid(e) && entryUrlHash(e) == urlHash && entryKeyHash(e) == keyHash) {
          removed = this.clearWay(offset, w) || removed;
        }
      }
    }
    this.unlockBucket();
    return removed;
  }

  removeHashed(keyHash: u64, url: usize, urlLen: u32): bool {
    this.front.removeHashed(keyHash, url, urlLen);
    return this.clearKeyWays(keyHash, xxhash64(url, urlLen));
  }

  /** Entries purged, or PURGE_FAILED when the file could not be read or written. */
  purge(request: PurgeRequest): i64 {
    // The purge must reach the file every instance uses, not an orphan this one still holds.
    if (this.currentCursor() < 0) return PURGE_FAILED;
    this.front.purge(request);
    if (request.all) {
      const count = this.scanIndex(request, false);
      return count >= 0 && this.empty() ? count : PURGE_FAILED;
    }
    let purged: i64 = 0;
    for (let i = 0; i < request.urls.length; i++) {
      const n = this.purgeUrl(unchecked(request.urls[i]));
      if (n < 0) return PURGE_FAILED;
      purged += n;
    }
    if (request.prefixes.length > 0 || request.tags.length > 0) {
      const n = this.scanIndex(request, true);
      if (n < 0) return PURGE_FAILED;
      purged += n;
    }
    return purged;
  }

  // --- the log ---

  /**
   * Makes sure the file this instance writes is still the store: the one the directory names,
   * with our geometry. Someone may have deleted it, renamed another file over it, written over
   * it or truncated it; instances check before each store and purge, and every 32 lookups.
   * Returns the cursor, or -1.
   */
  private currentCursor(): i64 {
    if (!isStillNamed(this.fd, this.dirFd, this.name)) {
      const fd = openReadWrite(this.dirFd, this.name);
      if (fd < 0) return -1;
      closeFile(this.fd);
      this.fd = fd;
    }
    const size = CONTROL_HEAD_END;
    const read = readAt(this.fd, control, size, 0) == <i64>size;
    if (read && this.isOurs(control)) {
      this.zeroControlSeen = false;
    } else {
      // Zeros (or a short read) where the control block should be: most likely another
      // instance emptying the file right now (truncate, resize, control block). Emptying it again would drop what
      // was stored since; so not this time, only if it is still so at the next look.
      if ((!read || load<u32>(control) == 0) && !this.zeroControlSeen) {
        this.zeroControlSeen = true;
        return -1;
      }
      this.zeroControlSeen = false;
      if (!this.adopt()) return -1;
    }
    const head = Geometry.headOf(control); // adopt() leaves its control block there
    // Our own claims may be ahead of a head word someone else wrote over: never go back.
    if (head > this.cursor) this.cursor = head;
    return <i64>this.cursor;
  }

  /**
   * Takes the lock of the bucket at `bucketOffset`, waiting up to LOCK_WAIT_MS for a live holder
   * (two writers meet there only when they store into one bucket at once). Without `wait`, a busy
   * lock is a no. With `keyHash`, waiting stops (a no) once the bucket names a response of that
   * key stored at `storedAt` or later: many instances storing one URL at once (a burst of misses)
   * need only one of them.
   */
  private lockBucket(bucketOffset: u64, wait: bool = true, urlHash: u64 = 0, keyHash: u64 = 0, storedAt: i64 = 0): bool {
    const id = (bucketOffset - this.geometry.indexOffset) / <u64>BUCKET_SIZE;
    const deadline = nowMillis() + LOCK_WAIT_MS;
    let attempt = LockAttempt.Busy;
    let now: i64 = 0;
    let recreated = false;
    do {
      now = nowMillis();
      attempt = this.lock.take(id, now);
      if (attempt == LockAttempt.Busy) {
        if (!wait) return false;
        if (keyHash != 0 && this.newestStoredAt(urlHash, keyHash) >= storedAt) return false;
      }
      // Someone removed the claims directory (rm -rf of the volume's content): make it again, once.
      if (attempt == LockAttempt.Failed && !recreated) {
        recreated = true;
        if (this.ensureMarkers()) attempt = LockAttempt.Busy;
      }
    } while (attempt == LockAttempt.Busy && now < deadline);
    if (attempt == LockAttempt.Taken) return true;
    this.lockFailures++;
    if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("shared store: a bucket's lock could not be taken; the change is dropped");
    return false;
  }

  /**
   * When the response the key's newest way names was stored (read without the lock), or
   * I64.MIN_VALUE when there is none or it cannot be read. A second chance copies an entry with
   * its storedAt, so it never looks newer than it is.
   */
  private newestStoredAt(urlHash: u64, keyHash: u64): i64 {
    const way = this.newestWay(urlHash, keyHash);
    if (way < 0) return I64.MIN_VALUE;
    const e = bucket + <usize>way * ENTRY_SIZE;
    const read = <u32>ENVELOPE_SIZE + RECORD_HEADER_SIZE;
    if (entryLength(e) < read) return I64.MIN_VALUE;
    const position = entryPositionPlusOne(e) - 1;
    const g = this.geometry;
    if (readAt(this.fd, recordHead, read, g.dataOffset + position % g.dataSize) != <i64>read) return I64.MIN_VALUE;
    const r = recordHead + ENVELOPE_SIZE;
    if (load<u64>(recordHead, 8) != position || recordKeyHash(r) != keyHash) return I64.MIN_VALUE;
    return recordStoredAt(r);
  }

  /** Creates the claims directory if it is missing; whether it exists. */
  private ensureMarkers(): bool {
    return ensureDirectory(this.dirFd, this.markers);
  }

  private unlockBucket(): void {
    this.lock.release();
  }

  /**
   * Writes a record in this instance's extent of the log and names it in the index; sets
   * meta.version. With `replaces` (a version), only if the key's way still names that version;
   * with `exact`, also `replaces` 0 is checked: only if no way names the key.
   */
  private append(meta: EntryMeta, parts: RecordParts, replaces: u64, exact: bool = false): bool {
    const recordBytes = parts.recordSize;
    const total = <u64>ENVELOPE_SIZE + recordBytes;
    if (total > this.maxRecordSize) return false;
    if (this.currentCursor() < 0) return false;
    const position = this.reserve(total);
    if (position < 0) return false;
    const g = this.geometry;
    meta.version = <u64>position + 1;
    const buffer = this.writeBuffer;
    buffer.reset();
    buffer.reserve(<u32>total);
    const envelope = buffer.ptr;
    writeRecord(envelope + ENVELOPE_SIZE, <u32>recordBytes, meta, parts);
    store<u64>(envelope, <u64>position, 8);
    store<u64>(envelope, xxhash64(envelope + 8, <u32>total - 8), 0);
    if (!writeAt(this.fd, envelope, <u32>total, g.dataOffset + <u64>position % g.dataSize)) return false;
    const urlHash = xxhash64(parts.key, meta.urlLength);
    const offset = g.bucketOffset(urlHash);
    // A conditional write (a lease, a second chance) that finds the bucket busy gives up: the
    // other writer is most likely claiming or storing the same key.
    const conditional = replaces != 0 || exact;
    if (!this.lockBucket(offset, !conditional, urlHash, meta.keyHash, meta.storedAt)) return false;
    const published = this.publish(offset, urlHash, meta.keyHash, <u64>position, <u32>total, replaces, exact);
    this.unlockBucket();
    return published;
  }

  /**
   * The position for a record of `total` bytes in this instance's extent, claiming a new extent
   * (a run of them for a large record) when it is full or near the tail of the log; -1 if none.
   */
  private reserve(total: u64): i64 {
    const g = this.geometry;
    const retired = this.extentStart + g.dataSize / EXTENT_RETIRE_DIVISOR * (EXTENT_RETIRE_DIVISOR - 1) <= this.cursor;
    if (this.extentNext + total > this.extentEnd || retired) {
      const count = <u32>((total + EXTENT_SIZE - 1) / EXTENT_SIZE);
      let first = this.claims.claim(this.fd, g, count, this.cursor);
      if (first < 0 && this.ensureMarkers()) first = this.claims.claim(this.fd, g, count, this.cursor);
      if (first < 0) {
        this.lockFailures++;
        return -1;
      }
      this.extentStart = <u64>first * EXTENT_SIZE;
      this.extentNext = this.extentStart;
      this.extentEnd = this.extentStart + <u64>count * EXTENT_SIZE;
      if (this.extentEnd > this.cursor) this.cursor = this.extentEnd;
    }
    const position = this.extentNext;
    this.extentNext = (position + total + ENVELOPE_ALIGN - 1) & ~(ENVELOPE_ALIGN - 1);
    return <i64>position;
  }

  /**
   * Names the record in its bucket: in the key's own way (other ways of the key, left by racing
   * writers, are cleared), else a free way, else one whose record the log has overwritten, else
   * the oldest. With `replaces` (or `exact`), only when the key's way still names that version.
   */
  private publish(offset: u64, urlHash: u64, keyHash: u64, position: u64, length: u32, replaces: u64, exact: bool): bool {
    const cursor = this.cursor;
    if (!this.readBucket(offset)) return false;
    let own: i32 = -1;
    for (let w: u32 = 0; w < WAYS; w++) {
      const e = bucket + <usize>w * ENTRY_SIZE;
      if (!entryIsValid(e) || entryUrlHash(e) != urlHash || entryKeyHash(e) != keyHash) continue;
      if (own < 0) own = <i32>w;
      else this.clearWay(offset, w);
    }
    const current = own < 0 ? 0 : entryPositionPlusOne(bucket + <usize>own * ENTRY_SIZE);
    if ((replaces != 0 || exact) && current != replaces) {
      return false; // replaced or purged meanwhile: what we hold is no longer the entry
    }
    let way = own;
    let overwritten: i32 = -1;
    let oldest: u64 = U64.MAX_VALUE;
    let oldestWay: u32 = 0;
    for (let w: u32 = 0; way < 0 && w < WAYS; w++) {
      const e = bucket + <usize>w * ENTRY_SIZE;
      if (!entryIsValid(e)) {
        way = <i32>w;
        break;
      }
      const entryPosition = entryPositionPlusOne(e) - 1;
      if (overwritten < 0 && entryPosition + this.geometry.dataSize < cursor) overwritten = <i32>w;
      if (entryPosition < oldest) {
        oldest = entryPosition;
        oldestWay = w;
      }
    }
    if (way < 0) way = overwritten >= 0 ? overwritten : <i32>oldestWay;
    encodeEntry(entryOut, urlHash, keyHash, position, length);
    return writeAt(this.fd, entryOut, ENTRY_SIZE, offset + <u64>way * ENTRY_SIZE);
  }

  /** The way naming the newest copy of the key in its bucket (now in `bucket`), or -1. */
  private newestWay(urlHash: u64, keyHash: u64): i32 {
    if (!this.readBucket(this.geometry.bucketOffset(urlHash))) return -1;
    let best: i32 = -1;
    let bestVersion: u64 = 0;
    for (let w: u32 = 0; w < WAYS; w++) {
      const e = bucket + <usize>w * ENTRY_SIZE;
      if (!entryIsValid(e) || entryUrlHash(e) != urlHash || entryKeyHash(e) != keyHash) continue;
      if (entryPositionPlusOne(e) > bestVersion) {
        bestVersion = entryPositionPlusOne(e);
        best = <i32>w;
      }
    }
    return best;
  }

  /** Reads and checks the record at `position` (its envelope `length` bytes); 0 when it fails. */
  private readRecord(position: u64, length: u32): usize {
    const g = this.geometry;
    if (length < ENVELOPE_SIZE + RECORD_HEADER_SIZE || <u64>length > this.maxReadSize) return 0;
    const buffer = this.readBuffer;
    buffer.reset();
    buffer.reserve(length);
    const envelope = buffer.ptr;
    if (readAt(this.fd, envelope, length, g.dataOffset + position % g.dataSize) != <i64>length) return 0;
    if (load<u64>(envelope, 8) != position) return 0;
    if (load<u64>(envelope, 0) != xxhash64(envelope + 8, length - 8)) return 0;
    const r = envelope + ENVELOPE_SIZE;
    if (!recordFits(r, <u64>(length - ENVELOPE_SIZE)) || recordVersion(r) != position + 1) return 0;
    return r;
  }

  /**
   * Reads the head (header, key, tags) of the record the entry names, for a purge to match;
   * 0 when it is not that record any more (overwritten, torn, or another key's). No checksum
   * covers a head alone: every length in it is checked before use.
   */
  private readHead(e: usize): usize {
    const g = this.geometry;
    const position = entryPositionPlusOne(e) - 1;
    const length = entryLength(e);
    if (length < ENVELOPE_SIZE + RECORD_HEADER_SIZE || <u64>length > this.maxReadSize) return 0;
    const buffer = this.readBuffer;
    buffer.reset();
    let want = length < HEAD_READ ? length : HEAD_READ;
    buffer.reserve(want);
    const at = g.dataOffset + position % g.dataSize;
    if (readAt(this.fd, buffer.ptr, want, at) != <i64>want) return 0;
    let r = buffer.ptr + ENVELOPE_SIZE;
    if (load<u64>(buffer.ptr, 8) != position || !recordHeadFits(r, <u64>(length - ENVELOPE_SIZE))) return 0;
    const head = ENVELOPE_SIZE + RECORD_HEADER_SIZE + recordKeyLength(r) + recordTagCount(r) * 8; // fits in length
    if (head > want) {
      buffer.reserve(head);
      if (readAt(this.fd, buffer.ptr, head, at) != <i64>head) return 0;
      r = buffer.ptr + ENVELOPE_SIZE;
      if (load<u64>(buffer.ptr, 8) != position || !recordHeadFits(r, <u64>(length - ENVELOPE_SIZE))) return 0;
    }
    if (recordVersion(r) != position + 1 || recordKeyHash(r) != entryKeyHash(e)) return 0;
    if (xxhash64(recordKey(r), recordUrlLength(r)) != entryUrlHash(e)) return 0;
    return r;
  }

  // --- purge ---

  /** Clears every way of the URL (all its variants); -1 when the bucket cannot be read. */
  private purgeUrl(url: ArrayBuffer): i64 {
    const urlHash = xxhash64(changetype<usize>(url), <u32>url.byteLength);
    const offset = this.geometry.bucketOffset(urlHash);
    if (!this.lockBucket(offset)) return PURGE_FAILED;
    let purged: i64 = this.readBucket(offset) ? 0 : PURGE_FAILED;
    for (let w: u32 = 0; purged >= 0 && w < WAYS; w++) {
      const e = bucket + <usize>w * ENTRY_SIZE;
      if (!entryIsValid(e) || entryUrlHash(e) != urlHash) continue;
      purged = this.clearWay(offset, w) ? purged + 1 : PURGE_FAILED;
    }
    this.unlockBucket();
    return purged;
  }

  /**
   * Walks the whole index: O(entries), for an operator's request. Counts the entries the purge
   * matches, and clears them when `clear` is set; also clears ways whose record is gone (so no
   * front keeps a copy of it alive). -1 when the file cannot be read or written.
   */
  private scanIndex(request: PurgeRequest, clear: bool): i64 {
    const g = this.geometry;
    if (this.chunk == 0) this.chunk = heap.alloc(INDEX_CHUNK);
    const chunk = this.chunk;
    const toClear = this.toClear;
    let purged: i64 = 0;
    for (let start: u64 = 0; start < g.indexSize; start += INDEX_CHUNK) {
      const left = g.indexSize - start;
      const len = left < <u64>INDEX_CHUNK ? <u32>left : INDEX_CHUNK;
      if (readAt(this.fd, chunk, len, g.indexOffset + start) != <i64>len) return PURGE_FAILED;
      toClear.length = 0;
      for (let at: u32 = 0; at < len; at += ENTRY_SIZE) {
        const e = chunk + at;
        if (!entryIsValid(e)) continue;
        let matches = true;
        if (!request.all) {
          const r = this.readHead(e);
          matches = r != 0 && matchesPurge(r, request);
          if (r != 0 && !matches) continue;
        }
        if (matches) purged++;
        if (clear) toClear.push(at);
      }
      if (toClear.length > 0 && !this.clearUnchanged(g.indexOffset + start, len)) return PURGE_FAILED;
    }
    return purged;
  }

  /**
   * Clears the ways of the chunk at `offset` listed in toClear, each under its bucket's lock and
   * only if still as the scan read it: an entry stored there since is kept.
   */
  private clearUnchanged(offset: u64, len: u32): bool {
    const g = this.geometry;
    for (let i = 0; i < this.toClear.length; i++) {
      const at = unchecked(this.toClear[i]);
      const wayOffset = offset + <u64>at;
      const bucketOffset = g.indexOffset + (wayOffset - g.indexOffset) / <u64>BUCKET_SIZE * <u64>BUCKET_SIZE;
      if (!this.lockBucket(bucketOffset)) return false;
      let ok = readAt(this.fd, wayAgain, ENTRY_SIZE, wayOffset) == <i64>ENTRY_SIZE;
      if (ok && memory.compare(this.chunk + at, wayAgain, ENTRY_SIZE) == 0) {
        memory.fill(entryOut, 0, ENTRY_SIZE);
        ok = writeAt(this.fd, entryOut, ENTRY_SIZE, wayOffset);
      }
      this.unlockBucket();
      if (!ok) return false;
    }
    return true;
  }

  // --- small file operations ---

  private readBucket(offset: u64): bool {
    return readAt(this.fd, bucket, BUCKET_SIZE, offset) == <i64>BUCKET_SIZE;
  }

  private clearWay(bucketOffset: u64, way: u32): bool {
    memory.fill(entryOut, 0, ENTRY_SIZE);
    return writeAt(this.fd, entryOut, ENTRY_SIZE, bucketOffset + <u64>way * ENTRY_SIZE);
  }

  /**
   * A way whose record failed its checks is cleared, so that the next lookup does not read it;
   * under the lock, and only if it still names that record (a store may have reused it since).
   */
  private skipCorrupt(urlHash: u64, way: i32): void {
    this.corruptSkipped++;
    if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("shared store: skipped a torn or corrupt record");
    const e = bucket + <usize>way * ENTRY_SIZE;
    const keyHash = entryKeyHash(e);
    const version = entryPositionPlusOne(e);
    const offset = this.geometry.bucketOffset(urlHash);
    if (!this.lockBucket(offset)) return;
    if (this.readBucket(offset) && entryIsValid(e) && entryKeyHash(e) == keyHash && entryPositionPlusOne(e) == version) {
      this.clearWay(offset, <u32>way);
    }
    this.unlockBucket();
  }
}
