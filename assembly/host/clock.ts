// Wall-clock time through WASI. Traefik's monotonic clock is fake (+1 ms per read), so only the
// realtime clock is read.
import { CLOCK_REALTIME } from "../abi/constants";
import { clock_time_get } from "../abi/wasi_snapshot_preview1";

const timeSlot = memory.data(8);

/** Milliseconds since the Unix epoch. */
export function nowMillis(): i64 {
  if (clock_time_get(CLOCK_REALTIME, 1_000_000, timeSlot) != 0) return 0;
  return <i64>(load<u64>(timeSlot) / 1_000_000);
}
