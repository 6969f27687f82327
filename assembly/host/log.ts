// Logging filtered by the configured level: Traefik logs every level it is given, so the guest
// filters. Level 3 is never used (Traefik maps it to fatal).
import { LOG_LEVEL_DEBUG, LOG_LEVEL_ERROR, LOG_LEVEL_INFO, LOG_LEVEL_WARN } from "../abi/constants";
import { log } from "../abi/http_handler";

let minimumLevel: i32 = LOG_LEVEL_INFO;

export function setLogLevel(level: i32): void {
  minimumLevel = level;
}

export function logEnabled(level: i32): bool {
  return level >= minimumLevel;
}

function write(level: i32, message: string): void {
  if (level < minimumLevel) return;
  const bytes = String.UTF8.encode("httpcache: " + message);
  log(level, changetype<usize>(bytes), <u32>bytes.byteLength);
}

export function logDebug(message: string): void { write(LOG_LEVEL_DEBUG, message); }
export function logInfo(message: string): void { write(LOG_LEVEL_INFO, message); }
export function logWarn(message: string): void { write(LOG_LEVEL_WARN, message); }
export function logError(message: string): void { write(LOG_LEVEL_ERROR, message); }
