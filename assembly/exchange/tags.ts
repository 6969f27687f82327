// Tags of the response being stored (README "Purge", tagHeaders): their hashes go into the
// record so that a purge by tag finds it. Unless keepTagHeaders, the tag headers are internal to
// the cache: they are stored without them (response.ts asks isStrippedTagHeader) and removed from
// the response the client gets (stripTagHeaders, while the response is buffered).
import { HEADER_KIND_RESPONSE } from "../abi/constants";
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { readHeaderValues, removeHeader } from "../host/http";
import { equalsName } from "../http/bytes";
import { TAG_HASH_SIZE, appendTagHashes } from "../purge/tags";
import { MAX_RECORD_TAGS } from "../store/record";

/** The hashes (u64 each) of the current response's distinct tags. */
export const responseTags = new ByteBuffer(<u32>MAX_RECORD_TAGS * TAG_HASH_SIZE);
export let responseTagCount: u32 = 0;

/** Values of one tag header while it is being read. */
const values = new ByteBuffer(1024);

/** Lowercase names of the tag headers kept out of stored records and client responses. */
let stripped: ArrayBuffer[] = [];

/** Takes the configuration's tag settings (once, at start-up, before any response is read). */
export function configureTags(config: Config): void {
  stripped = config.keepTagHeaders ? [] : config.tagHeaders;
}

/** Whether a response header (lowercase name) is a tag header that is not passed on. */
export function isStrippedTagHeader(name: usize, nameLen: u32): bool {
  for (let i = 0; i < stripped.length; i++) if (equalsName(name, nameLen, unchecked(stripped[i]))) return true;
  return false;
}

/**
 * Collects the tag hashes of the buffered response into responseTags / responseTagCount.
 * Returns false when it has more than MAX_RECORD_TAGS distinct tags: do not store it then (a
 * purge could not honour them all).
 */
export function collectResponseTags(config: Config): bool {
  responseTags.reset();
  responseTagCount = 0;
  for (let i = 0; i < config.tagHeaders.length; i++) {
    const name = unchecked(config.tagHeaders[i]);
    values.reset();
    if (readHeaderValues(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength, values) == 0) continue;
    const count = appendTagHashes(responseTags, responseTagCount, values.ptr, values.length, MAX_RECORD_TAGS);
    if (count < 0) {
      responseTags.reset();
      responseTagCount = 0;
      return false;
    }
    responseTagCount = <u32>count;
  }
  return true;
}

/**
 * Removes the tag headers from the response to the client unless keepTagHeaders. Only while the
 * response is buffered (handle_response after buffer_response): changing an unbuffered
 * response's headers after next traps the guest.
 */
export function stripTagHeaders(config: Config): void {
  if (config.keepTagHeaders) return;
  for (let i = 0; i < config.tagHeaders.length; i++) {
    const name = unchecked(config.tagHeaders[i]);
    removeHeader(HEADER_KIND_RESPONSE, changetype<usize>(name), <u32>name.byteLength);
  }
}
