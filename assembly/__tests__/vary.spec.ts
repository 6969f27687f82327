import { bytes, len, ptr } from "./helpers";
import { ByteBuffer } from "../host/buffer";
import { nextNul } from "../http/bytes";
import { appendVaryValue, MAX_VARY_NAMES, parseVaryNames, VARY_ANY } from "../http/vary";

/** Parses a Vary value; renders "count:name|name|" (NUL shown as "|"). */
function names(value: string): string {
  const into = new ByteBuffer(4);
  const b = bytes(value);
  const count = parseVaryNames(ptr(b), len(b), into);
  return count.toString() + ":" + show(into);
}

/** Normalises one request header value; "\u0001" absent, "\u0002..." present. */
function valueOf(value: string, present: bool = true): string {
  const into = new ByteBuffer(4);
  const b = bytes(value);
  appendVaryValue(into, ptr(b), len(b), present);
  return String.UTF8.decodeUnsafe(into.ptr, into.length);
}

function show(buf: ByteBuffer): string {
  let s = "";
  for (let i: u32 = 0; i < buf.length; i++) {
    const c = load<u8>(buf.ptr + i);
    s += c == 0 ? "|" : String.fromCharCode(c);
  }
  return s;
}

function manyNames(n: u32, sep: string): string {
  let s = "";
  for (let i: u32 = 0; i < n; i++) s += (i > 0 ? sep : "") + "X-H" + i.toString();
  return s;
}

// [input, expected names()] — count, then the canonical list.
const NAME_CASES: string[][] = [
  ["Accept-Encoding", "1:accept-encoding|"],
  ["ACCEPT-ENCODING", "1:accept-encoding|"],
  ["B, a", "2:a|b|"],
  ["A,b", "2:a|b|"],
  ["b,A,c", "3:a|b|c|"],
  ["Accept, accept, ACCEPT", "1:accept|"],
  ["accept-language, Accept, accept-encoding, accept", "3:accept|accept-encoding|accept-language|"],
  ["  origin  ,\taccept\t", "2:accept|origin|"],
  // Several field lines, NUL-separated (with or without a trailing NUL), combine.
  ["Origin\0Accept-Encoding", "2:accept-encoding|origin|"],
  ["origin\0origin\0", "1:origin|"],
  ["b,a\0a,c\0", "3:a|b|c|"],
  // Names nothing.
  ["", "0:"],
  [",", "0:"],
  [" , ,, ", "0:"],
  ["\0", "0:"],
  ["\0 ,\0", "0:"],
  // `*` anywhere: VARY_ANY, nothing left appended.
  ["*", "-1:"],
  [" * ", "-1:"],
  ["accept, *", "-1:"],
  ["*, accept", "-1:"],
  ["a, *, b", "-1:"],
  ["accept\0*", "-1:"],
  ["accept\0origin, *\0", "-1:"],
  // A member that is not a field name makes the field unparseable: like `*`, never shared
  // (skipping it would share a response that varies on something we cannot see).
  ["accept, a b, origin", "-1:"],
  ["\"accept\", origin", "-1:"],
  ["x-a;q=1, x-b", "-1:"],
  ["Cookie;", "-1:"],
  ["(junk), {x}, a/b, a:b, a=b", "-1:"],
  ["\"a, b\"", "-1:"],
  ["caf\u00e9, ok", "-1:"],
  // `*` inside a token is just a tchar.
  ["x-*, a*b", "2:a*b|x-*|"],
  ["!#$%&'+-.^_`|~09az", "1:!#$%&'+-.^_`|~09az|"],
];

// [input, expected valueOf()] for a present header.
const VALUE_CASES: string[][] = [
  ["gzip", "\u0002gzip"],
  ["", "\u0002"],
  ["   ", "\u0002"],
  [",, ,", "\u0002"],
  ["gzip, br", "\u0002gzip,br"],
  ["gzip,  br", "\u0002gzip,br"],
  ["gzip,br", "\u0002gzip,br"],
  [" \tgzip \t,\t br  ", "\u0002gzip,br"],
  ["gzip\0br", "\u0002gzip,br"],
  ["gzip\0br\0", "\u0002gzip,br"],
  ["gzip,\0,br", "\u0002gzip,br"],
  ["\0\0gzip", "\u0002gzip"],
  // Internal whitespace runs collapse to one SP.
  ["text/html;  q=0.9", "\u0002text/html; q=0.9"],
  ["a \t b", "\u0002a b"],
  ["a\t\tb ,  c   d", "\u0002a b,c d"],
  // Case is kept.
  ["GZip, BR", "\u0002GZip,BR"],
  // Commas inside quoted strings do not split; whitespace inside them is kept.
  ["x=\"a, b\", y", "\u0002x=\"a, b\",y"],
  ["x=\"a,  b\"", "\u0002x=\"a,  b\""],
  ["x=\"a\\\", b\", y", "\u0002x=\"a\\\", b\",y"],
  ["x=\"a\\\\\", y", "\u0002x=\"a\\\\\",y"],
  // A field line ends an unterminated quoted string.
  ["x=\"a, b\0c, d", "\u0002x=\"a, b,c,d"],
  // NUL and LF never survive.
  ["gz\nip", "\u0002gzip"],
  ["\ngzip\n, br", "\u0002gzip,br"],
  ["a\n\0\nb", "\u0002a,b"],
  ["x=\"a\nb\"", "\u0002x=\"ab\""],
];

describe("parseVaryNames", () => {
  it("folds case, dedupes, sorts, combines lines, skips junk (table)", () => {
    for (let i = 0; i < NAME_CASES.length; i++) {
      const c = NAME_CASES[i];
      expect(names(c[0])).toBe(c[1], "Vary: " + c[0]);
    }
  });

  it("gives the same bytes for equivalent fields", () => {
    expect(names("B, a")).toBe(names("A,b"));
    expect(names("Origin\0accept")).toBe(names("ACCEPT, origin, Origin"));
  });

  it("returns VARY_ANY for *", () => {
    const into = new ByteBuffer(8);
    const b = bytes("accept, *");
    expect(parseVaryNames(ptr(b), len(b), into)).toBe(VARY_ANY);
    expect(into.length).toBe(0);
  });

  it("keys on up to MAX_VARY_NAMES distinct names", () => {
    expect(MAX_VARY_NAMES).toBe(16);
    const into = new ByteBuffer(8);
    const b = bytes(manyNames(MAX_VARY_NAMES, ", "));
    expect(parseVaryNames(ptr(b), len(b), into)).toBe(<i32>MAX_VARY_NAMES);
  });

  it("treats more than MAX_VARY_NAMES distinct names like *", () => {
    expect(names(manyNames(MAX_VARY_NAMES + 1, ","))).toBe("-1:");
    expect(names(manyNames(MAX_VARY_NAMES + 1, "\0"))).toBe("-1:");
    expect(names(manyNames(40, ", "))).toBe("-1:");
  });

  it("counts duplicates once towards the limit", () => {
    const list = manyNames(MAX_VARY_NAMES, ",") + "," + manyNames(MAX_VARY_NAMES, ",").toUpperCase();
    const into = new ByteBuffer(8);
    const b = bytes(list);
    expect(parseVaryNames(ptr(b), len(b), into)).toBe(<i32>MAX_VARY_NAMES);
  });

  it("appends after existing content and leaves it alone", () => {
    const into = new ByteBuffer(4);
    into.appendString("pre");
    const b = bytes("b, a");
    expect(parseVaryNames(ptr(b), len(b), into)).toBe(2);
    expect(show(into)).toBe("prea|b|");
    const star = bytes("c, *");
    expect(parseVaryNames(ptr(star), len(star), into)).toBe(VARY_ANY);
    expect(show(into)).toBe("prea|b|");
    // A second list starts its own sort and dedupe (names before it are not its members).
    const again = bytes("a");
    expect(parseVaryNames(ptr(again), len(again), into)).toBe(1);
    expect(show(into)).toBe("prea|b|a|");
  });

  it("produces a list that nextNul walks", () => {
    const into = new ByteBuffer(4);
    const b = bytes("Origin, Accept-Encoding, Accept-Language");
    const count = parseVaryNames(ptr(b), len(b), into);
    let seen = 0;
    let at: u32 = 0;
    let last = "";
    while (at < into.length) {
      const end = nextNul(into.ptr, at, into.length);
      last = String.UTF8.decodeUnsafe(into.ptr + at, end - at);
      seen++;
      at = end + 1;
    }
    expect(seen).toBe(count);
    expect(last).toBe("origin");
  });
});

describe("appendVaryValue", () => {
  it("normalises present values (table)", () => {
    for (let i = 0; i < VALUE_CASES.length; i++) {
      const c = VALUE_CASES[i];
      expect(valueOf(c[0])).toBe(c[1], "value: " + c[0]);
    }
  });

  it("normalises equivalent spellings alike", () => {
    expect(valueOf("gzip,  br")).toBe(valueOf("gzip, br"));
    expect(valueOf("gzip\0br")).toBe(valueOf("gzip, br"));
    expect(valueOf("gzip, br")).not.toBe(valueOf("br, gzip"));
    expect(valueOf("gzip")).not.toBe(valueOf("GZIP"));
  });

  it("tells absent from present-but-empty", () => {
    expect(valueOf("", false)).toBe("\u0001");
    expect(valueOf("anything", false)).toBe("\u0001");
    expect(valueOf("")).toBe("\u0002");
    expect(valueOf("", false)).not.toBe(valueOf(""));
    expect(valueOf("", false)).not.toBe(valueOf("\u0001"));
  });

  it("leaves no NUL or LF in the output", () => {
    const into = new ByteBuffer(4);
    const b = bytes("\n\0a\n,\0\"\n\0b\n\0\n");
    appendVaryValue(into, ptr(b), len(b), true);
    for (let i: u32 = 0; i < into.length; i++) {
      const c = load<u8>(into.ptr + i);
      expect(c != 0 && c != 0x0a).toBe(true);
    }
  });

  it("appends after existing content", () => {
    const into = new ByteBuffer(2);
    into.appendString("k\n");
    const a = bytes("en,  fr");
    appendVaryValue(into, ptr(a), len(a), true);
    into.appendByte(0x0a);
    appendVaryValue(into, 0, 0, false);
    expect(String.UTF8.decodeUnsafe(into.ptr, into.length)).toBe("k\n\u0002en,fr\n\u0001");
  });
});
