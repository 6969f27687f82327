// Whether a response may be stored (RFC 9111 §3, §3.5) and reused for a request.
import { Config } from "../config";
import { ABSENT } from "../http/cache_control";
import { VARY_ANY } from "../http/vary";
import { isHeuristicallyCacheable } from "./freshness";
import { RequestFacts, ResponseFacts } from "./facts";

export const enum NotStorable {
  No = 0, // i.e. storable
  Status,
  Excluded,
  NoStore,
  Private,
  NoCache,
  SetCookie,
  Vary,
  Authorization,
  NoFreshness,
  TooLarge,
  TooManyTags,
}

export function describeNotStorable(reason: NotStorable): string {
  switch (reason) {
    case NotStorable.No: return "storable";
    case NotStorable.Status: return "status not storable";
    case NotStorable.Excluded: return "status in excludedResponseCodes";
    case NotStorable.NoStore: return "no-store";
    case NotStorable.Private: return "private";
    case NotStorable.NoCache: return "no-cache without a validator (every use would fetch it again)";
    case NotStorable.SetCookie: return "Set-Cookie";
    case NotStorable.Vary: return "Vary: * (or more varied headers than a key holds)";
    case NotStorable.Authorization: return "request had Authorization and the response is not public";
    case NotStorable.NoFreshness: return "no freshness lifetime";
    case NotStorable.TooLarge: return "larger than maxObjectSize";
    case NotStorable.TooManyTags: return "more tags than a purge could honour";
  }
  return "unknown";
}

/**
 * Whether the reason lies in how the backend serves this URL (its headers or size), so the next
 * responses will likely be the same: worth remembering to stream them. Statuses (often a passing
 * error, and any 5xx whatever it says) and the request's own headers are not.
 */
export function isLastingReason(reason: NotStorable, status: u32): bool {
  if (status >= 500) return false;
  // Without freshness, a status that could not have had any (412, 429, 401...) is about this
  // request, not the URL.
  if (reason == NotStorable.NoFreshness && !isHeuristicallyCacheable(status)) return false;
  switch (reason) {
    case NotStorable.NoStore: case NotStorable.Private: case NotStorable.NoCache:
    case NotStorable.SetCookie: case NotStorable.Vary: case NotStorable.NoFreshness: case NotStorable.TooLarge:
    case NotStorable.TooManyTags:
      return true;
  }
  return false;
}

/** Statuses whose caching semantics this cache implements (for must-understand). */
function isUnderstoodStatus(status: u32): bool {
  switch (status) {
    case 200: case 203: case 204: case 300: case 301: case 302: case 303: case 307: case 308:
    case 404: case 405: case 410: case 414: case 451: case 501:
      return true;
  }
  return false;
}

/**
 * §3: a response is worth storing with explicit freshness (even none left), `public`, or a
 * heuristically cacheable status; then with a lifetime, or a validator to revalidate it with.
 */
export function hasStorableFreshness(response: ResponseFacts, explicit: bool, lifetime: i64): bool {
  if (!explicit && !response.cacheControl.isPublic && !isHeuristicallyCacheable(response.status)) return false;
  return lifetime > 0 || response.hasValidator;
}

/** §3.5: a response to a request with Authorization may be shared only with these directives. */
export function allowsAuthorizedReuse(response: ResponseFacts): bool {
  const cc = response.cacheControl;
  return cc.isPublic || cc.sMaxAge != ABSENT || cc.mustRevalidate;
}

/** Everything but the lifetime and the body size, which the caller checks. */
export function checkStorable(request: RequestFacts, response: ResponseFacts, config: Config): NotStorable {
  const status = response.status;
  // Final statuses only; 206 needs range support; 304 answers a conditional the client sent.
  if (status < 200 || status > 599 || status == 206 || status == 304) return NotStorable.Status;
  if (config.isExcluded(status)) return NotStorable.Excluded;
  const cc = response.cacheControl;
  if (cc.mustUnderstand) {
    // §5.2.2.3: a status whose caching rules we know is stored despite no-store; any other is not.
    if (!isUnderstoodStatus(status)) return NotStorable.Status;
  } else if (cc.noStore) {
    return NotStorable.NoStore;
  }
  if (request.cacheControl.noStore) return NotStorable.NoStore;
  // A shared cache must not store private responses; private="F" only keeps F out (§5.2.2.7).
  if (cc.isPrivate) return NotStorable.Private;
  // no-cache is stored and validated before every use: pointless without a validator.
  if (cc.noCache && !response.hasValidator) return NotStorable.NoCache;
  if (response.hasSetCookie && !config.stripSetCookie) return NotStorable.SetCookie;
  if (response.varyCount == VARY_ANY) return NotStorable.Vary;
  if (request.hasAuthorization && !allowsAuthorizedReuse(response)) return NotStorable.Authorization;
  if (response.contentLength > config.maxObjectSize) return NotStorable.TooLarge;
  return NotStorable.No;
}
