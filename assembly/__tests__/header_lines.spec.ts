import { bytes } from "./helpers";
import { ByteBuffer } from "../host/buffer";
import {
  findLine, lineFits, lineName, lineNameLength, lineNext, lineValue, lineValueLength, mergeNotModified, removeLines,
} from "../http/header_lines";

const stored = new ByteBuffer(256);
const update = new ByteBuffer(256);
const out = new ByteBuffer(16); // small: appends must grow it

/** Writes "Name: value" pairs, separated by "\n", as stored header lines. */
function lines(into: ByteBuffer, text: string): ByteBuffer {
  into.reset();
  if (text.length == 0) return into;
  const fields = text.split("\n");
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const colon = field.indexOf(": ");
    const name = field.substring(0, colon);
    const value = field.substring(colon + 2);
    into.appendU32(<u32>String.UTF8.byteLength(name));
    into.appendU32(<u32>String.UTF8.byteLength(value));
    into.appendString(name);
    into.appendString(value);
  }
  return into;
}

/** Reads lines back as "Name: value" pairs separated by "\n". */
function text(buffer: ByteBuffer): string {
  const parts: string[] = [];
  const end = buffer.ptr + buffer.length;
  for (let l = buffer.ptr; lineFits(l, end); l = lineNext(l)) {
    parts.push(String.UTF8.decodeUnsafe(lineName(l), lineNameLength(l)) + ": " +
      String.UTF8.decodeUnsafe(lineValue(l), lineValueLength(l)));
  }
  return parts.join("\n");
}

function merge(storedText: string, updateText: string): string {
  lines(stored, storedText);
  lines(update, updateText);
  out.reset();
  mergeNotModified(stored.ptr, stored.length, update.ptr, update.length, out);
  return text(out);
}

function remove(linesText: string, names: string[]): string {
  lines(stored, linesText);
  const encoded: ArrayBuffer[] = [];
  for (let i = 0; i < names.length; i++) encoded.push(bytes(names[i]));
  out.reset();
  removeLines(stored.ptr, stored.length, encoded, out);
  return text(out);
}

function valueOf(linesText: string, name: string): string {
  const b = lines(stored, linesText);
  const l = findLine(b.ptr, b.length, bytes(name));
  return l == 0 ? "<none>" : String.UTF8.decodeUnsafe(lineValue(l), lineValueLength(l));
}

describe("findLine", () => {
  it("finds the first line of a field, case-insensitively", () => {
    const t = "Content-Type: text/html\nX-Foo: 1\nx-foo: 2";
    expect(valueOf(t, "content-type")).toBe("text/html");
    expect(valueOf(t, "x-foo")).toBe("1");
    expect(valueOf(t, "etag")).toBe("<none>");
    expect(valueOf("", "etag")).toBe("<none>");
  });
  it("walks on to further lines of the same field", () => {
    const b = lines(stored, "A: 1\nB: 2\nA: 3");
    const first = findLine(b.ptr, b.length, bytes("a"));
    const rest = lineNext(first);
    const second = findLine(rest, <u32>(b.ptr + b.length - rest), bytes("a"));
    expect(String.UTF8.decodeUnsafe(lineValue(second), lineValueLength(second))).toBe("3");
  });
  it("reads empty values", () => {
    expect(valueOf("X-Empty: \nY: 1", "x-empty")).toBe("");
    expect(valueOf("X-Empty: \nY: 1", "y")).toBe("1");
  });
  it("stops at a line whose lengths run past the end", () => {
    const b = lines(stored, "A: 1\nB: 2");
    store<u32>(b.ptr + 10, 0xffffffff, 4); // B's value length: past the end, and wrapping in 32 bits
    expect(findLine(b.ptr, b.length, bytes("a"))).toBe(b.ptr);
    expect(findLine(b.ptr, b.length, bytes("b"))).toBe(0);
    expect(findLine(b.ptr, 5, bytes("a"))).toBe(0); // a truncated head
    expect(findLine(b.ptr, 9, bytes("a"))).toBe(0); // a truncated value
  });
});

describe("304 freshening (mergeNotModified)", () => {
  it("replaces a field in place and keeps the others", () => {
    expect(merge("Content-Type: text/html\nEtag: \"1\"\nX-A: a", "Etag: \"2\""))
      .toBe("Content-Type: text/html\nEtag: \"2\"\nX-A: a");
  });
  it("replaces every stored line of a multi-valued field with all of the update's", () => {
    expect(merge("Link: a\nX-A: a\nLink: b\nLink: c\nX-B: b", "Link: x\nLink: y"))
      .toBe("Link: x\nLink: y\nX-A: a\nX-B: b");
    expect(merge("Link: a\nLink: b", "Link: z")).toBe("Link: z");
  });
  it("compares names case-insensitively", () => {
    expect(merge("Cache-Control: max-age=1\nX-A: a", "cache-control: max-age=60"))
      .toBe("cache-control: max-age=60\nX-A: a");
  });
  it("keeps the stored Content-Length", () => {
    expect(merge("Content-Length: 100\nX-A: a", "Content-Length: 0\nX-A: b"))
      .toBe("Content-Length: 100\nX-A: b");
    expect(merge("X-A: a", "content-length: 0")).toBe("X-A: a");
  });
  it("appends fields the stored response did not have, in the update's order", () => {
    expect(merge("X-A: a", "X-C: c\nX-B: b1\nX-A: a2\nX-B: b2"))
      .toBe("X-A: a2\nX-C: c\nX-B: b1\nX-B: b2");
  });
  it("places an update's lines in its order even when interleaved", () => {
    expect(merge("X-A: a\nX-B: b", "X-B: 1\nX-A: 2\nX-B: 3")).toBe("X-A: 2\nX-B: 1\nX-B: 3");
  });
  it("keeps the stored lines when the update is empty, and takes the update's when nothing is stored", () => {
    expect(merge("X-A: a\nX-A: b", "")).toBe("X-A: a\nX-A: b");
    expect(merge("", "X-A: a\nContent-Length: 5")).toBe("X-A: a");
    expect(merge("", "")).toBe("");
  });
  it("appends to what the buffer holds", () => {
    lines(stored, "X-A: a");
    lines(update, "X-A: b");
    lines(out, "First: 1");
    mergeNotModified(stored.ptr, stored.length, update.ptr, update.length, out);
    expect(text(out)).toBe("First: 1\nX-A: b");
  });
});

describe("removeLines", () => {
  it("drops every line of the named fields, case-insensitively", () => {
    expect(remove("Set-Cookie: a\nX-A: a\nset-cookie: b\nX-Foo: f", ["set-cookie", "x-foo"])).toBe("X-A: a");
  });
  it("keeps everything when no name matches", () => {
    expect(remove("X-A: a\nX-B: b", ["x-c"])).toBe("X-A: a\nX-B: b");
    expect(remove("X-A: a\nX-B: b", [])).toBe("X-A: a\nX-B: b");
    expect(remove("", ["x-a"])).toBe("");
  });
  it("compares whole names, not prefixes", () => {
    expect(remove("X-Foo: 1\nX-Foobar: 2\nX-Fo: 3", ["x-foo"])).toBe("X-Foobar: 2\nX-Fo: 3");
  });
});
