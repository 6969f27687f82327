// A stored record seen as the policy sees it: the facts that decide whether it may be reused.
import { StoredFacts } from "../policy/facts";
import {
  RECORD_FLAG_IMMUTABLE, RECORD_FLAG_NO_CACHE, RECORD_FLAG_NO_STALE, recordFlags, recordFreshnessLifetime,
  recordInitialAge, recordResponseTime, recordStaleIfError, recordStaleWhileRevalidate, recordStoredAt,
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
