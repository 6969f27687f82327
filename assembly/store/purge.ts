// What a purge asks to remove. Filled by the purge API (assembly/purge/), applied by a store.
// URLs and prefixes are in the cache key's own form, so that they compare with stored keys
// byte for byte: the lowercased host, "\n", then the path and query as the key normalises them.
import { recordHasTag, recordKey, recordUrlLength } from "./record";

@final
export class PurgeRequest {
  /** Everything this cache holds. */
  all: bool = false;
  /** Exact URLs: host + "\n" + normalised path and query. Removes every variant. */
  urls: ArrayBuffer[] = [];
  /** host + "\n" + the start of path and query. */
  prefixes: ArrayBuffer[] = [];
  /** xxHash64 of each tag's bytes (see tagHash). */
  tags: u64[] = [];

  get isEmpty(): bool {
    return !this.all && this.urls.length == 0 && this.prefixes.length == 0 && this.tags.length == 0;
  }
}

function urlEquals(r: usize, url: ArrayBuffer): bool {
  const len = <u32>url.byteLength;
  return recordUrlLength(r) == len && memory.compare(recordKey(r), changetype<usize>(url), len) == 0;
}

function urlStartsWith(r: usize, prefix: ArrayBuffer): bool {
  const len = <u32>prefix.byteLength;
  return recordUrlLength(r) >= len && memory.compare(recordKey(r), changetype<usize>(prefix), len) == 0;
}

/**
 * Whether a purge removes the record. Reads only the record's head (header, key, tags), which
 * is all the shared store reads when it scans.
 */
export function matchesPurge(r: usize, request: PurgeRequest): bool {
  if (request.all) return true;
  for (let i = 0; i < request.urls.length; i++) if (urlEquals(r, unchecked(request.urls[i]))) return true;
  for (let i = 0; i < request.prefixes.length; i++) if (urlStartsWith(r, unchecked(request.prefixes[i]))) return true;
  for (let i = 0; i < request.tags.length; i++) if (recordHasTag(r, unchecked(request.tags[i]))) return true;
  return false;
}
