import { bytes, len, ptr } from "./helpers";
import { parseConfig } from "../config";
import { ByteBuffer } from "../host/buffer";
import { errorBody, jsonString, purgedBody } from "../purge/answer";
import { parsePurgeBody } from "../purge/body";
import { appendTagHashes, tagHash } from "../purge/tags";
import { TargetBuilder } from "../purge/target";
import { bearerCredentials, tokenMatches } from "../purge/token";
import { configureTags, isStrippedTagHeader } from "../exchange/tags";
import { xxhash64 } from "../store/xxhash64";

const HOST = bytes("API.Example.com");
const defaults = parseConfig("{}").config;
const ignoring = parseConfig('{"key":{"ignoredQueryParams":["utm_source"]}}').config;
const builder = new TargetBuilder();
const hashes = new ByteBuffer(64);

function text(b: ArrayBuffer | null): string {
  return b === null ? "<null: " + builder.error + ">" : String.UTF8.decode(changetype<ArrayBuffer>(b));
}

function url(s: string): string {
  return text(builder.url(s, HOST, defaults));
}

function prefix(s: string): string {
  return text(builder.prefix(s, HOST));
}

function matches(given: string, expected: string): bool {
  const g = bytes(given);
  return tokenMatches(ptr(g), len(g), bytes(expected));
}

function bearer(value: string): string {
  const v = bytes(value);
  const span = bearerCredentials(ptr(v), len(v));
  if (span == 0) return "<none>";
  const s = <u32>(span >>> 32);
  return String.UTF8.decodeUnsafe(ptr(v) + s, <u32>span - s);
}

function tagCount(values: string, max: u32 = 16): i32 {
  hashes.reset();
  const v = bytes(values);
  return appendTagHashes(hashes, 0, ptr(v), len(v), max);
}

function hashAt(i: u32): u64 {
  return load<u64>(hashes.ptr + (<usize>i << 3));
}

function hashOf(tag: string): u64 {
  const t = bytes(tag);
  return tagHash(ptr(t), len(t));
}

function bodyError(json: string): string {
  return parsePurgeBody(json, HOST, defaults).error;
}

function expectMentions(error: string, part: string): void {
  expect(error.includes(part)).toBe(true, "expected \"" + error + "\" to mention " + part);
}

describe("purge token", () => {
  it("matches only the exact token", () => {
    expect(matches("s3cret", "s3cret")).toBe(true);
    expect(matches("s3creT", "s3cret")).toBe(false);
    expect(matches("s3cre", "s3cret")).toBe(false);
    expect(matches("s3crets3cret", "s3cret")).toBe(false);
    expect(matches("s3cret ", "s3cret")).toBe(false);
    expect(matches("", "s3cret")).toBe(false);
    expect(matches("", "")).toBe(false);
  });
  it("reads Bearer credentials, the scheme in any case", () => {
    expect(bearer("Bearer abc")).toBe("abc");
    expect(bearer("bearer   abc ")).toBe("abc");
    expect(bearer("BEARER a.b-c")).toBe("a.b-c");
    expect(bearer("Basic YWxhZGRpbjpvcGVuc2VzYW1l")).toBe("<none>");
    expect(bearer("Bearerabc")).toBe("<none>");
    expect(bearer("Bearer")).toBe("<none>");
  });
});

describe("purge tags", () => {
  it("hashes a tag's bytes with xxHash64", () => {
    const t = bytes("product-1");
    expect(tagHash(ptr(t), len(t))).toBe(xxhash64(ptr(t), len(t)));
    expect(hashOf("Product-1")).not.toBe(hashOf("product-1"));
  });
  it("splits on commas, whitespace and NUL, once per distinct tag", () => {
    expect(tagCount("a b,c\0d\t e, ,a")).toBe(5);
    expect(hashAt(0)).toBe(hashOf("a"));
    expect(hashAt(3)).toBe(hashOf("d"));
    expect(hashAt(4)).toBe(hashOf("e"));
    expect(tagCount("")).toBe(0);
    expect(tagCount(" , ")).toBe(0);
  });
  it("reports more distinct tags than allowed", () => {
    expect(tagCount("a b c", 3)).toBe(3);
    expect(tagCount("a b c a", 3)).toBe(3);
    expect(tagCount("a b c d", 3)).toBe(-1);
  });
  it("strips the tag headers from stored responses unless keepTagHeaders", () => {
    const name = bytes("surrogate-key");
    configureTags(defaults);
    expect(isStrippedTagHeader(ptr(name), len(name))).toBe(true);
    const other = bytes("content-type");
    expect(isStrippedTagHeader(ptr(other), len(other))).toBe(false);
    configureTags(parseConfig('{"keepTagHeaders":true}').config);
    expect(isStrippedTagHeader(ptr(name), len(name))).toBe(false);
    configureTags(defaults);
  });
});

describe("purge targets", () => {
  it("puts a path under the request's host, normalised like the cache key", () => {
    expect(url("/products/1")).toBe("api.example.com\n/products/1");
    expect(url("/p?b=2&a=1&&")).toBe("api.example.com\n/p?a=1&b=2");
    expect(text(builder.url("/p?utm_source=x&a=1", HOST, ignoring))).toBe("api.example.com\n/p?a=1");
    expect(url("/p#section")).toBe("api.example.com\n/p");
  });
  it("takes the host of an absolute URL, dropping a default port as request keys do", () => {
    expect(url("https://Shop.Example.com/products/1")).toBe("shop.example.com\n/products/1");
    expect(url("HTTP://shop.example.com:80/a")).toBe("shop.example.com\n/a");
    expect(url("https://shop.example.com:443/a")).toBe("shop.example.com\n/a");
    // Keys carry no scheme yet, so :443 goes over http too (a request to it gets the same key).
    expect(url("http://shop.example.com:443/a")).toBe("shop.example.com\n/a");
    expect(url("https://shop.example.com:8443/a?z=1&y=2")).toBe("shop.example.com:8443\n/a?y=2&z=1");
    expect(url("https://shop.example.com")).toBe("shop.example.com\n/");
    expect(url("https://shop.example.com?b&a")).toBe("shop.example.com\n/?a&b");
  });
  it("refuses what is neither a path nor an http(s) URL", () => {
    expectMentions(url("products/1"), "<null");
    expectMentions(url("ftp://example.com/a"), "http");
    expectMentions(url("https:///a"), "no host");
    expectMentions(url("https://:80/a"), "no host");
    expectMentions(url("https://user@example.com/a"), "user information");
    expectMentions(url("/a\nb"), "control character");
    expectMentions(url(""), "<null");
  });
  it("keeps a prefix as given, after the host", () => {
    expect(prefix("/products/")).toBe("api.example.com\n/products/");
    expect(prefix("/p?b=1&a")).toBe("api.example.com\n/p?b=1&a");
    expect(prefix("https://Shop.example.com/a")).toBe("shop.example.com\n/a");
    expect(prefix("https://shop.example.com")).toBe("shop.example.com\n");
    expectMentions(prefix("products"), "<null");
  });
});

describe("purge body", () => {
  it("reads every member", () => {
    const r = parsePurgeBody('{"urls":["/a","https://b.example/x?2=&1="],"prefixes":["/p/"],"tags":["t1","t2"],"all":false}',
      HOST, defaults);
    expect(r.error).toBe("");
    expect(r.request.urls.length).toBe(2);
    expect(text(r.request.urls[1])).toBe("b.example\n/x?1=&2=");
    expect(text(r.request.prefixes[0])).toBe("api.example.com\n/p/");
    expect(r.request.tags.length).toBe(2);
    expect(r.request.tags[1]).toBe(hashOf("t2"));
    expect(r.request.all).toBe(false);
  });
  it("reads all, and null members as absent", () => {
    const r = parsePurgeBody('{"all":true,"urls":null}', HOST, defaults);
    expect(r.error).toBe("");
    expect(r.request.all).toBe(true);
  });
  it("names what is wrong", () => {
    expectMentions(bodyError(""), "not valid JSON");
    expectMentions(bodyError('{"urls":['), "not valid JSON");
    expectMentions(bodyError('["/a"]'), "expected a JSON object");
    expectMentions(bodyError('{"url":["/a"]}'), '"url"');
    expectMentions(bodyError('{"urls":"/a"}'), '"urls"');
    expectMentions(bodyError('{"urls":["/a",5]}'), "urls[1]");
    expectMentions(bodyError('{"prefixes":["nope"]}'), "prefixes[0]");
    expectMentions(bodyError('{"tags":["a b"]}'), "tags[0]");
    expectMentions(bodyError('{"tags":[""]}'), "tags[0]");
    expectMentions(bodyError('{"all":"true"}'), '"all"');
  });
  it("refuses an empty request", () => {
    expectMentions(bodyError("{}"), "nothing to purge");
    expectMentions(bodyError('{"urls":[],"all":false}'), "nothing to purge");
  });
});

describe("purge answers", () => {
  it("are JSON", () => {
    expect(purgedBody(3)).toBe('{"purged":3}');
    expect(errorBody("bad \"x\"\\\n")).toBe('{"error":"bad \\"x\\"\\\\\\u000a"}');
    expect(jsonString("\u001f")).toBe('"\\u001f"');
  });
});
