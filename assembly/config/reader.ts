// Reading configuration values: each read checks the value's type and shape and, when it is
// wrong, records an error naming the key and the value. Shared by every section of config.ts.
import { JsonKind, JsonValue } from "./json";
import { isTokenChar } from "../http/bytes";
import { parseDuration, parseSize } from "./units";

/** Thrown-free error collection: the first error wins. */
export class Reader {
  error: string = "";

  fail(key: string, expected: string, value: JsonValue): void {
    if (this.error.length == 0) this.error = "key \"" + key + "\": expected " + expected + " (got " + value.describe() + ")";
  }

  /** For one member of a list: names the member rather than "a list". */
  failItem(key: string, expected: string, item: string): void {
    if (this.error.length == 0) this.error = "key \"" + key + "\": expected " + expected + " (got \"" + item + "\")";
  }

  failMessage(message: string): void {
    if (this.error.length == 0) this.error = message;
  }

  scalar(v: JsonValue): string | null {
    if (v.kind == JsonKind.String || v.kind == JsonKind.Number || v.kind == JsonKind.Bool) return v.text;
    return null;
  }

  boolean(key: string, v: JsonValue): bool {
    const s = this.scalar(v);
    if (s !== null) {
      const t = s.trim().toLowerCase();
      if (t == "true") return true;
      if (t == "false") return false;
    }
    this.fail(key, "true or false", v);
    return false;
  }

  duration(key: string, v: JsonValue): i64 {
    const s = this.scalar(v);
    const ms = s !== null && v.kind != JsonKind.Bool ? parseDuration(s) : -1;
    if (ms < 0) this.fail(key, "a duration such as 300, \"30s\" or \"5m\"", v);
    return ms;
  }

  size(key: string, v: JsonValue): i64 {
    const s = this.scalar(v);
    const bytes = s !== null && v.kind != JsonKind.Bool ? parseSize(s) : -1;
    if (bytes < 0) this.fail(key, "a size such as 1048576, \"512Ki\" or \"64Mi\"", v);
    return bytes;
  }

  string(key: string, v: JsonValue): string {
    if (v.kind == JsonKind.String) return v.text;
    this.fail(key, "a string", v);
    return "";
  }

  /** A list of strings; a single string is split on commas (some providers flatten lists). */
  /** A list of header names (RFC 9110 tokens), lowercased and encoded as the host reports names. */
  headerNames(key: string, v: JsonValue): ArrayBuffer[] {
    const names = this.list(key, v);
    const out: ArrayBuffer[] = [];
    for (let i = 0; i < names.length; i++) {
      if (!isToken(names[i])) {
        this.failItem(key, "header names", names[i]);
        break;
      }
      out.push(String.UTF8.encode(names[i].toLowerCase()));
    }
    return out;
  }

  list(key: string, v: JsonValue): string[] {
    const out: string[] = [];
    if (v.kind == JsonKind.Null) return out;
    if (v.kind == JsonKind.Array) {
      for (let i = 0; i < v.items.length; i++) {
        const s = this.scalar(v.items[i]);
        if (s === null) {
          this.fail(key, "a list of strings", v.items[i]);
          return out;
        }
        out.push(s.trim());
      }
      return out;
    }
    if (v.kind == JsonKind.String || v.kind == JsonKind.Number) {
      const parts = v.text.split(",");
      for (let i = 0; i < parts.length; i++) {
        const s = parts[i].trim();
        if (s.length > 0) out.push(s);
      }
      return out;
    }
    this.fail(key, "a list", v);
    return out;
  }

  object(key: string, v: JsonValue): bool {
    if (v.kind == JsonKind.Object) return true;
    if (v.kind != JsonKind.Null) this.fail(key, "an object", v);
    return false;
  }

  unknown(prefix: string, v: JsonValue, known: string[]): void {
    for (let i = 0; i < v.keys.length; i++) {
      if (!known.includes(v.keys[i])) {
        this.failMessage("unknown key \"" + prefix + v.keys[i] + "\" (known keys: " + known.join(", ") + ")");
        return;
      }
    }
  }
}

/** An RFC 9110 token, such as a header name. */
function isToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(<u32>s.charCodeAt(i))) return false;
  return true;
}
