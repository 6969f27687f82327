// What a purge asks to remove. Filled by the purge API (assembly/purge/), applied by a store.
// URLs and prefixes are in the cache key's own form, so that they compare with stored keys
// byte for byte: the lowercased host, "\n", then the path and query as the key normalises them.

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
