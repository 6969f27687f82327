// The purge and tag sections of the configuration: purge.token / purge.tokenEnv / purge.path,
// tagHeaders. The token may come from the environment (settings.envs), looked up through `env`.
import { Config } from "../config";
import { JsonKind, JsonValue } from "./json";
import { Reader } from "./reader";

/** Looks up an environment variable (the host's WASI environment at run time; a fake in specs). */
export type EnvLookup = (name: string) => string | null;

/** The lookup specs get by default: no environment at all. */
export function noEnvironment(name: string): string | null {
  return null;
}

const PURGE_KEYS = ["token", "tokenEnv", "path"];
const UNRESOLVED_SECRET_PREFIX = "urn:k8s:secret:";

/** purge: enabled by a token, given directly or through an environment variable (settings.envs). */
export function readPurge(r: Reader, c: Config, v: JsonValue, env: EnvLookup): void {
  if (!r.object("purge", v)) return;
  r.unknown("purge.", v, PURGE_KEYS);
  const token = v.get("token");
  const tokenEnv = v.get("tokenEnv");
  let secret = "";
  if (token !== null && tokenEnv !== null) {
    r.failMessage("keys \"purge.token\" and \"purge.tokenEnv\": set one of them, not both");
    return;
  }
  if (token !== null) {
    const s: string | null = token.kind == JsonKind.Bool ? null : r.scalar(token);
    if (s === null) r.fail("purge.token", "a string", token);
    // Header values lose surrounding whitespace on the wire, and secrets read from files often end in a newline.
    else secret = s.trim();
    if (r.error.length == 0 && secret.length == 0) r.fail("purge.token", "a non-empty token", token);
    // Traefik's Kubernetes providers replace such a reference by the secret; any other provider
    // passes it through, and the "token" would then be public text in the configuration.
    if (r.error.length == 0 && secret.startsWith(UNRESOLVED_SECRET_PREFIX)) {
      r.fail("purge.token", "a token, not an unresolved Kubernetes secret reference (only Traefik's Kubernetes " +
        "providers resolve urn:k8s:secret:...; elsewhere use purge.tokenEnv)", token);
    }
  } else if (tokenEnv !== null) {
    const name = r.string("purge.tokenEnv", tokenEnv).trim();
    if (r.error.length == 0 && name.length == 0) r.fail("purge.tokenEnv", "the name of an environment variable", tokenEnv);
    if (r.error.length != 0) return;
    const value = env(name);
    if (value !== null) secret = value.trim();
    if (secret.length == 0) {
      r.failMessage("key \"purge.tokenEnv\": environment variable \"" + name + "\" is unset or empty (list it in the plugin's settings.envs)");
    }
  } else {
    r.failMessage("key \"purge\": set purge.token or purge.tokenEnv to enable the purge API");
  }
  const path = v.get("path");
  if (path !== null) {
    const text = r.string("purge.path", path).trim();
    if (r.error.length == 0 && (!text.startsWith("/") || text.includes("?") || text.includes(" "))) {
      r.fail("purge.path", "a path such as \"/_cache/purge\"", path);
    }
    c.purgePath = String.UTF8.encode(text);
  }
  if (r.error.length != 0) return;
  c.purgeEnabled = true;
  c.purgeToken = String.UTF8.encode(secret);
}
