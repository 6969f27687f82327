// Invalidation after a write (RFC 9111 §4.4): the answer to an unsafe method removes what is stored
// for its target URI, and for the URIs its Location and Content-Location name when they are on the
// same host. Whatever its status: the answer streams (so does an event stream answered to a POST),
// and an unbuffered status cannot be read; an entry removed after a failed write costs one miss.
// Through the store's purge, so every variant (and a refresh lease) goes, and with the shared
// store every instance sees it.
import { HEADER_KIND_RESPONSE } from "../abi/constants";
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { readHeaderValues } from "../host/http";
import { QUESTION, nextNul } from "../http/bytes";
import { KEY_SEPARATOR } from "../http/cache_key";
import { CONTENT_LOCATION, LOCATION } from "../http/names";
import { key, keyUrlLength } from "../exchange/request";
import { Reference, resolveReference } from "../http/reference";
import { TargetBuilder } from "../purge/target";
import { PurgeRequest } from "../store/purge";
import { Store } from "../store/store";

const values = new ByteBuffer(512);
const resolved = new ByteBuffer(512);
const targets = new TargetBuilder();
const SLASH: u8 = 0x2f;
const HTTP_SCHEME = String.UTF8.encode("http:");

/** Removes the stored responses for the request's URL and the same-host URLs the response names. */
export function invalidateAfterWrite(store: Store, config: Config): void {
  // The request's URL first, before any further host call that could fail.
  const own = new PurgeRequest();
  const url = new ArrayBuffer(<i32>keyUrlLength);
  memory.copy(changetype<usize>(url), key.ptr, keyUrlLength);
  own.urls.push(url);
  store.purge(own);
  // Then each URL the answer names as soon as it is read: a later failing call loses no more.
  invalidateNamed(store, LOCATION, config);
  invalidateNamed(store, CONTENT_LOCATION, config);
}

function invalidateNamed(store: Store, field: ArrayBuffer, config: Config): void {
  const named = new PurgeRequest();
  addLocation(named, field, config);
  if (named.urls.length > 0) store.purge(named);
}

/** The length of the key's host part (before its first "\n"). */
function hostLength(): u32 {
  let i: u32 = 0;
  while (i < keyUrlLength && load<u8>(key.ptr + i) != KEY_SEPARATOR) i++;
  return i;
}

function addLocation(request: PurgeRequest, field: ArrayBuffer, config: Config): void {
  values.reset();
  if (readHeaderValues(HEADER_KIND_RESPONSE, changetype<usize>(field), <u32>field.byteLength, values) == 0) return;
  const len = nextNul(values.ptr, 0, values.length);
  const hostLen = hostLength();
  const host = new ArrayBuffer(<i32>hostLen);
  memory.copy(changetype<usize>(host), key.ptr, hostLen);
  // The request's path: after the host and its separator, up to the query.
  const path = key.ptr + hostLen + 1;
  let pathLen: u32 = 0;
  while (pathLen < keyUrlLength - hostLen - 1 && load<u8>(path + pathLen) != QUESTION) pathLen++;
  resolved.reset();
  const kind = resolveReference(path, pathLen, values.ptr, len, resolved);
  if (kind == Reference.None) return;
  if (kind == Reference.Absolute) {
    resolved.reset();
    // A network-path reference ("//host/x") keeps the request's scheme, which the key leaves out.
    if (load<u8>(values.ptr) == SLASH) resolved.appendBytes(changetype<usize>(HTTP_SCHEME), <u32>HTTP_SCHEME.byteLength);
    resolved.appendBytes(values.ptr, len);
  }
  const text = new ArrayBuffer(<i32>resolved.length);
  memory.copy(changetype<usize>(text), resolved.ptr, resolved.length);
  const target = targets.urlOf(text, host, config);
  if (target === null) return; // not a URL we could have stored
  // Same origin only (§4.4): another host's entries are not this response's to invalidate.
  const t = changetype<usize>(target);
  if (<u32>target.byteLength <= hostLen || load<u8>(t + hostLen) != KEY_SEPARATOR ||
    memory.compare(t, key.ptr, hostLen) != 0) return;
  request.urls.push(target);
}
