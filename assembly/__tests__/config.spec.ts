import { DEFAULT_MAX_TTL_MS, parseConfig } from "../config";
import { noEnvironment } from "../config/purge";
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

// --- shared store, purge and tags (issue #3) ---

function fakeEnv(name: string): string | null {
  if (name == "PURGE_TOKEN") return " s3cret\n";
  if (name == "EMPTY") return "";
  return null;
}

function text(b: ArrayBuffer): string {
  return String.UTF8.decode(b);
}

describe("the default store", () => {
  it("is the shared store in the directory mounted at /cache", () => {
    const r = parseConfig("{}", noEnvironment, ["/data", "/cache"]);
    expect(r.error).toBe("");
    expect(r.config.sharedPath).toBe("/cache");
    expect(r.config.sharedLimit).toBe(256 << 20);
    expect(r.config.memoryLimit).toBe(16 << 20);
    expect(r.config.memoryOnlyNotice).toBe("");
  });
  it("is the shared store in the only mounted directory, whatever its name", () => {
    expect(parseConfig("", noEnvironment, ["/var/lib/cache"]).config.sharedPath).toBe("/var/lib/cache");
    expect(parseConfig('{"store":{"shared":{"limit":"1Gi"}}}', noEnvironment, ["/d"]).config.sharedLimit).toBe(1 << 30);
  });
  it("is memory only with a warning naming them when several are mounted and none at /cache", () => {
    const r = parseConfig("{}", noEnvironment, ["/a", "/b"]);
    expect(r.error).toBe("");
    expect(r.config.sharedPath).toBe("");
    expect(r.warnings.length).toBe(1);
    expectMentions(r.warnings[0], "/a, /b");
    expectMentions(r.warnings[0], "store.shared.path");
  });
  it("is memory only with a notice that says how to mount one when nothing is mounted", () => {
    const r = parseConfig("{}");
    expect(r.config.sharedPath).toBe("");
    expect(r.config.memoryLimit).toBe(64 << 20);
    expectMentions(r.config.memoryOnlyNotice, "settings.mounts");
    expectMentions(r.config.memoryOnlyNotice, "once per instance");
  });
  it("is memory only, without a notice, with store.shared: false, even with a mount", () => {
    for (let i = 0; i < 2; i++) {
      const r = parseConfig(i == 0 ? '{"store":{"shared":false}}' : '{"store":{"shared":"false"}}', noEnvironment, ["/cache"]);
      expect(r.error).toBe("");
      expect(r.config.sharedPath).toBe("");
      expect(r.config.memoryOnlyNotice).toBe("");
    }
  });
  it("refuses store.shared: true when nothing is mounted, naming the fix", () => {
    expectMentions(parseConfig('{"store":{"shared":true}}').error, "settings.mounts");
    expect(parseConfig('{"store":{"shared":true}}', noEnvironment, ["/cache"]).config.sharedPath).toBe("/cache");
  });
  it("gives Traefik Hub's store.memory.limit: 3Gi the cache's size with a mount", () => {
    const r = parseConfig('{"maxTtl":600,"store":{"memory":{"limit":"3Gi"}}}', noEnvironment, ["/cache"]);
    expect(r.error).toBe("");
    expect(r.config.sharedLimit).toBe(<i64>3 << 30);
    expect(r.config.memoryLimit).toBe(16 << 20);
    expect(r.warnings.length).toBe(0);
  });
  it("clamps a memory limit above 1023Mi without a mount, saying what applies", () => {
    const r = parseConfig('{"store":{"memory":{"limit":"2Gi"}}}');
    expect(r.error).toBe("");
    expect(r.config.memoryLimit).toBe(1023 << 20);
    expect(r.warnings.length).toBe(1);
    expectMentions(r.warnings[0], "1023Mi");
    expectMentions(r.warnings[0], "settings.mounts");
  });
});

describe("shared store configuration", () => {
  it("is off by default, with the documented defaults", () => {
    const c = parseConfig("{}").config;
    expect(c.sharedPath).toBe("");
    expect(c.sharedLimit).toBe(256 << 20);
    expect(c.memoryLimit).toBe(64 << 20);
  });
  it("takes the path and limit, and makes the memory store a 16Mi front", () => {
    const r = parseConfig('{"store":{"shared":{"path":"/cache","limit":"1Gi"}}}');
    expect(r.error).toBe("");
    expect(r.config.sharedPath).toBe("/cache");
    expect(r.config.sharedLimit).toBe(1 << 30);
    expect(r.config.memoryLimit).toBe(16 << 20);
    expect(r.config.maxObjectSize).toBe(1 << 20);
  });
  it("reads store.memory.limit as the cache's size with a shared store and no store.shared.limit", () => {
    const r = parseConfig('{"store":{"memory":{"limit":"32Mi"},"shared":{"path":"/cache"}}}');
    expect(r.error).toBe("");
    expect(r.config.memoryLimit).toBe(16 << 20);
    expect(r.config.sharedLimit).toBe(32 << 20);
  });
  it("reads store.memory.limit as each instance's front when both sizes are given", () => {
    const r = parseConfig('{"store":{"memory":{"limit":"32Mi"},"shared":{"path":"/cache","limit":"1Gi"}}}');
    expect(r.error).toBe("");
    expect(r.config.memoryLimit).toBe(32 << 20);
    expect(r.config.sharedLimit).toBe(1 << 30);
  });
  it("accepts limits from 4Mi to 1Ti", () => {
    expect(parseConfig('{"store":{"shared":{"path":"/c","limit":"4Mi"}}}').error).toBe("");
    expect(parseConfig('{"store":{"shared":{"path":"/c","limit":"1Ti"}}}').config.sharedLimit).toBe(<i64>1 << 40);
    expectMentions(parseConfig('{"store":{"shared":{"path":"/c","limit":"1Mi"}}}').error, "store.shared.limit");
    expectMentions(parseConfig('{"store":{"shared":{"path":"/c","limit":"2Ti"}}}').error, "store.shared.limit");
    expectMentions(parseConfig('{"store":{"shared":{"path":"/c","limit":"lots"}}}').error, '"lots"');
  });
  it("lowers the default object size to an eighth of a small shared store", () => {
    const r = parseConfig('{"store":{"shared":{"path":"/c","limit":"4Mi"}}}');
    expect(r.error).toBe("");
    expect(r.config.maxObjectSize).toBe(512 << 10);
  });
  it("refuses an object size above an eighth of the shared store", () => {
    const error = parseConfig('{"maxObjectSize":"1Mi","store":{"shared":{"path":"/c","limit":"4Mi"}}}').error;
    expectMentions(error, "maxObjectSize");
    expectMentions(error, "store.shared.limit");
  });
  it("names the key of a missing, relative or unknown setting", () => {
    expectMentions(parseConfig('{"store":{"shared":{"limit":"1Gi"}}}').error, "store.shared.path");
    expectMentions(parseConfig('{"store":{"shared":{"path":"cache"}}}').error, "store.shared.path");
    expectMentions(parseConfig('{"store":{"shared":{"path":5}}}').error, "store.shared.path");
    expectMentions(parseConfig('{"store":{"shared":{"path":"/c","size":"1Gi"}}}').error, '"store.shared.size"');
    expectMentions(parseConfig('{"store":{"shared":"/cache"}}').error, "store.shared");
  });
  it("parses tebibytes and refuses sizes that would overflow", () => {
    expect(parseSize("1Ti")).toBe(<i64>1 << 40);
    expect(parseSize("2T")).toBe(2000000000000);
    expect(parseSize("9007199254740992Gi")).toBe(-1);
    expect(parseSize("8388608Gi")).toBe(<i64>1 << 53);
    expect(parseSize("8388609Gi")).toBe(-1);
  });
});

describe("purge configuration", () => {
  it("is off by default, with the default path", () => {
    const r = parseConfig("{}");
    expect(r.config.purgeEnabled).toBe(false);
    expect(text(r.config.purgePath)).toBe("/_cache/purge");
    expect(r.warnings.length).toBe(0);
  });
  it("is enabled by a token, trimmed", () => {
    const r = parseConfig('{"purge":{"token":" abcdefghijklmnop\\n","path":"/admin/purge"},"store":{"shared":{"path":"/c"}}}');
    expect(r.error).toBe("");
    expect(r.config.purgeEnabled).toBe(true);
    expect(text(r.config.purgeToken)).toBe("abcdefghijklmnop");
    expect(text(r.config.purgePath)).toBe("/admin/purge");
    expect(r.warnings.length).toBe(0);
  });
  it("accepts a numeric token (a YAML value may arrive as a number)", () => {
    expect(text(parseConfig('{"purge":{"token":12345}}').config.purgeToken)).toBe("12345");
  });
  it("refuses an unresolved Kubernetes secret reference as the token", () => {
    const error = parseConfig('{"purge":{"token":"urn:k8s:secret:httpcache-purge:token"}}').error;
    expectMentions(error, "purge.token");
    expectMentions(error, "purge.tokenEnv");
  });
  it("reads the token from the environment variable purge.tokenEnv names", () => {
    const r = parseConfig('{"purge":{"tokenEnv":"PURGE_TOKEN"}}', fakeEnv);
    expect(r.error).toBe("");
    expect(r.config.purgeEnabled).toBe(true);
    expect(text(r.config.purgeToken)).toBe("s3cret");
  });
  it("names an unset or empty variable", () => {
    expectMentions(parseConfig('{"purge":{"tokenEnv":"MISSING"}}', fakeEnv).error, '"MISSING"');
    expectMentions(parseConfig('{"purge":{"tokenEnv":"EMPTY"}}', fakeEnv).error, '"EMPTY"');
    expectMentions(parseConfig('{"purge":{"tokenEnv":"PURGE_TOKEN"}}').error, "purge.tokenEnv");
  });
  it("refuses both token and tokenEnv, neither, or an empty token", () => {
    const both = parseConfig('{"purge":{"token":"a","tokenEnv":"PURGE_TOKEN"}}', fakeEnv).error;
    expectMentions(both, "purge.token");
    expectMentions(both, "purge.tokenEnv");
    expectMentions(parseConfig('{"purge":{}}').error, "purge.token");
    expectMentions(parseConfig('{"purge":{"path":"/p"}}').error, "purge.token");
    expectMentions(parseConfig('{"purge":{"token":" "}}').error, "purge.token");
    expectMentions(parseConfig('{"purge":{"token":true}}').error, "purge.token");
    expectMentions(parseConfig('{"purge":{"token":""}}').error, "purge.token");
    expect(parseConfig('{"purge":{"token":""}}').config.purgeEnabled).toBe(false);
  });
  it("refuses a purge path that is not a path", () => {
    expectMentions(parseConfig('{"purge":{"token":"t","path":"purge"}}').error, "purge.path");
    expectMentions(parseConfig('{"purge":{"token":"t","path":"/p?x=1"}}').error, "purge.path");
    expectMentions(parseConfig('{"purge":{"token":"t","secret":"x"}}').error, '"purge.secret"');
  });
  it("warns when purge is enabled without a shared store", () => {
    const r = parseConfig('{"purge":{"token":"0123456789abcdef0123"}}');
    expect(r.error).toBe("");
    expect(r.warnings.length).toBe(1);
    expectMentions(r.warnings[0], "shared store");
  });
  it("warns about a purge token short enough to guess", () => {
    const r = parseConfig('{"purge":{"token":"t"},"store":{"shared":{"path":"/c"}}}');
    expect(r.error).toBe("");
    expect(r.warnings.length).toBe(1);
    expectMentions(r.warnings[0], "shorter than 16");
  });
  it("leaves purge off when it is null", () => {
    const r = parseConfig('{"purge":null}');
    expect(r.error).toBe("");
    expect(r.config.purgeEnabled).toBe(false);
  });
});

describe("tag configuration", () => {
  it("defaults to Surrogate-Key and Cache-Tag, removed from responses", () => {
    const c = parseConfig("{}").config;
    expect(c.tagHeaders.length).toBe(2);
    expect(text(c.tagHeaders[0])).toBe("surrogate-key");
    expect(text(c.tagHeaders[1])).toBe("cache-tag");
    expect(c.keepTagHeaders).toBe(false);
  });
  it("takes a list of names, lowercased, or none", () => {
    const c = parseConfig('{"tagHeaders":["X-Tags","Edge-Tag"],"keepTagHeaders":"true"}').config;
    expect(c.tagHeaders.length).toBe(2);
    expect(text(c.tagHeaders[0])).toBe("x-tags");
    expect(c.keepTagHeaders).toBe(true);
    expect(parseConfig('{"tagHeaders":"X-A, X-B"}').config.tagHeaders.length).toBe(2);
    expect(parseConfig('{"tagHeaders":[]}').config.tagHeaders.length).toBe(0);
  });
  it("names a bad header name or flag", () => {
    expectMentions(parseConfig('{"tagHeaders":["bad name"]}').error, '"bad name"');
    expectMentions(parseConfig('{"tagHeaders":{}}').error, "tagHeaders");
    expectMentions(parseConfig('{"keepTagHeaders":"maybe"}').error, "keepTagHeaders");
  });
});

// --- request directives, heuristic freshness, targeted fields and stale serving ---

describe("request Cache-Control configuration", () => {
  it("honours the client's directives by default", () => {
    expect(parseConfig("{}").config.ignoreRequestCacheControl).toBe(false);
  });
  it("takes a JSON boolean or the file provider's string", () => {
    expect(parseConfig('{"ignoreRequestCacheControl":true}').config.ignoreRequestCacheControl).toBe(true);
    expect(parseConfig('{"ignoreRequestCacheControl":"true"}').config.ignoreRequestCacheControl).toBe(true);
    expect(parseConfig('{"ignoreRequestCacheControl":"false"}').config.ignoreRequestCacheControl).toBe(false);
  });
  it("names the key of an invalid value", () => {
    expectMentions(parseConfig('{"ignoreRequestCacheControl":"sometimes"}').error, '"ignoreRequestCacheControl"');
    expectMentions(parseConfig('{"ignoreRequestCacheControl":"sometimes"}').error, '"sometimes"');
    expectMentions(parseConfig('{"ignoreRequestCacheControl":1}').error, "ignoreRequestCacheControl");
    expectMentions(parseConfig('{"ignoreRequestCacheControl":[]}').error, "ignoreRequestCacheControl");
  });
});

describe("heuristic freshness configuration", () => {
  it("is off by default", () => {
    expect(parseConfig("{}").config.heuristicFreshness).toBe(false);
  });
  it("takes a JSON boolean or the file provider's string", () => {
    expect(parseConfig('{"heuristicFreshness":true}').config.heuristicFreshness).toBe(true);
    expect(parseConfig('{"heuristicFreshness":"true"}').config.heuristicFreshness).toBe(true);
    expect(parseConfig('{"heuristicFreshness":"FALSE"}').config.heuristicFreshness).toBe(false);
  });
  it("names the key of an invalid value", () => {
    expectMentions(parseConfig('{"heuristicFreshness":"10%"}').error, '"heuristicFreshness"');
    expectMentions(parseConfig('{"heuristicFreshness":{}}').error, "heuristicFreshness");
  });
});

describe("targeted Cache-Control configuration", () => {
  it("defaults to CDN-Cache-Control, lowercased", () => {
    const c = parseConfig("{}").config;
    expect(c.targetedFields.length).toBe(1);
    expect(text(c.targetedFields[0])).toBe("cdn-cache-control");
  });
  it("takes a list of names in precedence order, lowercased", () => {
    const r = parseConfig('{"targetedCacheControl":["Edge-Cache-Control","CDN-Cache-Control"]}');
    expect(r.error).toBe("");
    expect(r.config.targetedFields.length).toBe(2);
    expect(text(r.config.targetedFields[0])).toBe("edge-cache-control");
    expect(text(r.config.targetedFields[1])).toBe("cdn-cache-control");
  });
  it("takes the file provider's comma-separated string", () => {
    const c = parseConfig('{"targetedCacheControl":"Edge-Cache-Control, CDN-Cache-Control"}').config;
    expect(c.targetedFields.length).toBe(2);
    expect(text(c.targetedFields[0])).toBe("edge-cache-control");
  });
  it("is turned off by an empty list, an empty string or null", () => {
    expect(parseConfig('{"targetedCacheControl":[]}').error).toBe("");
    expect(parseConfig('{"targetedCacheControl":[]}').config.targetedFields.length).toBe(0);
    expect(parseConfig('{"targetedCacheControl":""}').config.targetedFields.length).toBe(0);
    expect(parseConfig('{"targetedCacheControl":null}').config.targetedFields.length).toBe(0);
  });
  it("names the key of a bad header name or value", () => {
    expectMentions(parseConfig('{"targetedCacheControl":["bad name"]}').error, '"targetedCacheControl"');
    expectMentions(parseConfig('{"targetedCacheControl":["bad name"]}').error, '"bad name"');
    expectMentions(parseConfig('{"targetedCacheControl":["A:B"]}').error, '"A:B"');
    expectMentions(parseConfig('{"targetedCacheControl":{}}').error, "targetedCacheControl");
    expectMentions(parseConfig('{"targetedCacheControl":[{}]}').error, "targetedCacheControl");
  });
});

describe("stale serving configuration", () => {
  it("is off by default", () => {
    const c = parseConfig("{}").config;
    expect(c.maxStaleMs).toBe(0);
    expect(c.staleIfErrorMs).toBe(0);
  });
  it("takes JSON numbers as seconds", () => {
    const r = parseConfig('{"maxStale":30,"staleIfError":600}');
    expect(r.error).toBe("");
    expect(r.config.maxStaleMs).toBe(30000);
    expect(r.config.staleIfErrorMs).toBe(600000);
  });
  it("takes the file provider's duration strings", () => {
    const r = parseConfig('{"maxStale":"30s","staleIfError":"1h"}');
    expect(r.error).toBe("");
    expect(r.config.maxStaleMs).toBe(30000);
    expect(r.config.staleIfErrorMs).toBe(3600000);
    expect(parseConfig('{"maxStale":"0","staleIfError":"0s"}').config.staleIfErrorMs).toBe(0);
  });
  it("names the key of an invalid duration", () => {
    expectMentions(parseConfig('{"maxStale":"forever"}').error, '"maxStale"');
    expectMentions(parseConfig('{"maxStale":"forever"}').error, '"forever"');
    expectMentions(parseConfig('{"maxStale":"-5s"}').error, '"maxStale"');
    expectMentions(parseConfig('{"maxStale":true}').error, '"maxStale"');
    expectMentions(parseConfig('{"staleIfError":"soon"}').error, '"staleIfError"');
    expectMentions(parseConfig('{"staleIfError":[30]}').error, '"staleIfError"');
  });
});

describe("new top-level keys and unknown-key detection", () => {
  it("accepts all of them together", () => {
    const r = parseConfig('{"ignoreRequestCacheControl":"true","heuristicFreshness":"true",' +
      '"targetedCacheControl":["CDN-Cache-Control"],"maxStale":"30s","staleIfError":"5m"}');
    expect(r.error).toBe("");
    expect(r.config.ignoreRequestCacheControl).toBe(true);
    expect(r.config.heuristicFreshness).toBe(true);
    expect(r.config.targetedFields.length).toBe(1);
    expect(r.config.maxStaleMs).toBe(30000);
    expect(r.config.staleIfErrorMs).toBe(300000);
  });
  it("still rejects near misses, listing the new keys as known", () => {
    const error = parseConfig('{"staleIfErrors":"5m"}').error;
    expectMentions(error, '"staleIfErrors"');
    expectMentions(error, "staleIfError)");
    expectMentions(error, "targetedCacheControl");
    expectMentions(parseConfig('{"maxstale":"5m"}').error, '"maxstale"');
  });
});
