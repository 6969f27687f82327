// Cache-Status field values (RFC 9211): `name; hit; ttl=N[; detail=D]` or
// `name; fwd=reason[; fwd-status=S][; stored][; detail=D]`. Never `hit` and `fwd` together, and
// never `collapsed`: a guest cannot hold a request to share another's response.
import { ByteBuffer } from "../host/buffer";

export const enum Forward { UriMiss, VaryMiss, Stale, Method, Request, Bypass }

/** Our own reason, in `detail=` (RFC 9211 §2.8). */
export const enum Detail { None, StaleIfError, StaleWhileRevalidate, MaxStale, OnlyIfCached }

function forwardReason(reason: Forward): string {
  switch (reason) {
    case Forward.UriMiss: return "uri-miss";
    case Forward.VaryMiss: return "vary-miss";
    case Forward.Stale: return "stale";
    case Forward.Method: return "method";
    case Forward.Bypass: return "bypass";
    default: return "request";
  }
}

function detailText(detail: Detail): string {
  switch (detail) {
    case Detail.StaleIfError: return "stale-if-error";
    case Detail.StaleWhileRevalidate: return "stale-while-revalidate";
    case Detail.MaxStale: return "max-stale";
    case Detail.OnlyIfCached: return "only-if-cached";
    default: return "";
  }
}

function appendDetail(into: ByteBuffer, detail: Detail): void {
  if (detail == Detail.None) return;
  into.appendString("; detail=");
  into.appendString(detailText(detail));
}

export function appendHit(into: ByteBuffer, cacheName: ArrayBuffer, ttlSeconds: i64, detail: Detail = Detail.None): void {
  into.appendBytes(changetype<usize>(cacheName), <u32>cacheName.byteLength);
  into.appendString("; hit; ttl=");
  if (ttlSeconds < 0) {
    into.appendByte(0x2d);
    into.appendDecimal(<u64>(-ttlSeconds));
  } else {
    into.appendDecimal(<u64>ttlSeconds);
  }
  appendDetail(into, detail);
}

/**
 * `forwardStatus`: the backend's status when the client gets another one (a 304 answered with the
 * stored 200); 0 otherwise, since an absent fwd-status means the final status (RFC 9211 §2.3).
 */
export function appendForward(
  into: ByteBuffer, cacheName: ArrayBuffer, reason: Forward, forwardStatus: u32, stored: bool, detail: Detail = Detail.None,
): void {
  into.appendBytes(changetype<usize>(cacheName), <u32>cacheName.byteLength);
  into.appendString("; fwd=");
  into.appendString(forwardReason(reason));
  if (forwardStatus != 0) {
    into.appendString("; fwd-status=");
    into.appendDecimal(forwardStatus);
  }
  if (stored) into.appendString("; stored");
  appendDetail(into, detail);
}

/** Neither a hit nor forwarded (only-if-cached with nothing usable stored: 504). */
export function appendNeither(into: ByteBuffer, cacheName: ArrayBuffer, detail: Detail): void {
  into.appendBytes(changetype<usize>(cacheName), <u32>cacheName.byteLength);
  appendDetail(into, detail);
}
