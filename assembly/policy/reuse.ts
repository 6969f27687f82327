// Whether a stored response may answer a request (RFC 9111 §4.2, §4.2.4, §5.2.1; RFC 5861): fresh,
// acceptable stale, stale while one request refreshes it, or to be validated with the backend.
import { Config } from "../config";
import { ABSENT, ANY_STALENESS, CacheControl } from "../http/cache_control";
import { RequestFacts, StoredFacts } from "./facts";
import { MS_PER_SECOND, currentAge, remainingFreshness } from "./freshness";

export const enum Reuse {
  /** Fresh and acceptable to the client: answer it. */
  Fresh,
  /** Stale, and the client said it accepts that much staleness (max-stale): answer it. */
  Stale,
  /** Stale within its stale-while-revalidate window: one request refreshes, the others get it. */
  StaleWhileRevalidate,
  /** Forward, conditionally when it has a validator (§4.3.1). */
  Validate,
}

/** What reuseOf measured, in ms: the entry's current age and its remaining freshness (<= 0: stale). */
@final
export class Measured {
  age: i64 = 0;
  remaining: i64 = 0;
  /** Validate a fresh response because of the request's own directives (no-cache, max-age, min-fresh). */
  byRequest: bool = false;
}

export const measured = new Measured();

function windowMs(seconds: i64, configured: i64): i64 {
  const own = seconds > 0 ? seconds * MS_PER_SECOND : 0;
  return own > configured ? own : configured;
}

/** Whether the request's max-age (§5.2.1.1) rejects an entry of this age. */
function tooOld(cc: CacheControl, stored: StoredFacts, age: i64, fresh: bool): bool {
  if (cc.maxAge == ABSENT) return false;
  // immutable: while fresh, a client's reload (max-age=0) is not a reason to ask the backend.
  if (fresh && stored.immutable) return false;
  return age > cc.maxAge * MS_PER_SECOND;
}

/** Decides for one stored response and the current request; fills `measured`. */
export function reuseOf(stored: StoredFacts, request: RequestFacts, config: Config, now: i64): Reuse {
  const age = currentAge(stored.initialAge, stored.responseTime, now);
  const remaining = remainingFreshness(stored.freshnessLifetime, stored.initialAge, stored.responseTime,
    stored.storedAt, now, config);
  measured.age = age;
  measured.remaining = remaining;
  measured.byRequest = false;
  const cc = request.cacheControl;
  if (stored.noCache) return Reuse.Validate;
  const fresh = remaining > 0;
  if (request.noCache || tooOld(cc, stored, age, fresh) ||
    (fresh && cc.minFresh != ABSENT && remaining < cc.minFresh * MS_PER_SECOND)) {
    measured.byRequest = fresh; // a stale one would have been validated anyway
    return Reuse.Validate;
  }
  if (fresh) return Reuse.Fresh;
  // §4.2.4: never stale when the response forbids it.
  if (stored.noStale) return Reuse.Validate;
  const staleness = -remaining;
  if (cc.maxStale == ANY_STALENESS || (cc.maxStale >= 0 && staleness <= cc.maxStale * MS_PER_SECOND)) return Reuse.Stale;
  const window = windowMs(stored.staleWhileRevalidate, config.maxStaleMs);
  if (window > 0 && staleness <= window) return Reuse.StaleWhileRevalidate;
  return Reuse.Validate;
}

/**
 * stale-if-error (RFC 5861 §4): whether the stored response may answer instead of a backend
 * failure. The window is the response's own, the request's, or the configured one, whichever
 * is longest; never for responses that forbid stale serving.
 */
export function staleIfErrorAllows(stored: StoredFacts, request: RequestFacts, config: Config, now: i64): bool {
  if (stored.noStale) return false;
  const remaining = remainingFreshness(stored.freshnessLifetime, stored.initialAge, stored.responseTime,
    stored.storedAt, now, config);
  measured.age = currentAge(stored.initialAge, stored.responseTime, now);
  measured.remaining = remaining;
  if (remaining > 0) return true;
  let window = windowMs(stored.staleIfError, config.staleIfErrorMs);
  const asked = request.cacheControl.staleIfError;
  if (asked > 0 && asked * MS_PER_SECOND > window) window = asked * MS_PER_SECOND;
  return window > 0 && -remaining <= window;
}

/** Statuses that count as the backend failing (RFC 5861 §4), besides a transport error. */
export function isBackendFailure(status: u32): bool {
  return status == 500 || status == 502 || status == 503 || status == 504;
}
