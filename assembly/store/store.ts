// The store interface: bounded storage of records by key, knowing bytes and nothing about HTTP.
// The memory store lives in one instance; the shared store is a file on a mounted directory
// that every instance reads and writes (with a memory store in front of it).
import { PurgeRequest } from "./purge";
import { EntryMeta, RecordParts } from "./record";

export abstract class Store {
  /**
   * The record stored under the key, or 0. Valid until the next call that changes the store.
   * The key's first `urlLen` bytes name the URL (see RECORD urlLength).
   */
  abstract find(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): usize;

  /** Stores a record, replacing any under the same key. False when it cannot be held. */
  abstract put(meta: EntryMeta, parts: RecordParts): bool;

  /**
   * Stores a record only if the key's current record is version `expected` (0: none); false when
   * another writer got there first, or the store failed. A memory store has one writer: a put.
   */
  claim(meta: EntryMeta, parts: RecordParts, expected: u64): bool {
    return this.put(meta, parts);
  }

  /** Removes the record under the key; false when there was none. */
  abstract remove(keyHash: u64, key: usize, keyLen: u32, urlLen: u32): bool;

  /**
   * Removes the record whose key hashes to `keyHash` among those of the URL `url` (the key's first
   * urlLen bytes): a variant whose full key is no longer known (the variant bound).
   */
  abstract removeHashed(keyHash: u64, url: usize, urlLen: u32): bool;

  /** Removes every record the purge names; returns how many, or -1 when the store failed. */
  abstract purge(request: PurgeRequest): i64;

  /** Tells the eviction policy that a record answered a request. */
  abstract touch(record: usize): void;

  /** Number of records currently findable. */
  abstract get count(): u32;
}
