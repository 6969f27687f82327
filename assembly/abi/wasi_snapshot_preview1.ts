// Raw WASI preview1 imports. Only the wall clock is used: Traefik's monotonic clock is fake.

@external("wasi_snapshot_preview1", "clock_time_get")
export declare function clock_time_get(clock_id: u32, precision: u64, time: usize): u16;
