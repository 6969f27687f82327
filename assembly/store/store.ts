// The store interface: bounded storage of records by key, knowing bytes and nothing about HTTP.
// The memory store (per instance) implements it today; a shared store on a mounted directory
// (all instances) will implement it next.
import { EntryMeta } from "./record";

export abstract class Store {
  /** The record stored under the key, or 0. Valid until the next call that changes the store. */
  abstract find(keyHash: u64, key: usize, keyLen: u32): usize;

  /** Stores a record, replacing any under the same key. False when it cannot be held. */
  abstract put(
    meta: EntryMeta, key: usize, keyLen: u32,
    headers: usize, headersLen: u32, body: usize, bodyLen: u32,
  ): bool;

  /** Removes the record under the key; false when there was none. */
  abstract remove(keyHash: u64, key: usize, keyLen: u32): bool;

  /** Tells the eviction policy that a record answered a request. */
  abstract touch(record: usize): void;

  /** Number of records currently findable. */
  abstract get count(): u32;
}
