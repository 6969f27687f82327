import { bytes, len, ptr } from "./helpers";
import { ByteBuffer } from "../host/buffer";
import { Reference, resolveReference } from "../http/reference";

const out = new ByteBuffer(64);

/** The path a Location resolves to against the request path, or "<absolute>" / "<none>". */
function resolve(base: string, ref: string): string {
  const b = bytes(base);
  const r = bytes(ref);
  out.reset();
  const kind = resolveReference(ptr(b), len(b), ptr(r), len(r), out);
  if (kind == Reference.Absolute) return "<absolute>";
  if (kind == Reference.None) return "<none>";
  return String.UTF8.decodeUnsafe(out.ptr, out.length);
}

describe("Location and Content-Location resolved against the request path (RFC 3986 §5.2)", () => {
  it("resolves the examples a write's answer carries", () => {
    const base = "/b/c/d;p";
    const cases: string[][] = [
      // RFC 3986 §5.4.1 (base http://a/b/c/d;p?q, paths only)
      ["g", "/b/c/g"], ["./g", "/b/c/g"], ["g/", "/b/c/g/"], ["/g", "/g"], ["?y", "/b/c/d;p?y"],
      ["g?y", "/b/c/g?y"], ["#s", "<none>"], ["g#s", "/b/c/g"], [";x", "/b/c/;x"], [".", "/b/c/"],
      ["./", "/b/c/"], ["..", "/b/"], ["../", "/b/"], ["../g", "/b/g"], ["../..", "/"], ["../../", "/"],
      ["../../g", "/g"], ["../../../g", "/g"], ["/./g", "/g"], ["/../g", "/g"], ["g.", "/b/c/g."],
      [".g", "/b/c/.g"], ["g..", "/b/c/g.."], ["./../g", "/b/g"], ["./g/.", "/b/c/g/"], ["g/./h", "/b/c/g/h"],
      ["g/../h", "/b/c/h"], ["g?y/./x", "/b/c/g?y/./x"],
      // Named elsewhere: the caller resolves them as URLs.
      ["//g", "<absolute>"], ["https://a/x", "<absolute>"], ["urn:x", "<absolute>"], ["", "<none>"],
    ];
    for (let i = 0; i < cases.length; i++) {
      const got = resolve(base, cases[i][0]);
      if (got != cases[i][1]) throw new Error("\"" + cases[i][0] + "\": got " + got + ", want " + cases[i][1]);
    }
  });

  it("resolves against the root when the request path has no directory", () => {
    expect(resolve("/", "x")).toBe("/x");
    expect(resolve("/items", "./1")).toBe("/1");
  });
});
