// Records as the policy sees them: what a stored one says about its response (for reuse
// decisions), and what a new one says (filled from the response's facts, or for a marker).
import { keyHash, keyUrlLength } from "../exchange/request";
import { ResponseFacts, StoredFacts } from "../policy/facts";
import { allowsAuthorizedReuse } from "../policy/storable";
import {
  EntryMeta, RECORD_FLAG_AUTHORIZED_OK, RECORD_FLAG_IMMUTABLE, RECORD_FLAG_NO_CACHE, RECORD_FLAG_NO_STALE, recordFlags,
  recordFreshnessLifetime, recordInitialAge, recordResponseTime, recordStaleIfError, recordStaleWhileRevalidate,
  recordStoredAt,
} from "../store/record";

export const storedFacts = new StoredFacts();

/** Fills `storedFacts` from a record. */
export function readStoredFacts(record: usize): StoredFacts {
  const facts = storedFacts;
  const flags = recordFlags(record);
  facts.storedAt = recordStoredAt(record);
  facts.responseTime = recordResponseTime(record);
  facts.initialAge = recordInitialAge(record);
  facts.freshnessLifetime = recordFreshnessLifetime(record);
  facts.noCache = (flags & RECORD_FLAG_NO_CACHE) != 0;
  facts.noStale = (flags & RECORD_FLAG_NO_STALE) != 0;
  facts.immutable = (flags & RECORD_FLAG_IMMUTABLE) != 0;
  facts.staleWhileRevalidate = <i64>recordStaleWhileRevalidate(record);
  facts.staleIfError = <i64>recordStaleIfError(record);
  return facts;
}

/** The record flags that carry the response's directives to later reuse decisions. */
function flagsOf(facts: ResponseFacts): u16 {
  const cc = facts.cacheControl;
  let flags: u16 = 0;
  if (allowsAuthorizedReuse(facts)) flags |= RECORD_FLAG_AUTHORIZED_OK;
  if (cc.noCache) flags |= RECORD_FLAG_NO_CACHE;
  if (cc.forbidsStale) flags |= RECORD_FLAG_NO_STALE;
  if (cc.immutable) flags |= RECORD_FLAG_IMMUTABLE;
  return flags;
}

@inline function windowSeconds(seconds: i64): u32 {
  return seconds <= 0 ? 0 : seconds > <i64>U32.MAX_VALUE ? U32.MAX_VALUE : <u32>seconds;
}

/** Fills `meta` for a response stored under the current key, received at `receivedAt`. */
export function describeResponse(meta: EntryMeta, facts: ResponseFacts, receivedAt: i64, initialAge: i64, lifetime: i64): void {
  meta.keyHash = keyHash;
  meta.status = facts.status;
  meta.flags = flagsOf(facts);
  meta.storedAt = receivedAt;
  meta.responseTime = receivedAt;
  meta.initialAge = initialAge;
  meta.freshnessLifetime = lifetime;
  meta.urlLength = keyUrlLength;
  meta.version = 0;
  meta.staleWhileRevalidate = windowSeconds(facts.cacheControl.staleWhileRevalidate);
  meta.staleIfError = windowSeconds(facts.cacheControl.staleIfError);
}

/**
 * Fills `meta` for a record under the current key that is not a response (a pass marker, a Vary
 * marker, a refresh lease: `flags`), written at `now`, living `lifetime` ms. `about`: the time of
 * the response it refers to (kept as its responseTime).
 */
export function describeMarker(meta: EntryMeta, flags: u16, now: i64, lifetime: i64, about: i64): void {
  meta.keyHash = keyHash;
  meta.status = 0;
  meta.flags = flags;
  meta.storedAt = now;
  meta.responseTime = about;
  meta.initialAge = 0;
  meta.freshnessLifetime = lifetime;
  meta.urlLength = keyUrlLength;
  meta.version = 0;
  meta.staleWhileRevalidate = 0;
  meta.staleIfError = 0;
}
