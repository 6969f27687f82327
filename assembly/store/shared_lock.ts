// Locks on parts of the shared store (one index bucket each), between instances, routers and
// Traefik processes. WASI preview 1 has no lock and no compare-and-swap; its one atomic file
// operation is creating a file with O_CREAT|O_EXCL, so a lock is an empty file beside the store,
// `<store file>.claims/b<id in hex>.<generation>`, held while it exists.
//
// A holder that dies (kill -9, host crash) leaves its file behind. A hold lasts microseconds, so a
// lock file older than LOCK_STALE_MS is a dead holder's; it is not removed (two instances removing
// and re-creating one name could both end up holding it) but superseded: the next generation's
// file is created, and whoever creates it holds the lock once it has checked that the generation
// before is still the stale one. The holder of generation g removes generations 0..g-1, then its
// own, lowest first, so that a new generation 0 can only appear after every older one is gone.
//
// A waiter cannot sleep (Traefik's WASI sleeps return at once), so it retries: locks are taken
// per bucket, where two writers meet only when they store into one bucket at the same moment.
//
// The price of a lock taken and given back: path_open (create), fd_close, path_unlink_file.
import { ERRNO_EXIST, ERRNO_SUCCESS } from "../abi/wasi_fs";
import { createExclusive, modifiedAtNanos, removeFile } from "../host/fs";
import { MarkerName } from "./shared_names";

/** A lock file older than this was left by a holder that died (a hold lasts microseconds). */
export const LOCK_STALE_MS: i64 = 1000;
/** Generations tried before giving up (each one supersedes a dead holder's). */
const MAX_GENERATIONS: u32 = 10;
const NANOS_PER_MS: i64 = 1_000_000;
const LOCK_KIND = "b";
/** After the id: "." and one generation digit. */
const GENERATION_SUFFIX: u32 = 2;

export const enum LockAttempt {
  /** This instance holds the lock. */
  Taken,
  /** A live holder has it: try again. */
  Busy,
  /** The directory refuses lock files (an I/O error): do not wait for it. */
  Failed,
}

export class StoreLock {
  private dirFd: i32;
  private name: MarkerName;
  private held: bool = false;
  private generation: u32 = 0;

  constructor(dirFd: i32, storeFileName: string) {
    this.dirFd = dirFd;
    this.name = new MarkerName(storeFileName, LOCK_KIND, GENERATION_SUFFIX);
    store<u8>(this.name.suffix, 0x2e); // "."
  }

  /** One attempt to take lock `id`, superseding generations left by dead holders. */
  take(id: u64, nowMs: i64): LockAttempt {
    this.name.of(id);
    for (let g: u32 = 0; g < MAX_GENERATIONS; g++) {
      const errno = createExclusive(this.dirFd, this.nameOf(g), this.name.length);
      if (errno == ERRNO_SUCCESS) {
        // Superseding: only while the generation before is still the dead holder's. If it is
        // gone, its holder let go and a new generation 0 may be held right now.
        if (g > 0 && !this.isStale(g - 1, nowMs)) {
          removeFile(this.dirFd, this.nameOf(g), this.name.length);
          return LockAttempt.Busy;
        }
        this.held = true;
        this.generation = g;
        return LockAttempt.Taken;
      }
      if (errno != ERRNO_EXIST) return LockAttempt.Failed;
      if (!this.isStale(g, nowMs)) return LockAttempt.Busy;
    }
    return LockAttempt.Failed;
  }

  /** Gives the lock back: the dead holders' files first, then this one's. */
  release(): void {
    if (!this.held) return;
    for (let g: u32 = 0; g <= this.generation; g++) removeFile(this.dirFd, this.nameOf(g), this.name.length);
    this.held = false;
  }

  /** Whether generation g's file exists and is older than LOCK_STALE_MS. */
  private isStale(g: u32, nowMs: i64): bool {
    const modified = modifiedAtNanos(this.dirFd, this.nameOf(g), this.name.length);
    return modified >= 0 && nowMs * NANOS_PER_MS - modified > LOCK_STALE_MS * NANOS_PER_MS;
  }

  private nameOf(g: u32): usize {
    store<u8>(this.name.suffix + 1, <u8>(0x30 + g));
    return this.name.ptr;
  }
}
