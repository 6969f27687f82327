// The two phases of a request (see README "How caching decisions are made"):
//   handle_request  read the request, decide, answer from the store or forward;
//   handle_response for a forward that may be stored: read the response, store it, add headers.
// A request is pinned to one instance from handle_request to the end of handle_response, so the
// state between the two phases lives in module globals.
import { Config, parseConfig } from "./config";
import { ByteBuffer } from "./host/buffer";
import { nowMillis } from "./host/clock";
import { enableResponseBuffering, readConfig } from "./host/http";
import { getEnv } from "./host/environ";
import { logDebug, logError, logEnabled, logWarn, setLogLevel } from "./host/log";
import { answerIfPurge } from "./purge/api";
import { collectResponseTags, configureTags, responseTagCount, responseTags, stripTagHeaders } from "./exchange/tags";
import { LOG_LEVEL_DEBUG } from "./abi/constants";
import { Forward } from "./http/cache_status";
import { STATUS_BYPASS, STATUS_EXPIRED, STATUS_MISS } from "./http/names";
import { writeConfigurationError, writeStatusHeaders, writeStoredResponse } from "./exchange/answer";
import { key, keyHash, keyUrlLength, readRequestDetails, readRequestMethod } from "./exchange/request";
import { body, readResponseBody, readResponseHead, storedHeaders } from "./exchange/response";
import { Method, RequestFacts, ResponseFacts } from "./policy/facts";
import {
  MS_PER_SECOND, correctedInitialAge, currentAge, freshnessLifetime, remainingFreshness,
} from "./policy/freshness";
import { RequestDecision, decideRequest } from "./policy/request";
import {
  NotStorable, allowsAuthorizedReuse, checkStorable, describeNotStorable, isLastingReason,
} from "./policy/storable";
import { MemoryStore } from "./store/memory";
import { SharedStore, sharedStoreError } from "./store/shared";
import {
  EntryMeta, RECORD_FLAG_AUTHORIZED_OK, RECORD_FLAG_PASS, RecordParts, recordFlags, recordFreshnessLifetime, recordInitialAge,
  recordResponseTime, recordStoredAt,
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

const parsed = parseConfig(readConfigText(), getEnv);
// A half-read configuration is never used: with an error every request is refused, and the
// defaults below only give the (never filled) store a sane shape.
const config: Config = parsed.error.length == 0 ? parsed.config : new Config();
setLogLevel(config.logLevel);
for (let i = 0; i < parsed.warnings.length; i++) logWarn(parsed.warnings[i]);
configureTags(config);
const cacheName = String.UTF8.encode(config.cacheName);
const store: Store = openStore(config);
const configError = refusal(parsed.error.length > 0 ? parsed.error : storeError);

// --- state carried from handle_request to handle_response ---

const request = new RequestFacts();
const response = new ResponseFacts();
const meta = new EntryMeta();
const parts = new RecordParts();
/** Set when handle_request forwarded with response buffering, so handle_response must act. */
let pendingStore = false;
let pendingStatus: ArrayBuffer = STATUS_MISS;
let pendingReason: Forward = Forward.UriMiss;
let requestTime: i64 = 0;

/** Forwards without buffering: our headers go on first and the backend's response streams. */
function forwardUntouched(status: ArrayBuffer, reason: Forward): u64 {
  if (config.statusHeaders) writeStatusHeaders(status, cacheName, reason, false);
  return CALL_NEXT;
}

/** Forwards with response buffering; handle_response stores the answer if it may. */
function forwardForStore(status: ArrayBuffer, reason: Forward, now: i64): u64 {
  pendingStore = true;
  pendingStatus = status;
  pendingReason = reason;
  requestTime = now;
  enableResponseBuffering();
  return CALL_NEXT;
}

export function handleRequest(): u64 {
  pendingStore = false;
  if (configError !== null) {
    writeConfigurationError(configError!);
    return ANSWERED;
  }
  if (answerIfPurge(config, store)) return ANSWERED;
  readRequestMethod(request);
  if (request.method == Method.Other) return forwardUntouched(STATUS_BYPASS, Forward.Method);
  readRequestDetails(request, config);
  const decision = decideRequest(request, config);
  if (decision == RequestDecision.BypassMethod) return forwardUntouched(STATUS_BYPASS, Forward.Method);
  if (decision == RequestDecision.BypassRequest) return forwardUntouched(STATUS_BYPASS, Forward.Request);

  const now = nowMillis();
  const isHead = request.method == Method.Head;
  if (decision == RequestDecision.Refresh) {
    return isHead ? forwardUntouched(STATUS_BYPASS, Forward.Request) : forwardForStore(STATUS_BYPASS, Forward.Request, now);
  }

  const record = store.find(keyHash, key.ptr, key.length, keyUrlLength);
  let status = STATUS_MISS;
  let reason = Forward.UriMiss;
  if (record != 0 && (recordFlags(record) & RECORD_FLAG_PASS) != 0) {
    // The last response could not be stored: stream this one rather than buffer it.
    if (now - recordStoredAt(record) < recordFreshnessLifetime(record)) return forwardUntouched(status, reason);
  } else if (record != 0) {
    if (request.hasAuthorization && (recordFlags(record) & RECORD_FLAG_AUTHORIZED_OK) == 0) {
      // §3.5: this stored response may not answer a request with Authorization.
      status = STATUS_BYPASS;
      reason = Forward.Request;
    } else {
      const initialAge = recordInitialAge(record);
      const responseTime = recordResponseTime(record);
      const remaining = remainingFreshness(recordFreshnessLifetime(record), initialAge, responseTime,
        recordStoredAt(record), now, config);
      if (remaining > 0) {
        store.touch(record);
        writeStoredResponse(record, isHead, currentAge(initialAge, responseTime, now) / MS_PER_SECOND,
          remaining / MS_PER_SECOND, config.statusHeaders, cacheName);
        return ANSWERED;
      }
      status = STATUS_EXPIRED;
      reason = Forward.Stale;
    }
  }
  // A HEAD response has no body to store: forward it as is.
  if (isHead) return forwardUntouched(status, reason);
  return forwardForStore(status, reason, now);
}

/** Stores the buffered response if it may be; returns whether it did. */
function storeResponse(): bool {
  const responseTime = nowMillis();
  readResponseHead(response, responseTime);
  let reason = checkStorable(request, response, config);
  let lifetime: i64 = 0;
  if (reason == NotStorable.No) {
    lifetime = freshnessLifetime(response, responseTime, config);
    if (lifetime <= 0) reason = NotStorable.NoFreshness;
  }
  if (reason == NotStorable.No && !readResponseBody(config)) reason = NotStorable.TooLarge;
  if (reason == NotStorable.No && !collectResponseTags(config)) reason = NotStorable.TooManyTags;
  // A Content-Length that disagrees with the body would make every hit fail.
  if (reason == NotStorable.No && response.contentLength >= 0 && response.contentLength != <i64>body.length) {
    reason = NotStorable.TooLarge;
  }
  if (reason != NotStorable.No) {
    if (logEnabled(LOG_LEVEL_DEBUG)) logDebug("not stored: " + describeNotStorable(reason));
    if (isLastingReason(reason, response.status) && !request.hasAuthorization) rememberToStream(responseTime);
    return false;
  }
  describeEntry(response.status, allowsAuthorizedReuse(response) ? RECORD_FLAG_AUTHORIZED_OK : 0, responseTime,
    correctedInitialAge(response, requestTime, responseTime), lifetime);
  return store.put(meta, parts.set(key.ptr, key.length, responseTags.ptr, responseTagCount,
    storedHeaders.ptr, storedHeaders.length, body.ptr, body.length));
}

/** Leaves a pass marker under the key (replacing any stored response, which is outdated now). */
function rememberToStream(now: i64): void {
  describeEntry(0, RECORD_FLAG_PASS, now, 0, config.maxTtlMs < PASS_MARKER_TTL_MS ? config.maxTtlMs : PASS_MARKER_TTL_MS);
  store.put(meta, parts.set(key.ptr, key.length, 0, 0, 0, 0, 0, 0));
}

/** Fills `meta` for a record stored under the current key, received at `receivedAt`. */
function describeEntry(status: u32, flags: u16, receivedAt: i64, initialAge: i64, freshnessLifetime: i64): void {
  meta.keyHash = keyHash;
  meta.status = status;
  meta.flags = flags;
  meta.storedAt = receivedAt;
  meta.responseTime = receivedAt;
  meta.initialAge = initialAge;
  meta.freshnessLifetime = freshnessLifetime;
  meta.urlLength = keyUrlLength;
  meta.version = 0;
}

export function handleResponse(reqCtx: u32, isError: u32): void {
  if (!pendingStore) return;
  pendingStore = false;
  const stored = isError == 0 && storeResponse();
  if (isError == 0) stripTagHeaders(config);
  if (config.statusHeaders) writeStatusHeaders(pendingStatus, cacheName, pendingReason, stored);
}
