// What the policy needs to know about a request and a response, parsed from their headers.
// Filled by exchange/ (which talks to the host); read by policy/ (which knows RFC 9111).
import { CacheControl } from "../http/cache_control";
import { INVALID_DATE } from "../http/date";

/**
 * Other: a safe method we do not cache (OPTIONS, TRACE). Unsafe: anything else, known or not
 * (POST, PUT, PATCH, DELETE, ...): a success invalidates what is stored for its URI (§4.4).
 */
export const enum Method { Get, Head, Other, Unsafe }

@final
export class RequestFacts {
  method: Method = Method.Other;
  cacheControl: CacheControl = new CacheControl();
  pragmaNoCache: bool = false;
  hasAuthorization: bool = false;
  hasRange: bool = false;
  /** A WebSocket upgrade: never buffered. */
  streams: bool = false;
  /** False when the URI cannot be keyed (too many query parameters). */
  keyable: bool = true;
  /** The client's own conditionals (RFC 9110 §13.1): passed through, and answered from a fresh entry. */
  hasIfNoneMatch: bool = false;
  hasIfModifiedSince: bool = false;
  /** Seconds since epoch; INVALID_DATE when absent or invalid (then it is ignored). */
  ifModifiedSince: i64 = INVALID_DATE;

  /** Request no-cache (or Pragma: no-cache without Cache-Control, §5.4): validate before any reuse. */
  get noCache(): bool {
    return this.cacheControl.noCache || (this.pragmaNoCache && !this.cacheControl.present);
  }

  get isConditional(): bool {
    return this.hasIfNoneMatch || this.hasIfModifiedSince;
  }

  reset(): void {
    this.method = Method.Other;
    this.hasIfNoneMatch = false;
    this.hasIfModifiedSince = false;
    this.ifModifiedSince = INVALID_DATE;
    this.cacheControl.reset();
    this.pragmaNoCache = false;
    this.hasAuthorization = false;
    this.hasRange = false;
    this.streams = false;
    this.keyable = true;
  }
}

@final
export class ResponseFacts {
  status: u32 = 0;
  cacheControl: CacheControl = new CacheControl();
  hasExpires: bool = false;
  /** Seconds since epoch; INVALID_DATE when invalid (an invalid Expires means already expired). */
  expires: i64 = INVALID_DATE;
  /** Seconds since epoch; INVALID_DATE when absent or invalid. */
  date: i64 = INVALID_DATE;
  /** Seconds; -1 when absent or invalid. */
  age: i64 = -1;
  /** Seconds since epoch; INVALID_DATE when absent or invalid. */
  lastModified: i64 = INVALID_DATE;
  hasETag: bool = false;
  hasSetCookie: bool = false;
  /** Header names the response varies on (VARY_ANY for `*`), see http/vary. */
  varyCount: i32 = 0;
  /** Bytes; -1 when absent or invalid. */
  contentLength: i64 = -1;

  /** Whether a stale copy can be validated instead of fetched again (§4.3.1). */
  get hasValidator(): bool {
    return this.hasETag || this.lastModified != INVALID_DATE;
  }

  reset(): void {
    this.status = 0;
    this.cacheControl.reset();
    this.hasExpires = false;
    this.expires = INVALID_DATE;
    this.date = INVALID_DATE;
    this.age = -1;
    this.lastModified = INVALID_DATE;
    this.hasETag = false;
    this.hasSetCookie = false;
    this.varyCount = 0;
    this.contentLength = -1;
  }
}

/** What a stored record says about its response, for deciding whether it may be reused. */
@final
export class StoredFacts {
  /** ms since epoch when we stored it (maxTtl counts from here). */
  storedAt: i64 = 0;
  /** ms since epoch when its response was received (§4.2.3). */
  responseTime: i64 = 0;
  /** corrected_initial_age in ms. */
  initialAge: i64 = 0;
  freshnessLifetime: i64 = 0;
  /** Response no-cache: validate before every use. */
  noCache: bool = false;
  /** must-revalidate, proxy-revalidate, s-maxage or no-cache: never served stale. */
  noStale: bool = false;
  immutable: bool = false;
  /** Seconds (RFC 5861). */
  staleWhileRevalidate: i64 = 0;
  staleIfError: i64 = 0;
}
