// One cache entry as one contiguous byte record: a fixed header, the key bytes, the tags, the
// stored header lines, the body. Every store (memory now, shared later) keeps records in this layout,
// so the plugin reads an entry the same way wherever it came from.
//
//   offset  size  field
//   0       4     magic            RECORD_MAGIC for an entry, SKIP_MAGIC for padding in a ring
//   4       4     size             whole record, padded to RECORD_ALIGN
//   8       8     keyHash          xxHash64 of the key
//   16      4     keyLength
//   20      4     headersLength    stored header lines, see below
//   24      4     bodyLength
//   28      2     status
//   30      2     flags            RECORD_FLAG_*
//   32      8     storedAt         ms since epoch, when we stored it (maxTtl counts from here)
//   40      8     responseTime     ms since epoch, when the response was received (§4.2.3)
//   48      8     initialAge       ms, corrected_initial_age (§4.2.3)
//   56      8     freshnessLifetime ms (§4.2.1)
//   64      4     urlLength        the key's first bytes that name the URL (host, path, query);
//                                  the rest (key headers, variants) tells variants apart
//   68      4     tagCount         u64 tag hashes after the key (purge by tag)
//   72      8     version          who wrote it: the shared store's log position, 0 in memory
//   80      4     staleWhileRevalidate  s, the window to serve it stale while one request refreshes
//   84      4     staleIfError     s, the window to serve it stale when the backend fails
//   88            key, tags, header lines, body
// A header line is [u32 nameLength][u32 valueLength][name][value] (names in canonical form).

export const RECORD_MAGIC: u32 = 0x31454348; // "HCE1"
export const SKIP_MAGIC: u32 = 0x50494b53; // "SKIP"
export const RECORD_HEADER_SIZE: u32 = 88;
const TAG_SIZE: u32 = 8;
/** A record carries at most this many tags (a response with more is not stored). */
export const MAX_RECORD_TAGS: u32 = 128;
export const RECORD_ALIGN: u32 = 8;

/** The response may answer a request with Authorization (§3.5: public, s-maxage, must-revalidate). */
export const RECORD_FLAG_AUTHORIZED_OK: u16 = 1;
/** Used since it was stored or last spared by eviction (CLOCK's reference bit). */
export const RECORD_FLAG_REFERENCED: u16 = 2;
/**
 * Not a response: a note that the URL's last response could not be stored, so that requests
 * stream through instead of being buffered for nothing (Varnish's hit-for-pass).
 */
export const RECORD_FLAG_PASS: u16 = 4;
/** Must be validated with the backend before every use (response no-cache). */
export const RECORD_FLAG_NO_CACHE: u16 = 8;
/** May never be served stale (must-revalidate, proxy-revalidate, s-maxage, no-cache). */
export const RECORD_FLAG_NO_STALE: u16 = 16;
/** Cache-Control: immutable - a client's max-age does not make it revalidate while fresh. */
export const RECORD_FLAG_IMMUTABLE: u16 = 32;
/**
 * Not a response: the URL's responses vary (Vary). The body holds the varied header names
 * (NUL-separated, lowercase), padding to 8, then the key hashes of the stored variants (u64 each).
 */
export const RECORD_FLAG_VARY: u16 = 64;
/** Not a response: a short lease saying one request is refreshing the stale entry (see policy/lease). */
export const RECORD_FLAG_LEASE: u16 = 128;

@inline export function recordMagic(r: usize): u32 { return load<u32>(r, 0); }
@inline export function recordSize(r: usize): u32 { return load<u32>(r, 4); }
@inline export function recordKeyHash(r: usize): u64 { return load<u64>(r, 8); }
@inline export function recordKeyLength(r: usize): u32 { return load<u32>(r, 16); }
@inline export function recordHeadersLength(r: usize): u32 { return load<u32>(r, 20); }
@inline export function recordBodyLength(r: usize): u32 { return load<u32>(r, 24); }
@inline export function recordStatus(r: usize): u32 { return <u32>load<u16>(r, 28); }
@inline export function recordFlags(r: usize): u16 { return load<u16>(r, 30); }
@inline export function recordStoredAt(r: usize): i64 { return load<i64>(r, 32); }
@inline export function recordResponseTime(r: usize): i64 { return load<i64>(r, 40); }
@inline export function recordInitialAge(r: usize): i64 { return load<i64>(r, 48); }
@inline export function recordFreshnessLifetime(r: usize): i64 { return load<i64>(r, 56); }
@inline export function recordUrlLength(r: usize): u32 { return load<u32>(r, 64); }
@inline export function recordTagCount(r: usize): u32 { return load<u32>(r, 68); }
@inline export function recordVersion(r: usize): u64 { return load<u64>(r, 72); }
@inline export function recordStaleWhileRevalidate(r: usize): u32 { return load<u32>(r, 80); }
@inline export function recordStaleIfError(r: usize): u32 { return load<u32>(r, 84); }
@inline export function recordKey(r: usize): usize { return r + RECORD_HEADER_SIZE; }
@inline export function recordTags(r: usize): usize { return r + RECORD_HEADER_SIZE + recordKeyLength(r); }
@inline export function recordHeaders(r: usize): usize { return recordTags(r) + recordTagCount(r) * TAG_SIZE; }
@inline export function recordBody(r: usize): usize { return recordHeaders(r) + recordHeadersLength(r); }

@inline export function setRecordFlags(r: usize, flags: u16): void { store<u16>(r, flags, 30); }

@inline export function alignRecord(n: u64): u64 {
  return (n + <u64>(RECORD_ALIGN - 1)) & ~<u64>(RECORD_ALIGN - 1);
}

/** What a record says about the response besides its bytes. */
@final
export class EntryMeta {
  keyHash: u64 = 0;
  status: u32 = 0;
  flags: u16 = 0;
  storedAt: i64 = 0;
  responseTime: i64 = 0;
  initialAge: i64 = 0;
  freshnessLifetime: i64 = 0;
  urlLength: u32 = 0;
  version: u64 = 0;
  staleWhileRevalidate: u32 = 0;
  staleIfError: u32 = 0;

  /** Copies what `r` says about its response (for storing the record again elsewhere). */
  copyFrom(r: usize): void {
    this.keyHash = recordKeyHash(r);
    this.status = recordStatus(r);
    this.flags = recordFlags(r);
    this.storedAt = recordStoredAt(r);
    this.responseTime = recordResponseTime(r);
    this.initialAge = recordInitialAge(r);
    this.freshnessLifetime = recordFreshnessLifetime(r);
    this.urlLength = recordUrlLength(r);
    this.version = recordVersion(r);
    this.staleWhileRevalidate = recordStaleWhileRevalidate(r);
    this.staleIfError = recordStaleIfError(r);
  }
}

export function recordSizeFor(keyLen: u32, tagCount: u32, headersLen: u32, bodyLen: u32): u64 {
  return alignRecord(<u64>RECORD_HEADER_SIZE + <u64>keyLen + <u64>tagCount * TAG_SIZE + <u64>headersLen + <u64>bodyLen);
}

/** Where a record's parts are: the key, the tags, the header lines, the body. */
@final
export class RecordParts {
  key: usize = 0;
  keyLength: u32 = 0;
  tags: usize = 0;
  tagCount: u32 = 0;
  headers: usize = 0;
  headersLength: u32 = 0;
  body: usize = 0;
  bodyLength: u32 = 0;

  set(key: usize, keyLength: u32, tags: usize, tagCount: u32, headers: usize, headersLength: u32,
    body: usize, bodyLength: u32): RecordParts {
    this.key = key;
    this.keyLength = keyLength;
    this.tags = tags;
    this.tagCount = tagCount;
    this.headers = headers;
    this.headersLength = headersLength;
    this.body = body;
    this.bodyLength = bodyLength;
    return this;
  }

  /** The parts of a stored record. */
  of(r: usize): RecordParts {
    return this.set(recordKey(r), recordKeyLength(r), recordTags(r), recordTagCount(r), recordHeaders(r),
      recordHeadersLength(r), recordBody(r), recordBodyLength(r));
  }

  get recordSize(): u64 {
    return recordSizeFor(this.keyLength, this.tagCount, this.headersLength, this.bodyLength);
  }
}

/** Writes a whole record at `r` (which has room for parts.recordSize bytes). */
export function writeRecord(r: usize, size: u32, meta: EntryMeta, parts: RecordParts): void {
  store<u32>(r, RECORD_MAGIC, 0);
  store<u32>(r, size, 4);
  store<u64>(r, meta.keyHash, 8);
  store<u32>(r, parts.keyLength, 16);
  store<u32>(r, parts.headersLength, 20);
  store<u32>(r, parts.bodyLength, 24);
  store<u16>(r, <u16>meta.status, 28);
  store<u16>(r, meta.flags, 30);
  store<i64>(r, meta.storedAt, 32);
  store<i64>(r, meta.responseTime, 40);
  store<i64>(r, meta.initialAge, 48);
  store<i64>(r, meta.freshnessLifetime, 56);
  store<u32>(r, meta.urlLength, 64);
  store<u32>(r, parts.tagCount, 68);
  store<u64>(r, meta.version, 72);
  store<u32>(r, meta.staleWhileRevalidate, 80);
  store<u32>(r, meta.staleIfError, 84);
  let at = r + RECORD_HEADER_SIZE;
  memory.copy(at, parts.key, parts.keyLength);
  at += parts.keyLength;
  memory.copy(at, parts.tags, parts.tagCount * TAG_SIZE);
  at += parts.tagCount * TAG_SIZE;
  memory.copy(at, parts.headers, parts.headersLength);
  at += parts.headersLength;
  memory.copy(at, parts.body, parts.bodyLength);
  at += parts.bodyLength;
  memory.fill(at, 0, r + size - at); // the alignment padding, so a record's bytes are all defined
}

export function recordKeyEquals(r: usize, key: usize, keyLen: u32): bool {
  return recordKeyLength(r) == keyLen && memory.compare(recordKey(r), key, keyLen) == 0;
}

/** Whether the record carries the tag (hash). */
export function recordHasTag(r: usize, tag: u64): bool {
  const tags = recordTags(r);
  const n = recordTagCount(r);
  for (let i: u32 = 0; i < n; i++) if (load<u64>(tags + <usize>i * TAG_SIZE) == tag) return true;
  return false;
}

/**
 * Whether the head of the record at `r` (header, key, tags) is consistent and within `available`
 * bytes. For records read back from a file, before any length in them is used.
 */
export function recordHeadFits(r: usize, available: u64): bool {
  if (available < <u64>RECORD_HEADER_SIZE || recordMagic(r) != RECORD_MAGIC) return false;
  const tags = recordTagCount(r);
  if (tags > MAX_RECORD_TAGS || recordUrlLength(r) > recordKeyLength(r)) return false;
  return <u64>RECORD_HEADER_SIZE + <u64>recordKeyLength(r) + <u64>tags * TAG_SIZE <= available;
}

/** Whether the whole record at `r` is consistent and exactly as long as its size says. */
export function recordFits(r: usize, available: u64): bool {
  if (!recordHeadFits(r, available) || <u64>recordSize(r) != available) return false;
  return recordSizeFor(recordKeyLength(r), recordTagCount(r), recordHeadersLength(r), recordBodyLength(r)) <= available;
}
