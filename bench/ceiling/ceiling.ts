// The ceiling for any wasm cache in Traefik: a guest that answers every request itself with a
// fixed 1 KiB body and a few headers, doing no work at all. `npm run bench` builds and runs it.

@external("http_handler", "set_header_value")
declare function set_header_value(kind: u32, name: usize, nameLen: u32, value: usize, valueLen: u32): void;
@external("http_handler", "set_status_code")
declare function set_status_code(code: u32): void;
@external("http_handler", "write_body")
declare function write_body(kind: u32, body: usize, bodyLen: u32): void;

const RESPONSE = 1;
const BODY_SIZE = 1024;
const body = memory.data(BODY_SIZE, 16);
const contentType = String.UTF8.encode("content-type");
const octetStream = String.UTF8.encode("application/octet-stream");
const xCacheStatus = String.UTF8.encode("x-cache-status");
const hit = String.UTF8.encode("HIT");

export function handle_request(): u64 {
  set_header_value(RESPONSE, changetype<usize>(contentType), contentType.byteLength,
    changetype<usize>(octetStream), octetStream.byteLength);
  set_header_value(RESPONSE, changetype<usize>(xCacheStatus), xCacheStatus.byteLength,
    changetype<usize>(hit), hit.byteLength);
  set_status_code(200);
  write_body(RESPONSE, body, BODY_SIZE);
  return 0;
}

export function handle_response(reqCtx: u32, isError: u32): void {}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}
