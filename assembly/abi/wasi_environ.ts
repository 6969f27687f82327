// Raw WASI preview1 environment imports. Traefik passes the variables listed in a plugin's
// settings.envs as the guest's WASI environment (purge.tokenEnv reads one of them).
// https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md#environ_get

@external("wasi_snapshot_preview1", "environ_sizes_get")
export declare function environ_sizes_get(count: usize, buf_size: usize): u16;

@external("wasi_snapshot_preview1", "environ_get")
export declare function environ_get(environ: usize, environ_buf: usize): u16;
