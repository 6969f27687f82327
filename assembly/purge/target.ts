// Turns what a purge names (a URL or a prefix, as a path or an absolute URL) into the cache key's
// own form, so that the stores compare it with stored keys byte for byte:
//   url    lowercased host + "\n" + path and query normalised exactly as the key normalises them
//   prefix lowercased host + "\n" + the start of path and query as given (nothing to sort in a
//          prefix: it matches keys whose path and query start with it)
// The host of a path comes from the purge request's Host header; an absolute URL carries its own.
// Paths are compared as clients send them, percent-encoded.
import { Config } from "../config";
import { ByteBuffer } from "../host/buffer";
import { equalsIgnoreCase } from "../http/bytes";
import { appendHost, appendUri } from "../http/cache_key";

const SLASH: u8 = 0x2f;
const QUESTION_MARK: u8 = 0x3f;
const HASH: u8 = 0x23;
const COLON: u8 = 0x3a;
const AT: u8 = 0x40;
const HTTP = String.UTF8.encode("http://");
const HTTPS = String.UTF8.encode("https://");
/** The key form being built (outside the GC heap: one per instance, reused). */
const keyForm = new ByteBuffer(256);

/** Builds one key form at a time; `error` says what was wrong with the last text ("" = fine). */
export class TargetBuilder {
  private into: ByteBuffer = keyForm;
  error: string = "";

  /** The key form of a URL, or null (see `error`). `host` is the request's Host header value. */
  url(text: string, host: ArrayBuffer, config: Config): ArrayBuffer | null {
    return this.urlOf(String.UTF8.encode(text), host, config);
  }

  /** url() for bytes (the URI of a PURGE request). */
  urlOf(bytes: ArrayBuffer, host: ArrayBuffer, config: Config): ArrayBuffer | null {
    if (!this.start(bytes, host)) return null;
    const rest = this.restStart;
    const restLen = this.restLength;
    if (restLen == 0 || load<u8>(changetype<usize>(bytes) + rest) == QUESTION_MARK) this.into.appendByte(SLASH);
    if (!appendUri(this.into, changetype<usize>(bytes) + rest, restLen, config.ignoreQuery, config.ignoredQueryParams)) {
      this.error = "has too many query parameters to be cached";
      return null;
    }
    return this.take();
  }

  /** The key form of a prefix, or null (see `error`). */
  prefix(text: string, host: ArrayBuffer): ArrayBuffer | null {
    const bytes = String.UTF8.encode(text);
    if (!this.start(bytes, host)) return null;
    this.into.appendBytes(changetype<usize>(bytes) + this.restStart, this.restLength);
    return this.take();
  }

  // Where path and query start in the text, and how long they are (up to any fragment).
  private restStart: u32 = 0;
  private restLength: u32 = 0;

  /** Validates the text, appends the host part and finds path and query. */
  private start(bytes: ArrayBuffer, requestHost: ArrayBuffer): bool {
    this.error = "";
    this.into.reset();
    const p = changetype<usize>(bytes);
    let len = <u32>bytes.byteLength;
    for (let i: u32 = 0; i < len; i++) {
      // A control character never appears in a request line, and "\n" separates the key's parts.
      const c = load<u8>(p + i);
      if (c < 0x20 || c == 0x7f) {
        this.error = "contains a control character";
        return false;
      }
    }
    for (let i: u32 = 0; i < len; i++) {
      if (load<u8>(p + i) == HASH) {
        len = i; // a fragment never reaches the server
        break;
      }
    }
    if (len > 0 && load<u8>(p) == SLASH) {
      appendHost(this.into, changetype<usize>(requestHost), <u32>requestHost.byteLength);
      this.restStart = 0;
      this.restLength = len;
      return true;
    }
    const https = startsWithIgnoreCase(p, len, HTTPS);
    if (!https && !startsWithIgnoreCase(p, len, HTTP)) {
      this.error = "expected a path starting with \"/\" or an http:// or https:// URL";
      return false;
    }
    const hostStart = <u32>(https ? HTTPS : HTTP).byteLength;
    let hostEnd = hostStart;
    while (hostEnd < len) {
      const c = load<u8>(p + hostEnd);
      if (c == SLASH || c == QUESTION_MARK) break;
      if (c == AT) {
        this.error = "has user information, which a cache key never has";
        return false;
      }
      hostEnd++;
    }
    if (hostEnd == hostStart || load<u8>(p + hostStart) == COLON) {
      this.error = "has no host";
      return false;
    }
    // The key's host is the Host header as the client sent it: with a non-default port, and
    // without the default one (clients leave it out), so ":80" / ":443" for the URL's scheme go.
    appendHost(this.into, p + hostStart, hostEnd - hostStart); // drops a default port, as for requests
    this.restStart = hostEnd;
    this.restLength = len - hostEnd;
    return true;
  }

  private take(): ArrayBuffer {
    const out = new ArrayBuffer(<i32>this.into.length);
    memory.copy(changetype<usize>(out), this.into.ptr, this.into.length);
    return out;
  }
}

function startsWithIgnoreCase(p: usize, len: u32, lower: ArrayBuffer): bool {
  const n = <u32>lower.byteLength;
  return len >= n && equalsIgnoreCase(p, n, lower);
}

