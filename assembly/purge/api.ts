// The purge API (README "Purge"): `PURGE <url>` and `POST {purge.path}` with a JSON body, both
// behind the purge token. Answered here, never forwarded and never cached. Off unless a token is
// configured: then PURGE is an unknown method and purge.path an ordinary path.
import { BODY_KIND_REQUEST, HEADER_KIND_REQUEST, LOG_LEVEL_DEBUG } from "../abi/constants";
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { readBody, readHeaderValues, readMethod, readUri, removeHeader } from "../host/http";
import { logDebug, logEnabled, logError } from "../host/log";
import { QUESTION, bytesEqual, equalsName, nextNul, trimmed } from "../http/bytes";
import { AUTHORIZATION, HOST } from "../http/names";
import { PurgeRequest } from "../store/purge";
import { Store } from "../store/store";
import {
  STATUS_BAD_REQUEST, STATUS_PAYLOAD_TOO_LARGE, STATUS_SERVICE_UNAVAILABLE, answerError, answerMethodNotAllowed, answerPurged, answerUnauthorized,
} from "./answer";
import { parsePurgeBody } from "./body";
import { TargetBuilder } from "./target";
import { bearerCredentials, tokenMatches } from "./token";

const PURGE_METHOD = String.UTF8.encode("PURGE");
const POST_METHOD = String.UTF8.encode("POST");
const HEAD_METHOD = String.UTF8.encode("HEAD");
const X_PURGE_TOKEN = String.UTF8.encode("x-purge-token");
/** A purge body is a list of URLs, prefixes and tags: a megabyte is far more than any needs. */
export const MAX_PURGE_BODY: u32 = 1 << 20;

/** Method, URI and header values of the current request; positions are offsets (it may move). */
const scratch = new ByteBuffer(512);
let methodLength: u32 = 0;
let uriStart: u32 = 0;
let uriLength: u32 = 0;

/**
 * Answers the request if it is a purge request; returns whether it did (handle_request then
 * returns 0 and does not call next). With purge off this costs nothing; on, three host calls
 * per request (method, URI, and removing X-Purge-Token from what goes to the backend).
 */
export function answerIfPurge(config: Config, store: Store): bool {
  if (!config.purgeEnabled) return false;
  scratch.reset();
  methodLength = readMethod(scratch);
  uriStart = scratch.length;
  uriLength = readUri(scratch);
  const isPurgeMethod = equalsName(scratch.ptr, methodLength, PURGE_METHOD);
  if (!isPurgeMethod && !isPurgePath(config.purgePath)) {
    // The purge token is ours: it never travels on to the backend (which may be a third party).
    removeHeader(HEADER_KIND_REQUEST, changetype<usize>(X_PURGE_TOKEN), <u32>X_PURGE_TOKEN.byteLength);
    return false;
  }
  if (!isPurgeMethod && !equalsName(scratch.ptr, methodLength, POST_METHOD)) {
    answerMethodNotAllowed(equalsName(scratch.ptr, methodLength, HEAD_METHOD));
    return true;
  }
  if (!authenticated(config.purgeToken)) {
    if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("purge refused: token missing or wrong");
    answerUnauthorized();
    return true;
  }
  const host = requestHost();
  let request: PurgeRequest;
  if (isPurgeMethod) {
    const uri = new ArrayBuffer(<i32>uriLength);
    memory.copy(changetype<usize>(uri), scratch.ptr + uriStart, uriLength);
    const builder = new TargetBuilder();
    const url = builder.urlOf(uri, host, config);
    if (url === null) {
      answerError(STATUS_BAD_REQUEST, "the URL to purge " + builder.error);
      return true;
    }
    request = new PurgeRequest();
    request.urls.push(url);
  } else {
    const body = new ByteBuffer(4096);
    const bodyLength = readBody(BODY_KIND_REQUEST, body, MAX_PURGE_BODY);
    const text = bodyLength < 0 ? "" : String.UTF8.decodeUnsafe(body.ptr, body.length);
    heap.free(body.ptr);
    if (bodyLength < 0) {
      answerError(STATUS_PAYLOAD_TOO_LARGE, "the body is larger than " + (MAX_PURGE_BODY >> 10).toString() + " KiB");
      return true;
    }
    const parsed = parsePurgeBody(text, host, config);
    if (parsed.error.length != 0) {
      answerError(STATUS_BAD_REQUEST, parsed.error);
      return true;
    }
    request = parsed.request;
  }
  const purged = store.purge(request);
  if (purged < 0) {
    logError("purge failed: the shared store's file could not be read or written");
    answerError(STATUS_SERVICE_UNAVAILABLE, "the cache's store could not be read or written; nothing or part was purged, try again");
    return true;
  }
  if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("purge removed " + purged.toString() + " entries");
  answerPurged(<u32>purged);
  return true;
}

/** Whether the URI's path (the query does not count) is purge.path. */
function isPurgePath(path: ArrayBuffer): bool {
  const uri = scratch.ptr + uriStart;
  let pathLength: u32 = 0;
  while (pathLength < uriLength && load<u8>(uri + pathLength) != QUESTION) pathLength++;
  return bytesEqual(uri, pathLength, changetype<usize>(path), <u32>path.byteLength);
}

/**
 * Reads a request header's first value into scratch: (start << 32 | end), 0 when absent (a
 * present value is never 0: it starts after the method in scratch).
 */
function firstValue(name: ArrayBuffer): u64 {
  const start = scratch.length;
  const count = readHeaderValues(HEADER_KIND_REQUEST, changetype<usize>(name), <u32>name.byteLength, scratch);
  if (count == 0) return 0;
  const ptr = scratch.ptr + start;
  const span = trimmed(ptr, 0, nextNul(ptr, 0, scratch.length - start));
  return ((span >>> 32) + start) << 32 | ((span & 0xffffffff) + start);
}

/** Whether either header carries the token; both are checked, whatever the first gives. */
function authenticated(token: ArrayBuffer): bool {
  let ok = false;
  const authorization = firstValue(AUTHORIZATION);
  if (authorization != 0) {
    const start = <u32>(authorization >>> 32);
    const ptr = scratch.ptr + start;
    const credentials = bearerCredentials(ptr, <u32>authorization - start);
    const s = <u32>(credentials >>> 32);
    if (credentials != 0 && tokenMatches(ptr + s, <u32>credentials - s, token)) ok = true;
  }
  const header = firstValue(X_PURGE_TOKEN);
  if (header != 0) {
    const start = <u32>(header >>> 32);
    if (tokenMatches(scratch.ptr + start, <u32>header - start, token)) ok = true;
  }
  return ok;
}

/** The Host header's first value (the host reports exactly one), as the cache key takes it. */
function requestHost(): ArrayBuffer {
  const span = firstValue(HOST);
  const start = <u32>(span >>> 32);
  const len = <u32>span - start;
  const host = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(host), scratch.ptr + start, len);
  return host;
}
