// The store section of the configuration, and which store a middleware gets.
//
// The shared store (one file every instance uses) is the default whenever the plugin has a
// mounted directory: the one mounted at /cache, else the only one. Memory only, each instance
// its own cache, is what a middleware gets when nothing is mounted, or asks for with
// `store.shared: false`. store.memory.limit keeps the meaning Traefik Hub users give it (the
// cache's size): with the shared store and no store.shared.limit, it sizes the shared file.
import { Config } from "../config";
import { normaliseDirectory } from "../host/fs";
import { JsonKind, JsonValue } from "./json";
import { Reader } from "./reader";
import { GIB, MIB, TIB } from "./units";

export const DEFAULT_MEMORY_LIMIT: i64 = 64 * MIB;
export const MIN_MEMORY_LIMIT: i64 = MIB;
/** The arena is one allocator block, and AssemblyScript's allocator caps a block below 1 GiB. */
export const MAX_MEMORY_LIMIT: i64 = GIB - MIB;
/** With a shared store the memory store is only a front for hot entries. */
export const DEFAULT_FRONT_MEMORY_LIMIT: i64 = 16 * MIB;
export const DEFAULT_SHARED_LIMIT: i64 = 256 * MIB;
export const MIN_SHARED_LIMIT: i64 = 4 * MIB;
export const MAX_SHARED_LIMIT: i64 = TIB;
/** The guest directory chosen first when several are mounted. */
export const DEFAULT_STORE_DIRECTORY = "/cache";
/** What the memory-only notice tells the operator to add to Traefik's static configuration. */
export const MOUNT_HINT = "settings.mounts: [\"/var/cache/httpcache:/cache\"]";

const STORE_KEYS = ["memory", "shared"];
const MEMORY_KEYS = ["limit"];
const SHARED_KEYS = ["path", "limit"];

/** What the store section asked for, before the mounts are known. */
export class StoreRequest {
  /** store.shared: false. */
  memoryOnly: bool = false;
  /** store.shared.path, or "" to choose among the mounts. */
  path: string = "";
  /** store.shared: true (or an object): a shared store is wanted even without a path. */
  sharedAsked: bool = false;
  /** Sizes as written, or -1 when absent. */
  memoryLimit: i64 = -1;
  sharedLimit: i64 = -1;
}

export function readStore(r: Reader, request: StoreRequest, v: JsonValue): void {
  if (!r.object("store", v)) return;
  r.unknown("store.", v, STORE_KEYS);
  const shared = v.get("shared");
  if (shared !== null) readShared(r, request, shared);
  const memory = v.get("memory");
  if (memory !== null && r.object("store.memory", memory)) {
    r.unknown("store.memory.", memory, MEMORY_KEYS);
    const limit = memory.get("limit");
    if (limit !== null) {
      request.memoryLimit = r.size("store.memory.limit", limit);
      if (r.error.length == 0 && request.memoryLimit < MIN_MEMORY_LIMIT) {
        r.fail("store.memory.limit", "a size of at least 1Mi", limit);
      }
    }
  }
}

/** store.shared: false, true, or {path, limit}; the path is only checked for shape here. */
function readShared(r: Reader, request: StoreRequest, v: JsonValue): void {
  if (v.kind != JsonKind.Object) {
    request.memoryOnly = !r.boolean("store.shared", v);
    request.sharedAsked = !request.memoryOnly;
    return;
  }
  r.unknown("store.shared.", v, SHARED_KEYS);
  request.sharedAsked = true;
  const path = v.get("path");
  if (path !== null) {
    const text = r.string("store.shared.path", path).trim();
    if (r.error.length == 0 && !text.startsWith("/")) r.fail("store.shared.path", "an absolute directory such as \"/cache\"", path);
    request.path = text;
  }
  const limit = v.get("limit");
  if (limit !== null) {
    request.sharedLimit = r.size("store.shared.limit", limit);
    if (r.error.length == 0 && (request.sharedLimit < MIN_SHARED_LIMIT || request.sharedLimit > MAX_SHARED_LIMIT)) {
      r.fail("store.shared.limit", "a size from 4Mi to 1Ti", limit);
    }
  }
}

/**
 * Picks the store from the request and the mounted directories (guest paths), and sets
 * config.sharedPath, sharedLimit and memoryLimit. Warnings go to `warnings`; the memory-only
 * notice (nothing mounted) to config.memoryOnlyNotice.
 */
export function chooseStore(r: Reader, c: Config, request: StoreRequest, mounted: string[], warnings: string[]): void {
  if (!request.memoryOnly) c.sharedPath = request.path.length > 0 ? request.path : pickDirectory(mounted);
  if (c.sharedPath.length == 0 && !request.memoryOnly) {
    if (request.sharedAsked) {
      r.failMessage("key \"store.shared\": no directory is mounted for the shared store: add " + MOUNT_HINT +
        " to the plugin in Traefik's static configuration, or set store.shared.path to a mounted directory");
      return;
    }
    if (mounted.length > 1) {
      warnings.push("several directories are mounted (" + mounted.join(", ") + ") and none at " +
        DEFAULT_STORE_DIRECTORY + ": using memory only; set store.shared.path to the one for the cache");
    } else {
      c.memoryOnlyNotice = "no directory is mounted, so each plugin instance keeps its own memory cache " +
        "(Traefik runs one per request in flight and replaces them often): a URL can miss once per instance and " +
        "purges reach one instance. One cache for every instance: add " + MOUNT_HINT + " to this plugin in " +
        "Traefik's static configuration (experimental.localPlugins or experimental.plugins), or set " +
        "store.shared: false to keep memory only without this message";
    }
  }
  if (c.sharedPath.length > 0) {
    c.sharedLimit = request.sharedLimit >= 0 ? request.sharedLimit : DEFAULT_SHARED_LIMIT;
    c.memoryLimit = DEFAULT_FRONT_MEMORY_LIMIT;
    if (request.sharedLimit < 0 && request.memoryLimit >= 0) {
      // Hub's store.memory.limit is the cache's size: with one shared cache, that is the file.
      c.sharedLimit = clamp(request.memoryLimit, MIN_SHARED_LIMIT, MAX_SHARED_LIMIT);
      if (c.sharedLimit != request.memoryLimit) {
        warnings.push("store.memory.limit " + request.memoryLimit.toString() + " bytes is below the shared store's " +
          "minimum: the shared store holds " + c.sharedLimit.toString() + " bytes");
      }
    } else if (request.memoryLimit >= 0) {
      // Both sizes given: store.memory.limit is each instance's memory front.
      c.memoryLimit = memoryLimitApplied(request.memoryLimit, "each instance's memory front", warnings);
    }
  } else {
    c.memoryLimit = request.memoryLimit >= 0 ?
      memoryLimitApplied(request.memoryLimit, "each instance's memory store", warnings) : DEFAULT_MEMORY_LIMIT;
  }
}

/** The directory mounted at /cache, else the only one; "" when none or several. */
function pickDirectory(mounted: string[]): string {
  for (let i = 0; i < mounted.length; i++) {
    if (normaliseDirectory(mounted[i]) == normaliseDirectory(DEFAULT_STORE_DIRECTORY)) return mounted[i];
  }
  return mounted.length == 1 ? mounted[0] : "";
}

/** A memory limit above what one instance can hold is clamped, with a warning naming what applies. */
function memoryLimitApplied(limit: i64, what: string, warnings: string[]): i64 {
  if (limit <= MAX_MEMORY_LIMIT) return limit;
  warnings.push("store.memory.limit " + limit.toString() + " bytes is more than " + what + " can hold: " +
    MAX_MEMORY_LIMIT.toString() + " bytes (1023Mi) applied. For one cache of that size, mount a directory " +
    "(" + MOUNT_HINT + "): store.memory.limit then sizes the shared store");
  return MAX_MEMORY_LIMIT;
}

function clamp(value: i64, low: i64, high: i64): i64 {
  return value < low ? low : value > high ? high : value;
}
