// What to do with a request before looking at the store (RFC 9111 §4, §5.2.1).
import { Config } from "../config";
import { Method, RequestFacts } from "./facts";

export const enum RequestDecision {
  /** Look the key up; answer from the store when a usable entry is there. */
  Lookup,
  /** Skip the store, go to the backend, and store the answer if it is storable (no-cache). */
  Refresh,
  /** Not a method we cache: pass through untouched. */
  BypassMethod,
  /** The request's own semantics forbid the cache (no-store, Range, unkeyable URI). */
  BypassRequest,
}

export function decideRequest(request: RequestFacts, config: Config): RequestDecision {
  const method = request.method;
  if (method == Method.Other) return RequestDecision.BypassMethod;
  if (method == Method.Get && !config.cacheGet) return RequestDecision.BypassMethod;
  if (method == Method.Head && !config.cacheHead) return RequestDecision.BypassMethod;
  const cc = request.cacheControl;
  if (cc.noStore || request.hasRange || !request.keyable) return RequestDecision.BypassRequest;
  // Pragma: no-cache counts only without Cache-Control (§5.4).
  if (cc.noCache || (request.pragmaNoCache && !cc.present)) return RequestDecision.Refresh;
  return RequestDecision.Lookup;
}
