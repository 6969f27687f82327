import { DEFAULT_MAX_TTL_MS, parseConfig } from "../config";
import { LOG_LEVEL_DEBUG } from "../abi/constants";
import { parseDuration, parseSize } from "../config/units";

describe("sizes and durations", () => {
  it("parses sizes", () => {
    expect(parseSize("1024")).toBe(1024);
    expect(parseSize("64Mi")).toBe(64 << 20);
    expect(parseSize("1Gi")).toBe(1 << 30);
    expect(parseSize("512Ki")).toBe(512 << 10);
    expect(parseSize("2M")).toBe(2000000);
    expect(parseSize("10MiB")).toBe(10 << 20);
    expect(parseSize("abc")).toBe(-1);
    expect(parseSize("-1")).toBe(-1);
    expect(parseSize("1.5Mi")).toBe(-1);
    expect(parseSize("10Xi")).toBe(-1);
  });
  it("parses durations in milliseconds", () => {
    expect(parseDuration("300")).toBe(300000);
    expect(parseDuration("30s")).toBe(30000);
    expect(parseDuration("5m")).toBe(300000);
    expect(parseDuration("1h30m")).toBe(5400000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1d")).toBe(86400000);
    expect(parseDuration("1.5")).toBe(1500);
    expect(parseDuration("abc")).toBe(-1);
    expect(parseDuration("-5s")).toBe(-1);
    expect(parseDuration("")).toBe(-1);
    expect(parseDuration("5 years")).toBe(-1);
  });
});

function expectMentions(error: string, text: string): void {
  expect(error.includes(text)).toBe(true, "expected \"" + error + "\" to mention " + text);
}

describe("configuration", () => {
  it("gives defaults for empty, null and {}", () => {
    expect(parseConfig("").error).toBe("");
    expect(parseConfig("null").error).toBe("");
    const r = parseConfig("{}");
    expect(r.error).toBe("");
    expect(r.config.maxTtlMs).toBe(DEFAULT_MAX_TTL_MS);
    expect(r.config.cacheGet && r.config.cacheHead).toBe(true);
    expect(r.config.memoryLimit).toBe(64 << 20);
    expect(r.config.maxObjectSize).toBe(1 << 20);
    expect(r.config.cacheName).toBe("httpcache");
  });
  it("accepts JSON types", () => {
    const r = parseConfig('{"maxTtl":60,"defaultTtl":"10s","disableCacheStatusHeader":true,' +
      '"store":{"memory":{"limit":"8Mi"}},"maxObjectSize":65536,"methods":["GET"],' +
      '"key":{"ignoreQuery":false,"ignoredQueryParams":["utm_source"],"headers":["Accept-Language"]},' +
      '"setCookie":"strip","cacheName":"edge","logLevel":"debug","excludedResponseCodes":[500,"502-504"]}');
    expect(r.error).toBe("");
    const c = r.config;
    expect(c.maxTtlMs).toBe(60000);
    expect(c.defaultTtlMs).toBe(10000);
    expect(c.statusHeaders).toBe(false);
    expect(c.memoryLimit).toBe(8 << 20);
    expect(c.maxObjectSize).toBe(65536);
    expect(c.cacheGet).toBe(true);
    expect(c.cacheHead).toBe(false);
    expect(c.ignoredQueryParams.length).toBe(1);
    expect(String.UTF8.decode(c.keyHeaders[0])).toBe("accept-language");
    expect(c.stripSetCookie).toBe(true);
    expect(c.cacheName).toBe("edge");
    expect(c.logLevel).toBe(LOG_LEVEL_DEBUG);
    expect(c.isExcluded(500)).toBe(true);
    expect(c.isExcluded(501)).toBe(false);
    expect(c.isExcluded(503)).toBe(true);
  });
  it("accepts every scalar as a string, as the file provider sends them", () => {
    const r = parseConfig('{"maxTtl":"60","disableCacheStatusHeader":"true","store":{"memory":{"limit":"8388608"}},' +
      '"maxObjectSize":"65536","key":{"ignoreQuery":"true"},"excludedResponseCodes":["500"]}');
    expect(r.error).toBe("");
    expect(r.config.maxTtlMs).toBe(60000);
    expect(r.config.statusHeaders).toBe(false);
    expect(r.config.memoryLimit).toBe(8 << 20);
    expect(r.config.ignoreQuery).toBe(true);
    expect(r.config.isExcluded(500)).toBe(true);
  });
  it("names the key and the value of an invalid setting", () => {
    expectMentions(parseConfig('{"maxTtl":"abc"}').error, '"maxTtl"');
    expectMentions(parseConfig('{"maxTtl":"abc"}').error, '"abc"');
    expectMentions(parseConfig('{"store":{"memory":{"limit":"-1"}}}').error, "store.memory.limit");
    expectMentions(parseConfig('{"store":{"memory":{"limit":"1Ki"}}}').error, "store.memory.limit");
    expectMentions(parseConfig('{"methods":["POST"]}').error, '"methods"');
    expectMentions(parseConfig('{"methods":["GET","POST"]}').error, '"POST"');
    expectMentions(parseConfig('{"excludedResponseCodes":["599-500"]}').error, '"599-500"');
    expectMentions(parseConfig('{"key":{"headers":["bad header"]}}').error, '"bad header"');
    expectMentions(parseConfig('{"setCookie":"keep"}').error, '"setCookie"');
    expectMentions(parseConfig('{"disableCacheStatusHeader":"yes"}').error, "disableCacheStatusHeader");
    expectMentions(parseConfig('{"excludedResponseCodes":["5xx"]}').error, "excludedResponseCodes");
    expectMentions(parseConfig('{"cacheName":"has space"}').error, "cacheName");
    expectMentions(parseConfig('{"logLevel":"loud"}').error, "logLevel");
  });
  it("takes the last of duplicate keys", () => {
    expect(parseConfig('{"maxTtl":"abc","maxTtl":"30s"}').config.maxTtlMs).toBe(30000);
    expectMentions(parseConfig('{"maxTtl":"30s","maxTtl":"abc"}').error, '"abc"');
  });
  it("rejects unknown keys, naming them", () => {
    expectMentions(parseConfig('{"maxTTL":60}').error, '"maxTTL"');
    expectMentions(parseConfig('{"store":{"disk":{}}}').error, '"store.disk"');
  });
  it("lowers the default object size to fit a small memory limit", () => {
    const r = parseConfig('{"store":{"memory":{"limit":"1Mi"}}}');
    expect(r.error).toBe("");
    expect(r.config.maxObjectSize).toBe(256 << 10);
  });
  it("keeps objects within a quarter of the memory limit", () => {
    expectMentions(parseConfig('{"maxObjectSize":"1Mi","store":{"memory":{"limit":"2Mi"}}}').error, "maxObjectSize");
  });
  it("reports malformed JSON and non-objects without trapping", () => {
    expectMentions(parseConfig("{").error, "not valid JSON");
    expectMentions(parseConfig('{"maxTtl":}').error, "not valid JSON");
    expectMentions(parseConfig("[]").error, "expected an object");
    expectMentions(parseConfig('"str"').error, "expected an object");
    let deep = "";
    for (let i = 0; i < 100; i++) deep += "[";
    expectMentions(parseConfig(deep).error, "nested too deeply");
  });
});
