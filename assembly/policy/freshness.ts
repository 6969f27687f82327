// Freshness lifetime (§4.2.1), age (§4.2.3) and whether a stored response may be used.
import { Config } from "../config";
import { ABSENT } from "../http/cache_control";
import { INVALID_DATE } from "../http/date";
import { ResponseFacts } from "./facts";

export const MS_PER_SECOND: i64 = 1000;

/** No explicit freshness information in the response. */
export const NO_EXPLICIT_FRESHNESS: i64 = -1;

/**
 * Explicit lifetime in ms: s-maxage, else max-age, else Expires - Date (Date missing: the time
 * the response was received). An invalid value of the directive that applies, or an invalid
 * Expires, gives 0 (stale). NO_EXPLICIT_FRESHNESS when there is none.
 */
export function explicitLifetime(response: ResponseFacts, responseTime: i64): i64 {
  const cc = response.cacheControl;
  if (cc.sMaxAgeInvalid) return 0;
  if (cc.sMaxAge != ABSENT) return cc.sMaxAge * MS_PER_SECOND;
  if (cc.maxAgeInvalid) return 0;
  if (cc.maxAge != ABSENT) return cc.maxAge * MS_PER_SECOND;
  if (response.hasExpires) {
    if (response.expires == INVALID_DATE) return 0;
    const dateMs = response.date != INVALID_DATE ? response.date * MS_PER_SECOND : responseTime;
    const lifetime = response.expires * MS_PER_SECOND - dateMs;
    return lifetime > 0 ? lifetime : 0;
  }
  return NO_EXPLICIT_FRESHNESS;
}

/** Statuses that may get a heuristic (here: configured default) lifetime (RFC 9110 §15.1). */
export function isHeuristicallyCacheable(status: u32): bool {
  switch (status) {
    case 200: case 203: case 204: case 206: case 300: case 301: case 308:
    case 404: case 405: case 410: case 414: case 451: case 501:
      return true;
  }
  return false;
}

/** §4.2.2: the usual heuristic, a tenth of the time since the last modification. */
const HEURISTIC_FRACTION: i64 = 10;

/**
 * The lifetime we give the response in ms: explicit, else (for heuristically cacheable statuses or
 * `public`) 10 % of Date - Last-Modified with heuristicFreshness, else `defaultTtl`; else 0.
 * maxTtl caps whatever this gives (remainingFreshness).
 */
export function freshnessLifetime(response: ResponseFacts, responseTime: i64, config: Config): i64 {
  const explicit = explicitLifetime(response, responseTime);
  if (explicit != NO_EXPLICIT_FRESHNESS) return explicit;
  if (!isHeuristicallyCacheable(response.status) && !response.cacheControl.isPublic) return 0;
  if (config.heuristicFreshness && response.lastModified != INVALID_DATE) {
    const dateMs = response.date != INVALID_DATE ? response.date * MS_PER_SECOND : responseTime;
    const since = dateMs - response.lastModified * MS_PER_SECOND;
    if (since > 0) return since / HEURISTIC_FRACTION;
  }
  return config.defaultTtlMs;
}

/**
 * corrected_initial_age (§4.2.3), in ms:
 *   apparent_age = max(0, response_time - date_value)
 *   corrected_age_value = age_value + (response_time - request_time)
 *   corrected_initial_age = max(apparent_age, corrected_age_value)
 */
export function correctedInitialAge(response: ResponseFacts, requestTime: i64, responseTime: i64): i64 {
  let apparentAge: i64 = 0;
  if (response.date != INVALID_DATE) {
    apparentAge = responseTime - response.date * MS_PER_SECOND;
    if (apparentAge < 0) apparentAge = 0;
  }
  const ageValue = response.age >= 0 ? response.age * MS_PER_SECOND : 0;
  let delay = responseTime - requestTime;
  if (delay < 0) delay = 0;
  const correctedAgeValue = ageValue + delay;
  return apparentAge > correctedAgeValue ? apparentAge : correctedAgeValue;
}

/** current_age = corrected_initial_age + resident_time (§4.2.3), in ms. */
export function currentAge(initialAge: i64, responseTime: i64, now: i64): i64 {
  const resident = now - responseTime;
  return initialAge + (resident > 0 ? resident : 0);
}

/**
 * How long the stored response stays fresh, in ms (<= 0: stale): the smaller of what its own
 * headers allow and what `maxTtl` allows since we stored it. maxTtl only ever shortens.
 */
export function remainingFreshness(
  freshnessLifetime: i64, initialAge: i64, responseTime: i64, storedAt: i64, now: i64, config: Config,
): i64 {
  const byHeaders = freshnessLifetime - currentAge(initialAge, responseTime, now);
  const byConfig = config.maxTtlMs - (now - storedAt);
  return byHeaders < byConfig ? byHeaders : byConfig;
}
