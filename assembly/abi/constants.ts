// Numeric constants of the http-wasm ABI.

export const HEADER_KIND_REQUEST: u32 = 0;
export const HEADER_KIND_RESPONSE: u32 = 1;

export const BODY_KIND_REQUEST: u32 = 0;
export const BODY_KIND_RESPONSE: u32 = 1;

export const FEATURE_BUFFER_REQUEST: u32 = 1;
export const FEATURE_BUFFER_RESPONSE: u32 = 2;
export const FEATURE_TRAILERS: u32 = 4;

export const LOG_LEVEL_DEBUG: i32 = -1;
export const LOG_LEVEL_INFO: i32 = 0;
export const LOG_LEVEL_WARN: i32 = 1;
export const LOG_LEVEL_ERROR: i32 = 2;

export const CLOCK_REALTIME: u32 = 0;
