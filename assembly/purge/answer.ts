// The purge API's answers: JSON, never cached downstream (Cache-Control: no-store), written
// as every answer of ours is: headers, then status, then body (set_status_code commits headers).
import { BODY_KIND_RESPONSE, HEADER_KIND_RESPONSE } from "../abi/constants";
import { setHeader, setStatusCode, writeBody } from "../host/http";
import { CONTENT_TYPE_FIELD } from "../http/names";

export const STATUS_OK: u32 = 200;
export const STATUS_BAD_REQUEST: u32 = 400;
export const STATUS_UNAUTHORIZED: u32 = 401;
export const STATUS_METHOD_NOT_ALLOWED: u32 = 405;
export const STATUS_PAYLOAD_TOO_LARGE: u32 = 413;
export const STATUS_SERVICE_UNAVAILABLE: u32 = 503;

export const UNAUTHORIZED_MESSAGE = "purge token missing or wrong";

// Field names in Go's canonical form: the host then copies nothing.
const CACHE_CONTROL_FIELD = String.UTF8.encode("Cache-Control");
const WWW_AUTHENTICATE_FIELD = String.UTF8.encode("Www-Authenticate");
const ALLOW_FIELD = String.UTF8.encode("Allow");
const APPLICATION_JSON = String.UTF8.encode("application/json");
const NO_STORE = String.UTF8.encode("no-store");
const BEARER_CHALLENGE = String.UTF8.encode("Bearer");
const POST_ONLY = String.UTF8.encode("POST");

function set(name: ArrayBuffer, value: ArrayBuffer): void {
  setHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength,
    changetype<usize>(value), <u32>value.byteLength);
}

/** A string as a JSON string literal (quotes, backslashes and control characters escaped). */
export function jsonString(s: string): string {
  let out = "\"";
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(runStart, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    runStart = i + 1;
  }
  return out + s.substring(runStart) + "\"";
}

/** Writes a JSON answer; a HEAD request gets the headers only (a body there makes the host panic). */
function answer(status: u32, json: string, isHead: bool): void {
  set(CONTENT_TYPE_FIELD, APPLICATION_JSON);
  set(CACHE_CONTROL_FIELD, NO_STORE);
  setStatusCode(status);
  if (isHead) return;
  const body = String.UTF8.encode(json);
  writeBody(BODY_KIND_RESPONSE, changetype<usize>(body), <u32>body.byteLength);
}

export function purgedBody(count: u32): string {
  return "{\"purged\":" + count.toString() + "}";
}

export function errorBody(message: string): string {
  return "{\"error\":" + jsonString(message) + "}";
}

export function answerPurged(count: u32): void {
  answer(STATUS_OK, purgedBody(count), false);
}

/** 400 (or 413) with a message naming what is wrong. */
export function answerError(status: u32, message: string): void {
  answer(status, errorBody(message), false);
}

export function answerUnauthorized(): void {
  set(WWW_AUTHENTICATE_FIELD, BEARER_CHALLENGE);
  answer(STATUS_UNAUTHORIZED, errorBody(UNAUTHORIZED_MESSAGE), false);
}

export function answerMethodNotAllowed(isHead: bool): void {
  set(ALLOW_FIELD, POST_ONLY);
  answer(STATUS_METHOD_NOT_ALLOWED, errorBody("the purge endpoint accepts POST only"), isHead);
}
