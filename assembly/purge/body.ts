// Reads the JSON body of POST {purge.path}: {"urls":[…],"prefixes":[…],"tags":[…],"all":false}.
// Strict: a wrong type, an unknown member or an empty request is an error whose message says
// what is wrong and where, for the 400 answer. Members set to null count as absent.
import { Config } from "../config";
import { JsonKind, JsonValue, parseJson } from "../config/json";
import { PurgeRequest } from "../store/purge";
import { TargetBuilder } from "./target";
import { isTagSeparator, tagHash } from "./tags";

const MEMBERS = ["urls", "prefixes", "tags", "all"];
/**
 * URLs, prefixes and tags in one request, at most: a scan compares every entry with every prefix
 * and tag, so this bounds how long one purge holds its instance.
 */
export const MAX_PURGE_ITEMS: i32 = 1000;

export class PurgeParse {
  request: PurgeRequest = new PurgeRequest();
  /** "" when the body is a valid purge request. */
  error: string = "";
}

/** Parses a purge body; `host` (the request's Host) completes the paths. */
export function parsePurgeBody(text: string, host: ArrayBuffer, config: Config): PurgeParse {
  const out = new PurgeParse();
  const json = parseJson(text);
  if (json.value === null) {
    out.error = "the body is not valid JSON: " + json.error;
    return out;
  }
  const root = json.value!;
  if (root.kind != JsonKind.Object) {
    out.error = "expected a JSON object such as {\"urls\":[\"/products/1\"]} (got " + root.describe() + ")";
    return out;
  }
  for (let i = 0; i < root.keys.length; i++) {
    if (!MEMBERS.includes(root.keys[i])) {
      out.error = "unknown member \"" + root.keys[i] + "\" (known: " + MEMBERS.join(", ") + ")";
      return out;
    }
  }
  let items = 0;
  for (let i = 0; i < 3; i++) {
    const list = root.get(MEMBERS[i]);
    if (list !== null && list.kind == JsonKind.Array) items += list.items.length;
  }
  if (items > MAX_PURGE_ITEMS) {
    out.error = items.toString() + " urls, prefixes and tags: at most " + MAX_PURGE_ITEMS.toString() +
      " in one request (send several)";
    return out;
  }
  const builder = new TargetBuilder();
  readTargets(out, root, "urls", builder, host, config);
  readTargets(out, root, "prefixes", builder, host, config);
  readTags(out, root);
  const all = root.get("all");
  if (out.error.length == 0 && all !== null && all.kind != JsonKind.Null) {
    if (all.kind == JsonKind.Bool) out.request.all = all.text == "true";
    else out.error = "\"all\": expected true or false (got " + all.describe() + ")";
  }
  if (out.error.length == 0 && out.request.isEmpty) {
    out.error = "nothing to purge: give \"urls\", \"prefixes\", \"tags\" or \"all\": true";
  }
  return out;
}

/** The member's strings, or null when it is absent; sets the error when it is not a list of strings. */
function strings(out: PurgeParse, root: JsonValue, member: string): JsonValue[] | null {
  const v = root.get(member);
  if (out.error.length != 0 || v === null || v.kind == JsonKind.Null) return null;
  if (v.kind != JsonKind.Array) {
    out.error = "\"" + member + "\": expected a list of strings (got " + v.describe() + ")";
    return null;
  }
  for (let i = 0; i < v.items.length; i++) {
    if (v.items[i].kind != JsonKind.String) {
      out.error = member + "[" + i.toString() + "]: expected a string (got " + v.items[i].describe() + ")";
      return null;
    }
  }
  return v.items;
}

function readTargets(out: PurgeParse, root: JsonValue, member: string, builder: TargetBuilder,
  host: ArrayBuffer, config: Config): void {
  const items = strings(out, root, member);
  if (items === null) return;
  const isUrl = member == "urls";
  for (let i = 0; i < items.length; i++) {
    const text = items[i].text;
    const key = isUrl ? builder.url(text, host, config) : builder.prefix(text, host);
    if (key === null) {
      out.error = member + "[" + i.toString() + "] " + items[i].describe() + ": " + builder.error;
      return;
    }
    if (isUrl) out.request.urls.push(key);
    else out.request.prefixes.push(key);
  }
}

function readTags(out: PurgeParse, root: JsonValue): void {
  const items = strings(out, root, "tags");
  if (items === null) return;
  for (let i = 0; i < items.length; i++) {
    const bytes = String.UTF8.encode(items[i].text);
    const p = changetype<usize>(bytes);
    const len = <u32>bytes.byteLength;
    let valid = len > 0;
    for (let j: u32 = 0; j < len; j++) if (isTagSeparator(load<u8>(p + j))) valid = false;
    if (!valid) {
      // Responses' tag headers are split on these, so such a tag could never match.
      out.error = "tags[" + i.toString() + "] " + items[i].describe() + ": a tag is not empty and has no commas or whitespace";
      return;
    }
    out.request.tags.push(tagHash(p, len));
  }
}
