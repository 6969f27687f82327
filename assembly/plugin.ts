// The two phases of a request (see README "How caching decisions are made"):
//   handle_request  read the request, find the stored response (through its Vary marker), decide
//                   with policy/reuse: answer it (fresh, stale allowed, or stale while another
//                   request refreshes), or forward (conditionally when it can be validated);
//   handle_response for a buffered forward: a 304 freshens the entry and answers from it, a
//                   backend failure is answered from it when stale-if-error allows, anything
//                   else may be stored; after a write (streamed), what it changed is invalidated.
// A request is pinned to one instance from handle_request to the end of handle_response, so the
// state between the two phases lives in module globals.
import { Config, parseConfig } from "./config";
import { ByteBuffer } from "./host/buffer";
import { nowMillis } from "./host/clock";
import { enableResponseBuffering, isFirstInstance, readConfig, statusCode } from "./host/http";
import { mountedDirectories } from "./host/fs";
import { getEnv } from "./host/environ";
import { logDebug, logError, logEnabled, logWarn, setLogLevel } from "./host/log";
import { answerIfPurge } from "./purge/api";
import { collectResponseTags, configureTags, responseTagCount, responseTags, stripTagHeaders } from "./exchange/tags";
import { LOG_LEVEL_DEBUG } from "./abi/constants";
import { Detail, Forward } from "./http/cache_status";
import { INVALID_DATE } from "./http/date";
import { CONTENT_LENGTH } from "./http/names";
import {
  STATUS_BYPASS, STATUS_EXPIRED, STATUS_HIT, STATUS_MISS, STATUS_REVALIDATED, STATUS_STALE, STATUS_UPDATING,
} from "./http/names";
import {
  STATUS_NOT_MODIFIED, removeResponseHeader, removeResponseHeaders, restoreSetCookies, saveSetCookies, writeAge,
  writeConfigurationError, writeForwardStatus, writeGatewayTimeout, writeHitStatus, writeNeitherStatus, writeStatusAndBody,
  writeStoredHeaders,
} from "./exchange/answer";
import {
  acceptsEventStream, baseKeyLength, key, keyHash, keyUrlLength, readRequestDetails, readRequestMethod, truncateKey,
  useVariantKey,
} from "./exchange/request";
import {
  body, dropFields, readLinesFacts, readResponseBody, readResponseHead, storedHeaders, varyNames,
} from "./exchange/response";
import { describeMarker, describeResponse, readStoredFacts } from "./cache/entry";
import { invalidateAfterWrite } from "./cache/invalidate";
import { claimRefresh } from "./cache/lease";
import { keepStaleCopy, staleCopy } from "./cache/stale_copy";
import {
  addValidators, clientValidatorMatches, freshen, freshenedHeaders, headResponseDiffers, keepHeaders, notModifiedSelects,
  removeClientConditionals,
} from "./cache/revalidate";
import { findVariant, isVaryMarker, recordVariant } from "./cache/variants";
import { Method, RequestFacts, ResponseFacts } from "./policy/facts";
import {
  MS_PER_SECOND, NO_EXPLICIT_FRESHNESS, correctedInitialAge, explicitLifetime, freshnessLifetime,
} from "./policy/freshness";
import { RequestDecision, decideRequest } from "./policy/request";
import { Reuse, isBackendFailure, measured, reuseOf, staleIfErrorAllows } from "./policy/reuse";
import {
  NotStorable, checkStorable, describeNotStorable, hasStorableFreshness, isLastingReason,
} from "./policy/storable";
import { MemoryStore } from "./store/memory";
import { SharedStore, sharedStoreError } from "./store/shared";
import {
  EntryMeta, RECORD_FLAG_AUTHORIZED_OK, RECORD_FLAG_LEASE, RECORD_FLAG_PASS, RECORD_FLAG_VARY, RecordParts, recordBody,
  recordBodyLength, recordFlags, recordFreshnessLifetime, recordHeaders, recordHeadersLength, recordStatus, recordStoredAt,
  recordTagCount, recordTags,
} from "./store/record";
import { Store } from "./store/store";

const CALL_NEXT: u64 = 1;
const ANSWERED: u64 = 0;
/** How long a URL whose response could not be stored streams without buffering (hit-for-pass). */
const PASS_MARKER_TTL_MS: i64 = 30_000;

// --- start-up (runs once per instance, from _start) ---

function readConfigText(): string {
  const raw = new ByteBuffer(1024);
  readConfig(raw);
  const text = String.UTF8.decodeUnsafe(raw.ptr, raw.length);
  heap.free(raw.ptr);
  return text;
}

/** The 500 body every request gets when the configuration is invalid (null when it is valid). */
function refusal(error: string): ArrayBuffer | null {
  if (error.length == 0) return null;
  const message = "invalid configuration: " + error;
  logError(message);
  return String.UTF8.encode("httpcache: " + message + "\n");
}

/** The file a shared store keeps in its directory: one per cacheName. */
const SHARED_FILE_SUFFIX = ".cache";

/** The memory store, or the shared store with a memory front; "" or why it cannot be used. */
let storeError = "";
function openStore(config: Config): Store {
  if (config.sharedPath.length == 0) return new MemoryStore(<u32>config.memoryLimit, <u32>config.maxObjectSize);
  // The configuration keeps maxObjectSize within a quarter of the front, as for the memory store.
  const front = new MemoryStore(<u32>config.memoryLimit, <u32>config.maxObjectSize);
  const shared = SharedStore.open(config.sharedPath, config.cacheName + SHARED_FILE_SUFFIX, <u64>config.sharedLimit,
    <u64>config.maxObjectSize, front);
  if (shared === null) {
    storeError = sharedStoreError;
    return front;
  }
  return shared;
}

const parsed = parseConfig(readConfigText(), getEnv, mountedDirectories());
// A half-read configuration is never used: with an error every request is refused, and the
// defaults below only give the (never filled) store a sane shape.
const config: Config = parsed.error.length == 0 ? parsed.config : new Config();
setLogLevel(config.logLevel);
if (isFirstInstance()) {
  for (let i = 0; i < parsed.warnings.length; i++) logWarn(parsed.warnings[i]);
  if (config.memoryOnlyNotice.length > 0) logWarn(config.memoryOnlyNotice);
}
configureTags(config);
const cacheName = String.UTF8.encode(config.cacheName);
const store: Store = openStore(config);
const configError = refusal(parsed.error.length > 0 ? parsed.error : storeError);

// --- state carried from handle_request to handle_response ---

const request = new RequestFacts();
const response = new ResponseFacts();
/** The facts of a stored response freshened by a 304. */
const freshened = new ResponseFacts();
const meta = new EntryMeta();
const parts = new RecordParts();

const enum Pending {
  /** Nothing to do in handle_response (the response streams). */
  None,
  /** A GET or HEAD whose answer may be stored, validates a stored one, or may fall back on it. */
  Response,
  /** An unsafe method, streamed: its answer invalidates (§4.4). */
  Invalidation,
}
let pending = Pending.None;
let pendingStatus: ArrayBuffer = STATUS_MISS;
let pendingReason: Forward = Forward.UriMiss;
let requestTime: i64 = 0;
/** The key length of the stale entry being validated (0: none), kept in cache/stale_copy. */
let staleKeyLength: u32 = 0;
/** The forwarded request carries the stored response's validators (not the client's own). */
let askedWithOurs = false;
/** The client's conditionals were kept from the backend on a miss: the cache answers them. */
let answerConditional = false;

/** Forwards without buffering: our headers go on first and the backend's response streams. */
function forwardUntouched(status: ArrayBuffer, reason: Forward): u64 {
  if (config.statusHeaders) writeForwardStatus(status, cacheName, reason, 0, false);
  return CALL_NEXT;
}

/** Forwards with response buffering, for handle_response to act on the answer. */
function forwardBuffered(kind: Pending, status: ArrayBuffer, reason: Forward, now: i64): u64 {
  pending = kind;
  pendingStatus = status;
  pendingReason = reason;
  requestTime = now;
  enableResponseBuffering();
  return CALL_NEXT;
}

export function handleRequest(): u64 {
  pending = Pending.None;
  staleKeyLength = 0;
  askedWithOurs = false;
  answerConditional = false;
  if (configError !== null) {
    writeConfigurationError(configError!);
    return ANSWERED;
  }
  if (answerIfPurge(config, store)) return ANSWERED;
  readRequestMethod(request);
  if (request.method == Method.Other) return forwardUntouched(STATUS_BYPASS, Forward.Method);
  readRequestDetails(request, config);
  const now = nowMillis();
  if (request.method == Method.Unsafe) {
    // Streamed (answers to POST are often streams): handle_response invalidates after it, on
    // the URL and on the Location it names. An unkeyable URL was never stored either.
    if (request.keyable) pending = Pending.Invalidation;
    return forwardUntouched(STATUS_BYPASS, Forward.Method);
  }
  const decision = decideRequest(request, config);
  if (decision == RequestDecision.BypassMethod) return forwardUntouched(STATUS_BYPASS, Forward.Method);
  if (decision == RequestDecision.BypassConfig) return forwardUntouched(STATUS_BYPASS, Forward.Bypass);
  if (decision == RequestDecision.BypassRequest) return forwardUntouched(STATUS_BYPASS, Forward.Bypass);

  let record = store.find(keyHash, key.ptr, key.length, keyUrlLength);
  let reason = Forward.UriMiss;
  if (record != 0 && isVaryMarker(record)) {
    record = findVariant(store, record);
    if (record == 0) reason = Forward.VaryMiss;
  }
  if (record != 0 && (recordFlags(record) & RECORD_FLAG_PASS) != 0) {
    // The last response could not be stored: stream this one rather than buffer it.
    if (now - recordStoredAt(record) < recordFreshnessLifetime(record) && !request.cacheControl.onlyIfCached) {
      return forwardUntouched(STATUS_MISS, reason);
    }
    record = 0;
  }
  if (!isResponseRecord(record)) return forwardMiss(reason, now);
  if (request.hasAuthorization && (recordFlags(record) & RECORD_FLAG_AUTHORIZED_OK) == 0) {
    // §3.5: this stored response may not answer a request with Authorization.
    if (request.cacheControl.onlyIfCached) return answerGatewayTimeout();
    return forwardFetch(STATUS_BYPASS, Forward.Request, now);
  }
  const stored = readStoredFacts(record);
  const reuse = reuseOf(stored, request, config, now);
  if (reuse == Reuse.Fresh) return answerFromStore(record, STATUS_HIT, Detail.None);
  if (reuse == Reuse.Stale) return answerFromStore(record, STATUS_STALE, Detail.MaxStale);
  if (reuse == Reuse.StaleWhileRevalidate) {
    const onlyIfCached = request.cacheControl.onlyIfCached;
    if (onlyIfCached) return answerFromStore(record, STATUS_UPDATING, Detail.StaleWhileRevalidate);
    // A HEAD stores nothing: it would hold the lease without refreshing.
    // Nor does an event stream (it is never buffered).
    const refresh = request.method == Method.Get && !acceptsEventStream() && claimRefresh(store, stored.storedAt, now);
    // The lease's reads and writes may have reused the memory `record` was read into; and
    // another instance may have written anything under the key meanwhile.
    record = store.find(keyHash, key.ptr, key.length, keyUrlLength);
    const authorizedOk = (recordFlags(record) & RECORD_FLAG_AUTHORIZED_OK) != 0;
    if (!isResponseRecord(record) || (request.hasAuthorization && !authorizedOk)) return forwardMiss(reason, now);
    // Refreshed meanwhile (by the request that holds the lease): judged afresh, so that what is
    // answered and what the status headers say are the same response.
    if (recordStoredAt(record) != stored.storedAt && reuseOf(readStoredFacts(record), request, config, now) == Reuse.Fresh) {
      return answerFromStore(record, STATUS_HIT, Detail.None);
    }
    // Another request (in any instance) refreshes it: this one gets it stale meanwhile.
    if (!refresh) return answerFromStore(record, STATUS_UPDATING, Detail.StaleWhileRevalidate);
  } else if (request.cacheControl.onlyIfCached) {
    return answerGatewayTimeout();
  }
  if (acceptsEventStream()) return forwardUntouched(STATUS_BYPASS, Forward.Bypass);
  // Validate: with the stored validators unless the client sent its own (passed through as is).
  // The entry is copied: the store may reuse or evict its memory before the answer comes.
  keepStaleCopy(record);
  staleKeyLength = key.length;
  if (!request.isConditional) askedWithOurs = addValidators(record);
  // The client wants it validated (no-cache, max-age, min-fresh): its request's doing.
  if (measured.byRequest) return forwardBuffered(Pending.Response, STATUS_BYPASS, Forward.Request, now);
  return forwardBuffered(Pending.Response, STATUS_EXPIRED, Forward.Stale, now);
}

/** Nothing usable stored. */
function forwardMiss(reason: Forward, now: i64): u64 {
  if (request.cacheControl.onlyIfCached) return answerGatewayTimeout();
  if (request.noCache) return forwardFetch(STATUS_BYPASS, Forward.Request, now);
  return forwardFetch(STATUS_MISS, reason, now);
}

/** Forwards to fetch a response to store; a HEAD's has no body to store, so it streams. */
function forwardFetch(status: ArrayBuffer, reason: Forward, now: i64): u64 {
  if (request.method == Method.Head) return forwardUntouched(status, reason);
  // An event stream buffered to be stored would reach the client only when it ends.
  if (acceptsEventStream()) return forwardUntouched(STATUS_BYPASS, Forward.Bypass);
  // Only when the answer may be stored: with Authorization or no-store it is likely not.
  if (request.isConditional && !request.hasAuthorization && !request.cacheControl.noStore) {
    removeClientConditionals();
    answerConditional = true;
  }
  return forwardBuffered(Pending.Response, status, reason, now);
}

/** only-if-cached (§5.2.1.7) and nothing the client accepts is stored. */
function answerGatewayTimeout(): u64 {
  if (config.statusHeaders) writeNeitherStatus(STATUS_MISS, cacheName, Detail.OnlyIfCached);
  writeGatewayTimeout();
  return ANSWERED;
}

/** Answers from the record `reuseOf` measured: whole, or a 304 when the client's conditional matches. */
function answerFromStore(record: usize, status: ArrayBuffer, detail: Detail): u64 {
  store.touch(record);
  const lines = recordHeaders(record);
  const linesLen = recordHeadersLength(record);
  const stored = recordStatus(record);
  const notModified = request.isConditional && stored >= 200 && stored < 300 &&
    clientValidatorMatches(lines, linesLen, request);
  writeStoredHeaders(lines, linesLen, notModified);
  writeAge(measured.age / MS_PER_SECOND);
  if (config.statusHeaders) writeHitStatus(status, cacheName, ttlSeconds(measured.remaining), detail);
  writeStatusAndBody(notModified ? STATUS_NOT_MODIFIED : stored, recordBody(record), recordBodyLength(record),
    request.method == Method.Head, false);
  return ANSWERED;
}

/** Whole seconds of freshness left, rounded down: a stale entry shows a negative ttl, at least -1. */
function ttlSeconds(remaining: i64): i64 {
  return remaining > 0 ? remaining / MS_PER_SECOND : -((-remaining + MS_PER_SECOND) / MS_PER_SECOND);
}

// --- handle_response ---

export function handleResponse(reqCtx: u32, isError: u32): void {
  const kind = pending;
  pending = Pending.None;
  if (kind == Pending.None) return;
  if (kind == Pending.Invalidation) {
    // Unbuffered, the status cannot be read: whatever it was, what is stored may be outdated now
    // (§4.4 asks it after a non-error answer; removing entries after an error costs a miss).
    invalidateAfterWrite(store, config);
    return;
  }
  const status = isError != 0 ? 0 : statusCode();
  const now = nowMillis();
  if (staleKeyLength > 0) {
    const copy = staleCopy();
    if ((status == 0 || isBackendFailure(status)) && answerStaleOnError(copy, now)) return;
    if (status == STATUS_NOT_MODIFIED && answerFreshened(copy, now)) return;
    if (request.method == Method.Head && status == 200) forgetIfHeadDiffers(copy);
  }
  const stored = status != 0 && request.method == Method.Get && storeResponse(now);
  if (status != 0) stripTagHeaders(config);
  // The client's own conditional, kept from the backend, against what the backend sent.
  const notModified = answerConditional && status >= 200 && status < 300 &&
    clientValidatorMatches(storedHeaders.ptr, storedHeaders.length, request, true);
  if (notModified) answerNotModified();
  if (config.statusHeaders) {
    writeForwardStatus(pendingStatus, cacheName, pendingReason, notModified ? <u32>status : 0, stored);
  }
}

/** Turns the buffered response into a 304 for the client's conditional (RFC 9110 §15.4.5). */
function answerNotModified(): void {
  removeResponseHeader(CONTENT_LENGTH);
  writeStatusAndBody(STATUS_NOT_MODIFIED, 0, 0, true, true);
}

/** Whether the stale entry handle_request copied is still the one stored (not purged, replaced or evicted). */
function stillStored(copy: usize): bool {
  truncateKey(staleKeyLength);
  const record = store.find(keyHash, key.ptr, key.length, keyUrlLength);
  return isResponseRecord(record) && recordStoredAt(record) == recordStoredAt(copy);
}

/** A stored response, not a marker (Vary, pass) or a lease. */
function isResponseRecord(record: usize): bool {
  return record != 0 && (recordFlags(record) & (RECORD_FLAG_PASS | RECORD_FLAG_LEASE | RECORD_FLAG_VARY)) == 0 &&
    recordStatus(record) >= 200 && recordStatus(record) <= 599;
}

/** stale-if-error (RFC 5861 §4): the backend failed; answer with the stored response instead. */
function answerStaleOnError(record: usize, now: i64): bool {
  if (!stillStored(record) || !staleIfErrorAllows(readStoredFacts(record), request, config, now)) return false;
  removeResponseHeaders();
  writeStoredHeaders(recordHeaders(record), recordHeadersLength(record), false);
  writeAge(measured.age / MS_PER_SECOND);
  if (config.statusHeaders) {
    writeHitStatus(STATUS_STALE, cacheName, ttlSeconds(measured.remaining), Detail.StaleIfError);
  }
  writeStatusAndBody(recordStatus(record), recordBody(record), recordBodyLength(record), request.method == Method.Head,
    true);
  return true;
}

/**
 * A 304 for the stale entry (§4.3.3, §4.3.4), `copy` as handle_request found it. When the 304 is
 * about it, its headers freshen the stored ones and it is stored again with its body. A client
 * that did not ask conditionally gets the stored response (never a 304 it cannot use); one that
 * did gets the 304. False: pass the 304 on as it is.
 */
function answerFreshened(copy: usize, now: i64): bool {
  const selects = notModifiedSelects(copy, askedWithOurs);
  if (!selects && !askedWithOurs) return false;
  readResponseHead(response, now, config);
  if (selects) freshen(copy, storedHeaders.ptr, storedHeaders.length);
  else keepHeaders(copy);
  readLinesFacts(freshenedHeaders.ptr, freshenedHeaders.length, freshened, now, config);
  freshened.status = recordStatus(copy);
  freshened.age = response.age;
  // Without a Date of its own the 304 is as old as its receipt, not as the stored Date.
  if (response.date == INVALID_DATE) freshened.date = INVALID_DATE;
  // Fields a qualified private / no-cache keeps out of the store stay out, whoever sends them.
  const dropped = freshened.cacheControl.droppedFields;
  if (dropped.length > 0) dropFields(freshenedHeaders, dropped);
  let stored = false;
  if (selects && stillStored(copy) && (!response.hasSetCookie || config.stripSetCookie)) {
    const lifetime = freshnessLifetime(freshened, now, config);
    const explicit = explicitLifetime(freshened, now) != NO_EXPLICIT_FRESHNESS;
    if (checkStorable(request, freshened, config) == NotStorable.No && hasStorableFreshness(freshened, explicit, lifetime)) {
      describeResponse(meta, freshened, now, correctedInitialAge(freshened, requestTime, now), lifetime);
      stored = store.put(meta, parts.set(key.ptr, key.length, recordTags(copy), recordTagCount(copy),
        freshenedHeaders.ptr, freshenedHeaders.length, recordBody(copy), recordBodyLength(copy)));
    }
  }
  if (askedWithOurs) {
    // The stored response with the freshened headers (which hold the 304's), replacing the 304's
    // whole: the host may have put empty fields of its own on it (Traefik's Content-Type), which
    // must not hide the stored ones. Its cookies are the client's, never stored.
    saveSetCookies();
    removeResponseHeaders();
    writeStoredHeaders(freshenedHeaders.ptr, freshenedHeaders.length, false);
    restoreSetCookies();
    writeAge(correctedInitialAge(freshened, requestTime, now) / MS_PER_SECOND);
    writeStatusAndBody(freshened.status, recordBody(copy), recordBodyLength(copy), request.method == Method.Head, true);
  }
  // fwd-status only when the client gets another status than the backend's (RFC 9211 §2.3).
  if (config.statusHeaders) {
    writeForwardStatus(STATUS_REVALIDATED, cacheName, pendingReason, askedWithOurs ? STATUS_NOT_MODIFIED : 0, stored);
  }
  return true;
}

/** §4.3.5: a 200 to a HEAD whose validators or length differ from the stored GET's: that is outdated. */
function forgetIfHeadDiffers(copy: usize): void {
  if (headResponseDiffers(copy) && stillStored(copy)) store.remove(keyHash, key.ptr, key.length, keyUrlLength);
}

/** Stores the buffered response if it may be; returns whether it did. */
function storeResponse(responseTime: i64): bool {
  readResponseHead(response, responseTime, config);
  let reason = checkStorable(request, response, config);
  let lifetime: i64 = 0;
  if (reason == NotStorable.No) {
    lifetime = freshnessLifetime(response, responseTime, config);
    // Without freshness left a response is still worth keeping when it can be validated (§4.3).
    const explicit = explicitLifetime(response, responseTime) != NO_EXPLICIT_FRESHNESS;
    if (!hasStorableFreshness(response, explicit, lifetime)) reason = NotStorable.NoFreshness;
  }
  if (reason == NotStorable.No && !readResponseBody(config)) reason = NotStorable.TooLarge;
  if (reason == NotStorable.No && !collectResponseTags(config)) reason = NotStorable.TooManyTags;
  // A Content-Length that disagrees with the body would make every hit fail.
  if (reason == NotStorable.No && response.contentLength >= 0 && response.contentLength != <i64>body.length) {
    reason = NotStorable.TooLarge;
  }
  if (reason != NotStorable.No) {
    if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("not stored: " + describeNotStorable(reason));
    // The request's own headers (Authorization, no-store, conditionals) say nothing about the
    // next requests; and an error answer never replaces a stored response with a pass marker.
    const ownDoing = request.hasAuthorization || request.cacheControl.noStore || request.isConditional;
    if (isLastingReason(reason, response.status) && !ownDoing && !(staleKeyLength > 0 && response.status >= 400)) {
      rememberToStream(responseTime);
    }
    return false;
  }
  // Responses that vary are stored under their variant key, named by the URL's marker.
  if (response.varyCount > 0) useVariantKey(varyNames.ptr, varyNames.length);
  else truncateKey(baseKeyLength);
  describeResponse(meta, response, responseTime, correctedInitialAge(response, requestTime, responseTime), lifetime);
  const stored = store.put(meta, parts.set(key.ptr, key.length, responseTags.ptr, responseTagCount,
    storedHeaders.ptr, storedHeaders.length, body.ptr, body.length));
  if (stored && response.varyCount > 0) recordVariant(store, varyNames.ptr, varyNames.length, responseTime);
  return stored;
}

/**
 * Leaves a pass marker under the key (replacing any stored response, which is outdated now): the
 * variant's when the URL varies, so that the other variants stay in use.
 */
function rememberToStream(now: i64): void {
  if (key.length == baseKeyLength && response.varyCount > 0) useVariantKey(varyNames.ptr, varyNames.length);
  const lifetime = config.maxTtlMs < PASS_MARKER_TTL_MS ? config.maxTtlMs : PASS_MARKER_TTL_MS;
  describeMarker(meta, RECORD_FLAG_PASS, now, lifetime, now);
  store.put(meta, parts.set(key.ptr, key.length, 0, 0, 0, 0, 0, 0));
}
