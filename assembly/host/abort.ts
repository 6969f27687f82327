// Replacements for AssemblyScript's `env` imports (Traefik provides no `env` module), wired in
// through `use` in asconfig.json. An abort is a bug: log it, then trap.
import { LOG_LEVEL_ERROR } from "../abi/constants";
import { log } from "../abi/http_handler";

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "httpcache: internal error: " + (message ? message : "abort") + " at " +
    (fileName ? fileName : "?") + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  log(LOG_LEVEL_ERROR, changetype<usize>(bytes), <u32>bytes.byteLength);
  unreachable();
}

export function trace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {}

// Seeds Math.random, which the cache does not use; a constant keeps the import away.
export function seed(): f64 {
  return 1.0;
}
