// WASI preview1 file-system imports: what the shared store needs and nothing more.
// Traefik gives each `settings.mounts` entry to the guest as a preopened directory (fd 3 on).
// Every call returns a WASI errno (0 = success).

/** Fills a prestat at `buf`: u8 tag (0 = directory), then u32 name length. */
@external("wasi_snapshot_preview1", "fd_prestat_get")
export declare function fd_prestat_get(fd: u32, buf: usize): u16;

@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
export declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: u32): u16;

@external("wasi_snapshot_preview1", "path_open")
export declare function path_open(
  dirFd: u32, dirFlags: u32, path: usize, pathLen: u32, openFlags: u16,
  rightsBase: u64, rightsInheriting: u64, fdFlags: u16, fd: usize,
): u16;

/** Reads into the iovecs at offset; writes the byte count at `nread`. */
@external("wasi_snapshot_preview1", "fd_pread")
export declare function fd_pread(fd: u32, iovs: usize, iovsLen: u32, offset: u64, nread: usize): u16;

/** Writes the iovecs at offset. wazero makes one syscall per iovec: pass exactly one. */
@external("wasi_snapshot_preview1", "fd_pwrite")
export declare function fd_pwrite(fd: u32, iovs: usize, iovsLen: u32, offset: u64, nwritten: usize): u16;

/** Fills a 64-byte filestat; the size is the u64 at byte 32. */
@external("wasi_snapshot_preview1", "fd_filestat_get")
export declare function fd_filestat_get(fd: u32, buf: usize): u16;

/** The filestat of the file at `path` (relative to dirFd). */
@external("wasi_snapshot_preview1", "path_filestat_get")
export declare function path_filestat_get(dirFd: u32, flags: u32, path: usize, pathLen: u32, buf: usize): u16;

@external("wasi_snapshot_preview1", "fd_close")
export declare function fd_close(fd: u32): u16;

@external("wasi_snapshot_preview1", "fd_filestat_set_size")
export declare function fd_filestat_set_size(fd: u32, size: u64): u16;

@external("wasi_snapshot_preview1", "path_create_directory")
export declare function path_create_directory(dirFd: u32, path: usize, pathLen: u32): u16;

@external("wasi_snapshot_preview1", "path_unlink_file")
export declare function path_unlink_file(dirFd: u32, path: usize, pathLen: u32): u16;

export const ERRNO_SUCCESS: u16 = 0;
export const PREOPEN_TYPE_DIR: u8 = 0;
export const ERRNO_EXIST: u16 = 20;
export const ERRNO_NOENT: u16 = 44;
export const OFLAGS_CREAT: u16 = 1;
/** With OFLAGS_CREAT: fail with EEXIST when the file exists (WASI's one atomic file operation). */
export const OFLAGS_EXCL: u16 = 4;
export const RIGHT_FD_READ: u64 = 1 << 1;
/** fd_pread and fd_pwrite need it besides read and write (wazero does not check rights). */
export const RIGHT_FD_SEEK: u64 = 1 << 2;
export const RIGHT_FD_WRITE: u64 = 1 << 6;
export const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
export const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
export const FILESTAT_SIZE_OFFSET: u32 = 32;
export const FILESTAT_INODE_OFFSET: u32 = 8;
/** Last data modification, ns since the Unix epoch. */
export const FILESTAT_MTIM_OFFSET: u32 = 48;
