import { bytes, len, ptr } from "./helpers";
import { ByteBuffer } from "../host/buffer";
import { appendHeader, appendHost, appendUri, MAX_QUERY_PARAMS } from "../http/cache_key";
import { xxhash64 } from "../store/xxhash64";

function keyOf(host: string, uri: string, ignoreQuery: bool = false, ignored: string[] = []): string {
  const into = new ByteBuffer(16);
  const h = bytes(host);
  const u = bytes(uri);
  const names: ArrayBuffer[] = [];
  for (let i = 0; i < ignored.length; i++) names.push(bytes(ignored[i]));
  appendHost(into, ptr(h), len(h));
  if (!appendUri(into, ptr(u), len(u), ignoreQuery, names)) return "<unkeyable>";
  return String.UTF8.decodeUnsafe(into.ptr, into.length);
}

describe("cache key", () => {
  it("lowercases the host and keeps the path", () => {
    expect(keyOf("API.Example.COM", "/Products/1")).toBe("api.example.com\n/Products/1");
  });
  it("drops a default port: api.example.com:80 and api.example.com are one origin (RFC 3986 §6.2.3)", () => {
    expect(keyOf("api.example.com:80", "/p")).toBe(keyOf("api.example.com", "/p"));
    expect(keyOf("API.example.com:443", "/p")).toBe(keyOf("api.example.com", "/p"));
    expect(keyOf("[::1]:80", "/p")).toBe("[::1]\n/p");
    expect(keyOf("api.example.com:8080", "/p")).toBe("api.example.com:8080\n/p");
    expect(keyOf("api.example.com:1443", "/p")).toBe("api.example.com:1443\n/p");
  });
  it("sorts query parameters by name", () => {
    expect(keyOf("h", "/p?b=2&a=1&c=3")).toBe("h\n/p?a=1&b=2&c=3");
    expect(keyOf("h", "/p?b=2&a=1")).toBe(keyOf("h", "/p?a=1&b=2"));
  });
  it("keeps repeated names in their order (stable sort)", () => {
    expect(keyOf("h", "/p?tag=z&a=1&tag=a")).toBe("h\n/p?a=1&tag=z&tag=a");
    expect(keyOf("h", "/p?tag=z&tag=a")).not.toBe(keyOf("h", "/p?tag=a&tag=z"));
  });
  it("drops empty parameters and a bare '?'", () => {
    expect(keyOf("h", "/p?&a=1&&b=2&")).toBe("h\n/p?a=1&b=2");
    expect(keyOf("h", "/p?")).toBe("h\n/p");
  });
  it("distinguishes distinct queries and hosts", () => {
    expect(keyOf("h", "/p?a=1")).not.toBe(keyOf("h", "/p?a=2"));
    expect(keyOf("a.example", "/p")).not.toBe(keyOf("b.example", "/p"));
  });
  it("drops ignored parameters by name", () => {
    expect(keyOf("h", "/p?utm_source=x&a=1&utm_medium=y", false, ["utm_source", "utm_medium"])).toBe("h\n/p?a=1");
    expect(keyOf("h", "/p?utm_source", false, ["utm_source"])).toBe("h\n/p");
  });
  it("can ignore the whole query", () => {
    expect(keyOf("h", "/p?a=1&b=2", true)).toBe("h\n/p");
  });
  it("refuses to key a URI with too many parameters", () => {
    let uri = "/p?";
    for (let i: u32 = 0; i <= MAX_QUERY_PARAMS; i++) uri += "k" + i.toString() + "=v&";
    expect(keyOf("h", uri)).toBe("<unkeyable>");
  });
  it("appends configured request headers", () => {
    const into = new ByteBuffer(16);
    const values = bytes("en\0");
    appendHeader(into, bytes("accept-language"), ptr(values), len(values));
    expect(String.UTF8.decodeUnsafe(into.ptr, into.length)).toBe("\naccept-language:en\0");
  });
});

function hashOf(s: string): u64 {
  const b = bytes(s);
  return xxhash64(ptr(b), len(b));
}

describe("xxHash64", () => {
  it("matches the reference vectors", () => {
    expect(hashOf("")).toBe(0xEF46DB3751D8E999);
    expect(hashOf("a")).toBe(0xD24EC4F1A98C6E5B);
    expect(hashOf("abc")).toBe(0x44BC2CF5AD770999);
    expect(hashOf("Nobody inspects the spammish repetition")).toBe(0xFBCEA83C8A378BF1);
  });
  it("spreads similar keys", () => {
    expect(hashOf("h\n/p?a=1")).not.toBe(hashOf("h\n/p?a=2"));
  });
});
