// Files through WASI: finding a mounted directory, opening a file in it, and positional reads
// and writes of one contiguous buffer each (wazero turns several iovecs into several syscalls,
// which other instances could interleave; one buffer is one pwrite, never interleaved).
import {
  ERRNO_SUCCESS, FILESTAT_INODE_OFFSET, FILESTAT_MTIM_OFFSET, FILESTAT_SIZE_OFFSET, fd_close, path_filestat_get,
  OFLAGS_CREAT, OFLAGS_EXCL, PREOPEN_TYPE_DIR, RIGHT_FD_FILESTAT_GET, RIGHT_FD_FILESTAT_SET_SIZE, RIGHT_FD_READ,
  RIGHT_FD_SEEK, RIGHT_FD_WRITE, fd_filestat_get, fd_filestat_set_size, fd_prestat_dir_name, fd_prestat_get, fd_pread,
  fd_pwrite, path_create_directory, path_open, path_unlink_file, ERRNO_EXIST,
} from "../abi/wasi_fs";

/** The first preopen fd (0-2 are stdio). */
const FIRST_PREOPEN: u32 = 3;
/**
 * Preopens are scanned over a fixed range: a mount whose host directory is missing still takes
 * its fd and answers EBADF, so stopping at the first error would miss the mounts after it.
 */
const PREOPEN_SCAN: u32 = 64;
const MAX_DIR_NAME: u32 = 4096;

// One iovec, the result word and a filestat, reused by every call (an instance runs one request
// at a time).
const iovec = memory.data(8);
const result = memory.data(8);
const filestat = memory.data(64);
const dirName = memory.data(<i32>MAX_DIR_NAME);

/** A directory path as wazero compares them: no leading "/" or "./", no trailing "/". */
export function normaliseDirectory(path: string): string {
  let s = path;
  while (s.startsWith("./")) s = s.substring(2);
  while (s.startsWith("/")) s = s.substring(1);
  while (s.endsWith("/")) s = s.substring(0, s.length - 1);
  return s;
}

/** The guest paths of the mounted directories (settings.mounts), "/"-prefixed, in fd order. */
export function mountedDirectories(): string[] {
  const found: string[] = [];
  for (let fd = FIRST_PREOPEN; fd < FIRST_PREOPEN + PREOPEN_SCAN; fd++) {
    const name = preopenedDirectory(fd);
    if (name !== null) found.push("/" + name);
  }
  return found;
}

/** The normalised guest path of the directory preopened as `fd`, or null. */
function preopenedDirectory(fd: u32): string | null {
  if (fd_prestat_get(fd, result) != ERRNO_SUCCESS) return null;
  if (load<u8>(result) != PREOPEN_TYPE_DIR) return null;
  const len = load<u32>(result, 4);
  if (len > MAX_DIR_NAME || fd_prestat_dir_name(fd, dirName, len) != ERRNO_SUCCESS) return null;
  return normaliseDirectory(String.UTF8.decodeUnsafe(dirName, len));
}

/** The fd of the preopened directory mounted at `path` (the guest side of a mount), or -1. */
export function findPreopen(path: string): i32 {
  const wanted = normaliseDirectory(path);
  for (let fd = FIRST_PREOPEN; fd < FIRST_PREOPEN + PREOPEN_SCAN; fd++) {
    const name = preopenedDirectory(fd);
    if (name !== null && name == wanted) return <i32>fd;
  }
  return -1;
}

/** Opens (creating it if needed) a file for reading and writing; the fd, or -errno. */
export function openReadWrite(dirFd: i32, path: ArrayBuffer): i32 {
  const rights = RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_GET | RIGHT_FD_FILESTAT_SET_SIZE;
  const errno = path_open(<u32>dirFd, 0, changetype<usize>(path), <u32>path.byteLength, OFLAGS_CREAT,
    rights, 0, 0, result);
  return errno == ERRNO_SUCCESS ? load<i32>(result) : -(<i32>errno);
}

/** Bytes read (fewer at the end of the file), or -errno. */
export function readAt(fd: i32, ptr: usize, len: u32, offset: u64): i64 {
  store<u32>(iovec, <u32>ptr);
  store<u32>(iovec, len, 4);
  const errno = fd_pread(<u32>fd, iovec, 1, offset, result);
  return errno == ERRNO_SUCCESS ? <i64>load<u32>(result) : -(<i64>errno);
}

/** Whether all `len` bytes were written at `offset`, in one call. */
export function writeAt(fd: i32, ptr: usize, len: u32, offset: u64): bool {
  store<u32>(iovec, <u32>ptr);
  store<u32>(iovec, len, 4);
  return fd_pwrite(<u32>fd, iovec, 1, offset, result) == ERRNO_SUCCESS && load<u32>(result) == len;
}

/** The file's size, or -errno. */
export function fileSize(fd: i32): i64 {
  const errno = fd_filestat_get(<u32>fd, filestat);
  return errno == ERRNO_SUCCESS ? load<i64>(filestat, FILESTAT_SIZE_OFFSET) : -(<i64>errno);
}

/** Sets the file's size (sparse: it reserves no disk pages). */
export function setFileSize(fd: i32, size: u64): bool {
  return fd_filestat_set_size(<u32>fd, size) == ERRNO_SUCCESS;
}

/**
 * Whether `fd` is still the file named `name` in the directory: false once the name was removed
 * or another file renamed over it (the fd then keeps an orphan alive).
 */
export function isStillNamed(fd: i32, dirFd: i32, name: ArrayBuffer): bool {
  if (fd_filestat_get(<u32>fd, filestat) != ERRNO_SUCCESS) return false;
  const inode = load<u64>(filestat, FILESTAT_INODE_OFFSET);
  if (path_filestat_get(<u32>dirFd, 0, changetype<usize>(name), <u32>name.byteLength, filestat) != ERRNO_SUCCESS) {
    return false;
  }
  return load<u64>(filestat, FILESTAT_INODE_OFFSET) == inode;
}

/**
 * Creates the file only if no file has that name (O_CREAT|O_EXCL, atomic between processes):
 * 0 when this call created it, else the WASI errno (ERRNO_EXIST when it exists).
 */
export function createExclusive(dirFd: i32, path: usize, pathLen: u32): u16 {
  const errno = path_open(<u32>dirFd, 0, path, pathLen, OFLAGS_CREAT | OFLAGS_EXCL, RIGHT_FD_WRITE, 0, 0, result);
  if (errno == ERRNO_SUCCESS) fd_close(load<u32>(result));
  return errno;
}

/** Creates the directory unless it exists; whether it exists now. */
export function ensureDirectory(dirFd: i32, path: ArrayBuffer): bool {
  const errno = path_create_directory(<u32>dirFd, changetype<usize>(path), <u32>path.byteLength);
  return errno == ERRNO_SUCCESS || errno == ERRNO_EXIST;
}

/** Removes the file; 0 or the WASI errno. */
export function removeFile(dirFd: i32, path: usize, pathLen: u32): u16 {
  return path_unlink_file(<u32>dirFd, path, pathLen);
}

/** When the file's data was last modified, in ns since the Unix epoch; -errno when it cannot be read. */
export function modifiedAtNanos(dirFd: i32, path: usize, pathLen: u32): i64 {
  const errno = path_filestat_get(<u32>dirFd, 0, path, pathLen, filestat);
  return errno == ERRNO_SUCCESS ? load<i64>(filestat, FILESTAT_MTIM_OFFSET) : -(<i64>errno);
}

export function closeFile(fd: i32): void {
  fd_close(<u32>fd);
}
