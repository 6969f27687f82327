// Cache-Status field values (RFC 9211): `name; hit; ttl=N` or `name; fwd=reason[; stored]`.
import { ByteBuffer } from "../host/buffer";

export const enum Forward { UriMiss, Stale, Method, Request }

function forwardReason(reason: Forward): string {
  switch (reason) {
    case Forward.UriMiss: return "uri-miss";
    case Forward.Stale: return "stale";
    case Forward.Method: return "method";
    default: return "request";
  }
}

export function appendHit(into: ByteBuffer, cacheName: ArrayBuffer, ttlSeconds: i64): void {
  into.appendBytes(changetype<usize>(cacheName), <u32>cacheName.byteLength);
  into.appendString("; hit; ttl=");
  if (ttlSeconds < 0) {
    into.appendByte(0x2d);
    into.appendDecimal(<u64>(-ttlSeconds));
  } else {
    into.appendDecimal(<u64>ttlSeconds);
  }
}

export function appendForward(into: ByteBuffer, cacheName: ArrayBuffer, reason: Forward, stored: bool): void {
  into.appendBytes(changetype<usize>(cacheName), <u32>cacheName.byteLength);
  into.appendString("; fwd=");
  into.appendString(forwardReason(reason));
  if (stored) into.appendString("; stored");
}
