// What to do with a request before looking at the store (RFC 9111 §4, §5.2.1).
import { Config } from "../config";
import { Method, RequestFacts } from "./facts";

export const enum RequestDecision {
  /** Look the key up; reuse what is stored if the policy (policy/reuse) allows. */
  Lookup,
  /** Not a method we cache: pass through untouched. */
  BypassMethod,
  /** A method the configuration leaves out (methods). */
  BypassConfig,
  /** The request cannot be answered from the store (Range, unkeyable URI, a stream). */
  BypassRequest,
}

/**
 * Request no-cache, max-age, min-fresh and max-stale are the reuse policy's; no-store still
 * allows a stored answer and only forbids storing this exchange (§5.2.1.5).
 */
export function decideRequest(request: RequestFacts, config: Config): RequestDecision {
  const method = request.method;
  if (method != Method.Get && method != Method.Head) return RequestDecision.BypassMethod;
  if (method == Method.Get && !config.cacheGet) return RequestDecision.BypassConfig;
  if (method == Method.Head && !config.cacheHead) return RequestDecision.BypassConfig;
  if (request.hasRange || !request.keyable || request.streams) return RequestDecision.BypassRequest;
  return RequestDecision.Lookup;
}
