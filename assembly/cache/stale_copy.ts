// The stale entry a request validates, copied whole when the request is forwarded. Between
// handle_request and handle_response the store may reuse the memory a record was read into (the
// shared store reads every record into one buffer), evict it, or another instance may replace or
// purge it; the answer to the validation (a 304, or a failure for stale-if-error) is about the
// response this request saw, so that is the one kept.
import { ByteBuffer } from "../host/buffer";
import { recordSize } from "../store/record";

const copy = new ByteBuffer(16 * 1024);

/** Copies the record (self-contained: its fields are offsets into itself). */
export function keepStaleCopy(record: usize): void {
  copy.reset();
  copy.appendBytes(record, recordSize(record));
}

/** The copied record, valid until the next keepStaleCopy. */
export function staleCopy(): usize {
  return copy.ptr;
}
