// What the policy needs to know about a request and a response, parsed from their headers.
// Filled by exchange/ (which talks to the host); read by policy/ (which knows RFC 9111).
import { CacheControl } from "../http/cache_control";
import { INVALID_DATE } from "../http/date";

export const enum Method { Get, Head, Other }

@final
export class RequestFacts {
  method: Method = Method.Other;
  cacheControl: CacheControl = new CacheControl();
  pragmaNoCache: bool = false;
  hasAuthorization: bool = false;
  hasRange: bool = false;
  /** False when the URI cannot be keyed (too many query parameters). */
  keyable: bool = true;

  reset(): void {
    this.method = Method.Other;
    this.cacheControl.reset();
    this.pragmaNoCache = false;
    this.hasAuthorization = false;
    this.hasRange = false;
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
  hasSetCookie: bool = false;
  hasVary: bool = false;
  /** Bytes; -1 when absent or invalid. */
  contentLength: i64 = -1;

  reset(): void {
    this.status = 0;
    this.cacheControl.reset();
    this.hasExpires = false;
    this.expires = INVALID_DATE;
    this.date = INVALID_DATE;
    this.age = -1;
    this.hasSetCookie = false;
    this.hasVary = false;
    this.contentLength = -1;
  }
}
