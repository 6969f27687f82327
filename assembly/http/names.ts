// Header names (lowercase, as the host reports them) and fixed header values, encoded once.

export const HOST = String.UTF8.encode("host");
export const CACHE_CONTROL = String.UTF8.encode("cache-control");
export const PRAGMA = String.UTF8.encode("pragma");
export const AUTHORIZATION = String.UTF8.encode("authorization");
export const RANGE = String.UTF8.encode("range");
export const UPGRADE = String.UTF8.encode("upgrade");
export const ACCEPT = String.UTF8.encode("accept");
export const EXPIRES = String.UTF8.encode("expires");
export const DATE = String.UTF8.encode("date");
export const AGE = String.UTF8.encode("age");
export const SET_COOKIE = String.UTF8.encode("set-cookie");
export const VARY = String.UTF8.encode("vary");
export const CONTENT_LENGTH = String.UTF8.encode("content-length");
export const CONNECTION = String.UTF8.encode("connection");
export const X_CACHE_STATUS = String.UTF8.encode("x-cache-status");
export const ETAG = String.UTF8.encode("etag");
export const LAST_MODIFIED = String.UTF8.encode("last-modified");
export const IF_NONE_MATCH = String.UTF8.encode("if-none-match");
export const IF_MODIFIED_SINCE = String.UTF8.encode("if-modified-since");
export const LOCATION = String.UTF8.encode("location");
export const CONTENT_LOCATION = String.UTF8.encode("content-location");

// Names of the fields we set on answers, in Go's canonical form: the host then copies nothing.
export const AGE_FIELD = String.UTF8.encode("Age");
export const CACHE_STATUS_FIELD = String.UTF8.encode("Cache-Status");
export const X_CACHE_STATUS_FIELD = String.UTF8.encode("X-Cache-Status");
export const CONTENT_TYPE_FIELD = String.UTF8.encode("Content-Type");
export const SET_COOKIE_FIELD = String.UTF8.encode("Set-Cookie");
export const IF_NONE_MATCH_FIELD = String.UTF8.encode("If-None-Match");
export const IF_MODIFIED_SINCE_FIELD = String.UTF8.encode("If-Modified-Since");

/** Hop-by-hop fields (RFC 9110 §7.6.1), never stored. */
export const HOP_BY_HOP: ArrayBuffer[] = [
  String.UTF8.encode("connection"),
  String.UTF8.encode("keep-alive"),
  String.UTF8.encode("proxy-connection"),
  String.UTF8.encode("proxy-authenticate"),
  String.UTF8.encode("proxy-authorization"),
  String.UTF8.encode("te"),
  String.UTF8.encode("trailer"),
  String.UTF8.encode("transfer-encoding"),
  String.UTF8.encode("upgrade"),
];

/** What a 304 carries (RFC 9110 §15.4.5), plus Last-Modified: the fields that describe the representation. */
export const NOT_MODIFIED_FIELDS: ArrayBuffer[] = [
  String.UTF8.encode("cache-control"),
  String.UTF8.encode("content-location"),
  String.UTF8.encode("date"),
  String.UTF8.encode("etag"),
  String.UTF8.encode("expires"),
  String.UTF8.encode("last-modified"),
  String.UTF8.encode("vary"),
];

export const NO_CACHE_VALUE = String.UTF8.encode("no-cache");
export const EVENT_STREAM = String.UTF8.encode("text/event-stream");
export const TEXT_PLAIN = String.UTF8.encode("text/plain; charset=utf-8");

// X-Cache-Status values.
export const STATUS_HIT = String.UTF8.encode("HIT");
export const STATUS_MISS = String.UTF8.encode("MISS");
export const STATUS_EXPIRED = String.UTF8.encode("EXPIRED");
export const STATUS_BYPASS = String.UTF8.encode("BYPASS");
export const STATUS_STALE = String.UTF8.encode("STALE");
export const STATUS_UPDATING = String.UTF8.encode("UPDATING");
export const STATUS_REVALIDATED = String.UTF8.encode("REVALIDATED");
