// stale-while-revalidate without background work (RFC 5861 §3): a guest cannot refresh after it
// has answered, so within the window ONE request goes to the backend and every other one, in
// every instance, is answered stale meanwhile. Who refreshes is said by a lease: a small record
// under the entry's key plus LEASE_SUFFIX, in the same store (so the shared store makes it visible
// to every instance, and a URL purge removes it with the entry). A lease names the entry it
// refreshes (its storedAt), so a lease left over from an earlier refresh never holds back the
// next one; and it expires, so a refresher that died lets another try.
import { appendKeySuffix, key, keyHash, keyUrlLength, truncateKey } from "../exchange/request";
import {
  EntryMeta, RECORD_FLAG_LEASE, RecordParts, recordFlags, recordResponseTime, recordStoredAt, recordVersion,
} from "../store/record";
import { Store } from "../store/store";
import { describeMarker } from "./entry";

/** How long a refresh may take before another request may try (the backend's slow answer). */
export const REFRESH_LEASE_MS: i64 = 10_000;
/** "\n" then a byte no header name has: never part of a URL, key header or variant key. */
const LEASE_SUFFIX = String.UTF8.encode("\n\x01refresh");

const meta = new EntryMeta();
const parts = new RecordParts();

function isLiveLease(record: usize, entryStoredAt: i64, now: i64): bool {
  return record != 0 && (recordFlags(record) & RECORD_FLAG_LEASE) != 0 &&
    recordResponseTime(record) == entryStoredAt && now - recordStoredAt(record) < REFRESH_LEASE_MS;
}

/**
 * Whether this request is the one to refresh the stale entry stored at `entryStoredAt` (under the
 * current key). False when another request holds a live lease: answer stale then.
 */
export function claimRefresh(store: Store, entryStoredAt: i64, now: i64): bool {
  const entryKeyLength = key.length;
  appendKeySuffix(LEASE_SUFFIX);
  const seen = store.find(keyHash, key.ptr, key.length, keyUrlLength);
  let mine = false;
  if (!isLiveLease(seen, entryStoredAt, now)) {
    describeMarker(meta, RECORD_FLAG_LEASE, now, REFRESH_LEASE_MS, entryStoredAt);
    // Only over the lease we saw (expired, or none): of two instances claiming at once, one wins.
    // Lost (or a store that cannot be written): stale answers until the window ends, after which
    // the entry is validated like any stale one.
    mine = store.claim(meta, parts.set(key.ptr, key.length, 0, 0, 0, 0, 0, 0), seen != 0 ? recordVersion(seen) : 0);
  }
  truncateKey(entryKeyLength);
  return mine;
}
