// A small JSON parser for the plugin configuration (RFC 8259). It builds a tree of values;
// errors carry the byte offset. Numbers keep their text so that sizes and durations can be
// validated by the same code whether they arrived as numbers or as strings.

export const enum JsonKind { Null, Bool, Number, String, Array, Object }

const MAX_DEPTH = 32;

export class JsonValue {
  kind: JsonKind;
  text: string = ""; // Bool: "true"/"false", Number: its literal, String: the decoded value
  items: JsonValue[] = [];
  keys: string[] = [];

  constructor(kind: JsonKind) {
    this.kind = kind;
  }

  /** The value of a key; with duplicates the last one wins, as in most JSON parsers. */
  get(key: string): JsonValue | null {
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** The value as the user would write it, for error messages. */
  describe(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.String: return "\"" + this.text + "\"";
      case JsonKind.Array: return "a list";
      case JsonKind.Object: return "an object";
      default: return this.text;
    }
  }
}

export class JsonResult {
  value: JsonValue | null = null;
  error: string = "";
}

function boolValue(text: string): JsonValue {
  const v = new JsonValue(JsonKind.Bool);
  v.text = text;
  return v;
}

class Parser {
  text: string;
  pos: i32 = 0;
  error: string = "";

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + " at offset " + this.pos.toString();
    return null;
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nested too deeply");
    this.skipWhitespace();
    if (this.pos >= this.text.length) return this.fail("unexpected end");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JsonValue(JsonKind.String);
      v.text = s;
      return v;
    }
    if (this.literal("true")) return boolValue("true");
    if (this.literal("false")) return boolValue("false");
    if (this.literal("null")) return new JsonValue(JsonKind.Null);
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character");
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.text.charCodeAt(this.pos) == 0x2d) this.pos++;
    let digits = 0;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) {
        this.pos++;
        digits++;
      } else break;
    }
    if (digits == 0) return this.fail("invalid number");
    const v = new JsonValue(JsonKind.Number);
    v.text = this.text.substring(start, this.pos);
    return v;
  }

  /**
   * A string's value. Without escapes, one substring; with them, the code units are gathered in
   * one buffer and decoded once (appending per escape made long escaped strings quadratic).
   */
  string(): string | null {
    this.pos++; // opening quote
    const start = this.pos;
    const n = this.text.length;
    let i = start;
    while (i < n) {
      const c = this.text.charCodeAt(i);
      if (c == 0x22) {
        this.pos = i + 1;
        return this.text.substring(start, i);
      }
      if (c == 0x5c) break;
      if (c < 0x20) return this.failString("control character in string");
      i++;
    }
    const units = new StaticArray<u16>(n - start); // a string's value is never longer than its source
    let count = 0;
    for (let j = start; j < i; j++) unchecked(units[count++] = <u16>this.text.charCodeAt(j));
    while (i < n) {
      let c = this.text.charCodeAt(i++);
      if (c == 0x22) {
        this.pos = i;
        return String.UTF16.decodeUnsafe(changetype<usize>(units), <usize>count << 1);
      }
      if (c < 0x20) return this.failString("control character in string");
      if (c == 0x5c) {
        if (i >= n) break;
        const e = this.text.charCodeAt(i++);
        if (e == 0x6e) c = 0x0a;
        else if (e == 0x74) c = 0x09;
        else if (e == 0x72) c = 0x0d;
        else if (e == 0x62) c = 0x08;
        else if (e == 0x66) c = 0x0c;
        else if (e == 0x22 || e == 0x5c || e == 0x2f) c = e;
        else if (e == 0x75) {
          c = i + 4 <= n ? hex4(this.text, i) : -1;
          if (c < 0) return this.failString("invalid \\u escape (four hex digits expected)");
          i += 4;
        } else return this.failString("invalid escape \\" + String.fromCharCode(e));
      }
      unchecked(units[count++] = <u16>c);
    }
    return this.failString("unterminated string");
  }

  private failString(message: string): string | null {
    this.fail(message);
    return null;
  }

  array(depth: i32): JsonValue | null {
    this.pos++;
    const v = new JsonValue(JsonKind.Array);
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated list");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
  }

  object(depth: i32): JsonValue | null {
    this.pos++;
    const v = new JsonValue(JsonKind.Object);
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    while (true) {
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.fail("expected a key");
      const key = this.string();
      if (key === null) return null;
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
  }
}

export function parseJson(text: string): JsonResult {
  const parser = new Parser(text);
  const result = new JsonResult();
  const value = parser.value(0);
  if (value !== null) {
    parser.skipWhitespace();
    if (parser.pos < text.length) parser.fail("unexpected text after the value");
  }
  if (parser.error.length > 0) result.error = parser.error;
  else result.value = value;
  return result;
}

/** The value of four hex digits at `at`, or -1. */
function hex4(text: string, at: i32): i32 {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = text.charCodeAt(at + k);
    let d: i32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}
