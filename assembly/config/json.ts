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

  string(): string | null {
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c == 0x5c) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= this.text.length) break;
        const e = this.text.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x6e) out += "\n";
        else if (e == 0x74) out += "\t";
        else if (e == 0x72) out += "\r";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x75) {
          if (this.pos + 4 > this.text.length) break;
          const code = I32.parseInt(this.text.substr(this.pos, 4), 16);
          if (isNaN<f64>(<f64>code) || code < 0) { this.fail("invalid \\u escape"); return null; }
          out += String.fromCharCode(code);
          this.pos += 4;
        } else out += String.fromCharCode(e);
        runStart = this.pos;
        continue;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      this.pos++;
    }
    this.fail("unterminated string");
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
