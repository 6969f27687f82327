// RFC 9213 targeted fields (CDN-Cache-Control): an RFC 8941 Dictionary, ignored whole when invalid.
import { bytes, len, ptr } from "./helpers";
import { ABSENT, CacheControl, isDictionary } from "../http/cache_control";

function dictionary(value: string): bool {
  const b = bytes(value);
  return isDictionary(ptr(b), len(b));
}

/** A fresh CacheControl after parseTargeted; `accepted` gets what it returned. */
let accepted = false;
function targeted(value: string): CacheControl {
  const cc = new CacheControl();
  const b = bytes(value);
  accepted = cc.parseTargeted(ptr(b), len(b));
  return cc;
}

const VALID: string[] = [
  "max-age=60",
  "max-age=60, stale-if-error=30",
  "max-age=60,stale-if-error=30",
  "max-age=60 ,\tno-store",
  "  max-age=60  ",
  "no-store",
  "no-store=?1",
  "no-store=?0",
  "private=\"set-cookie\"",
  "no-cache=\"Set-Cookie, X-Foo\"",
  "x=\"a \\\"quoted\\\" \\\\ value\"",
  "x=\"\"",
  "x=Token",
  "x=*tok/en:1.0",
  "x=-5",
  "max-age=999999999999999", // 15 digits: the largest SF Integer
  "*=1",
  "a_b.c-d*9=1",
  "max-age=10000\0", // one field line as the host gives it
  "\0max-age=10000\0",
];

const INVALID: string[] = [
  "",
  " ",
  "\0",
  "max-age=10000, &&&&&",
  "&&&&&, max-age=10000",
  "Max-Age=60",
  "max-age=60, No-Store",
  "1max-age=60",
  "_x=1",
  "max-age=60,",
  "max-age=60, ",
  ",max-age=60",
  "max-age=60,,no-store",
  "max-age=60 no-store",
  "max-age=",
  "max-age =60",
  "max-age= 60",
  "max-age=60s",
  "max-age=1000000000000000", // 16 digits
  "x=-",
  "x=?",
  "x=?2",
  "x=\"unterminated",
  "x=\"ends in an escape\\\"",
  "x=\"tab\tinside\"",
  "x=\"caf\u00e9\"",
  "x=_token",
  "x=(a b)",
  "x=%",
];

describe("isDictionary (RFC 8941 §4.2.2)", () => {
  it("accepts Dictionaries of integers, strings, tokens and booleans", () => {
    for (let i = 0; i < VALID.length; i++) expect(dictionary(VALID[i])).toBe(true, VALID[i]);
  });

  it("rejects anything else, and an empty field", () => {
    for (let i = 0; i < INVALID.length; i++) expect(dictionary(INVALID[i])).toBe(false, INVALID[i]);
  });
});

describe("parseTargeted (RFC 9213 §2.1)", () => {
  it("reads a valid field like Cache-Control", () => {
    const cc = targeted("max-age=60, stale-if-error=30");
    expect(accepted).toBe(true);
    expect(cc.present).toBe(true);
    expect(cc.maxAge).toBe(60);
    expect(cc.staleIfError).toBe(30);
  });

  it("reads boolean and token members", () => {
    const cc = targeted("public, must-revalidate=?1, s-maxage=120");
    expect(accepted).toBe(true);
    expect(cc.isPublic).toBe(true);
    expect(cc.mustRevalidate).toBe(true);
    expect(cc.sMaxAge).toBe(120);
    expect(targeted("no-store").noStore).toBe(true);
    expect(targeted("max-age=soon").maxAgeInvalid).toBe(true);
  });

  it("ignores an invalid field whole, leaving nothing parsed", () => {
    const cc = targeted("max-age=10000, &&&&&");
    expect(accepted).toBe(false);
    expect(cc.present).toBe(false);
    expect(cc.maxAge).toBe(ABSENT);
    expect(cc.maxAgeInvalid).toBe(false);
    const upper = targeted("Max-Age=60, no-store");
    expect(accepted).toBe(false);
    expect(upper.noStore).toBe(false);
    targeted("max-age=60,");
    expect(accepted).toBe(false);
    targeted("");
    expect(accepted).toBe(false);
  });

  it("treats a quoted number as a string: a valid field whose max-age is invalid (stale)", () => {
    const cc = targeted("max-age=\"10000\"");
    expect(accepted).toBe(true);
    expect(cc.maxAge).toBe(ABSENT);
    expect(cc.maxAgeInvalid).toBe(true);
    const s = targeted("s-maxage=\"60\", max-age=60");
    expect(accepted).toBe(true);
    expect(s.sMaxAgeInvalid).toBe(true);
    expect(s.maxAge).toBe(60);
  });

  it("stops being strict after a targeted field: Cache-Control may quote numbers", () => {
    const cc = targeted("max-age=\"10\"");
    const b = bytes("s-maxage=\"20\"");
    cc.parse(ptr(b), len(b));
    expect(cc.sMaxAge).toBe(20);
    expect(cc.sMaxAgeInvalid).toBe(false);
  });
});

describe("parseTargeted: several lines, qualified directives, parameters, decimals", () => {
  it("combines several field lines like one list (RFC 8941 §4.2: lines join with commas)", () => {
    // The host gives each line NUL-terminated: the end of a line separates members like a comma.
    expect(dictionary("max-age=60\0stale-if-error=30\0")).toBe(true);
    const cc = targeted("max-age=60\0stale-if-error=30\0");
    expect(accepted).toBe(true);
    expect(cc.maxAge).toBe(60);
    expect(dictionary("max-age=60,\0")).toBe(false);
  });

  it("keeps no-cache=\"F\" and private=\"F\" qualified (RFC 9213 §2.1: their value is a String)", () => {
    const cc = targeted("private=\"set-cookie\", max-age=60");
    expect(accepted).toBe(true);
    expect(cc.isPrivate).toBe(false);
    expect(cc.privateQualified).toBe(true);
    const nc = targeted("no-cache=\"set-cookie\", max-age=60");
    expect(nc.noCache).toBe(false);
    expect(nc.noCacheQualified).toBe(true);
  });

  it("accepts a valid Dictionary with parameters or a decimal (RFC 9213 §2.1: ignore parameters; do not consume a decimal max-age)", () => {
    expect(dictionary("max-age=60;foo=bar")).toBe(true);
    const d = targeted("max-age=1.5");
    expect(accepted).toBe(true);
    expect(d.maxAgeInvalid).toBe(true);
  });
});
