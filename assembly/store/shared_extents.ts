// Claiming the shared store's log for one instance, without a lock and without waiting for anyone.
//
// The log is cut into extents of EXTENT_SIZE; extent k holds virtual positions k*E .. (k+1)*E and
// sits in the file at (k mod extentCount). An instance claims the next free extent (or a run of
// them, for a record larger than one) by creating `<store file>.claims/x<k in hex>` with O_CREAT|O_EXCL:
// exactly one creator succeeds, so an extent has one writer and every record position (version)
// is written once. A claimer that finds k taken tries k+1: claiming never waits for another
// instance, however slow (a Traefik goroutine inside the guest cannot sleep or yield, so a lock
// that makes writers wait for each other collapses when many stores arrive at once).
//
// The head of the log (where to start looking) is kept in the control block's head words; it is
// a hint: a claimer that read an old head only finds its extents taken. Claim files are removed
// CLAIMS_KEPT extents later, so that a claimer that read the head long ago cannot create an old
// name again; after it creates one, it reads the head again and gives up a claim that far back.
import { ERRNO_EXIST, ERRNO_SUCCESS } from "../abi/wasi_fs";
import { createExclusive, readAt, removeFile, writeAt } from "../host/fs";
import { CONTROL_HEAD_END, EXTENT_SIZE, Geometry, HEAD_OFFSET, HEAD_SLOTS } from "./shared_layout";
import { MarkerName } from "./shared_names";

/** Claim files kept behind the newest claim (empty files: a directory of about this many). */
export const CLAIMS_KEPT: u64 = 512;
/** A claim this many extents behind the head may re-use a removed name: it is given up. */
const CLAIM_TOO_OLD: u64 = CLAIMS_KEPT / 2;
/** Extents tried by one claim before it gives up (the response is then not stored). */
const MAX_PROBES: u32 = 4096;
const CLAIM_KIND = "x";

const headWords = memory.data(<i32>CONTROL_HEAD_END);
const word = memory.data(8);

export class ExtentClaims {
  private dirFd: i32;
  private name: MarkerName;

  constructor(dirFd: i32, storeFileName: string) {
    this.dirFd = dirFd;
    this.name = new MarkerName(storeFileName, CLAIM_KIND);
  }

  /**
   * Claims `count` consecutive extents that do not cross the end of the file, starting the
   * search at the log head `head` (as last read). Returns the first extent's index, or -1.
   */
  claim(fd: i32, g: Geometry, count: u32, head: u64): i64 {
    const extents = g.extentCount;
    if (<u64>count > extents) return -1;
    let k = head / EXTENT_SIZE;
    let skipped: u64 = 0; // extents jumped over at the end of a lap: no claimer removes their names' elders
    for (let probes: u32 = 0; probes < MAX_PROBES; probes++) {
      const inLap = k % extents;
      if (inLap + <u64>count > extents) {
        skipped += extents - inLap;
        k += extents - inLap;
      }
      let claimed: u32 = 0;
      let errno = ERRNO_SUCCESS;
      while (claimed < count) {
        errno = createExclusive(this.dirFd, this.nameOf(k + <u64>claimed), this.name.length);
        if (errno != ERRNO_SUCCESS) break;
        claimed++;
      }
      if (claimed == count) {
        const newest = this.readHead(fd);
        if (newest < 0) {
          this.removeRange(k, <u64>count);
          return -1;
        }
        if (k + CLAIM_TOO_OLD <= <u64>newest / EXTENT_SIZE) {
          // Our head was very old: these names may have been claimed, used and removed since.
          this.removeRange(k, <u64>count);
          k = <u64>newest / EXTENT_SIZE;
          continue;
        }
        const end = (k + <u64>count) * EXTENT_SIZE;
        store<u64>(word, end);
        writeAt(fd, word, 8, HEAD_OFFSET + (k % <u64>HEAD_SLOTS) * 8);
        // The names CLAIMS_KEPT behind ours (and behind the extents skipped to get here).
        const oldest = k >= CLAIMS_KEPT + skipped ? k - CLAIMS_KEPT - skipped : 0;
        const upTo = k + <u64>count >= CLAIMS_KEPT ? k + <u64>count - CLAIMS_KEPT : 0;
        if (upTo > oldest) this.removeRange(oldest, upTo - oldest);
        return <i64>k;
      }
      // Unused: give the names back at once (nothing was written there).
      this.removeRange(k, <u64>claimed);
      if (errno != ERRNO_EXIST) return -1;
      k += <u64>claimed + 1; // past the extent someone else holds
    }
    return -1;
  }

  /** Removes the claim files near an old head, after the file was emptied and the head moved far on. */
  forget(oldHead: u64): void {
    const k = oldHead / EXTENT_SIZE;
    const from = k > CLAIMS_KEPT ? k - CLAIMS_KEPT : 0;
    this.removeRange(from, CLAIMS_KEPT + <u64>HEAD_SLOTS);
  }

  /** The head as the control block has it now, or -1 when it cannot be read. */
  private readHead(fd: i32): i64 {
    if (readAt(fd, headWords, CONTROL_HEAD_END, 0) != <i64>CONTROL_HEAD_END) return -1;
    return <i64>Geometry.headOf(headWords);
  }

  private removeRange(first: u64, count: u64): void {
    for (let i: u64 = 0; i < count; i++) removeFile(this.dirFd, this.nameOf(first + i), this.name.length);
  }

  private nameOf(k: u64): usize {
    return this.name.of(k);
  }
}
