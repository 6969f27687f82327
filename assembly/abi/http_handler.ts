// Raw imports of the http-wasm guest ABI (module "http_handler"), named exactly as the ABI names
// them. Nothing else lives here: host/ wraps these into safe calls.
// https://http-wasm.io/http-handler-abi/

@external("http_handler", "enable_features")
export declare function enable_features(features: u32): u32;

@external("http_handler", "get_config")
export declare function get_config(buf: usize, buf_limit: u32): u32;

@external("http_handler", "log_enabled")
export declare function log_enabled(level: i32): u32;

@external("http_handler", "log")
export declare function log(level: i32, message: usize, message_len: u32): void;

@external("http_handler", "get_method")
export declare function get_method(buf: usize, buf_limit: u32): u32;

@external("http_handler", "set_method")
export declare function set_method(method: usize, method_len: u32): void;

@external("http_handler", "get_uri")
export declare function get_uri(buf: usize, buf_limit: u32): u32;

@external("http_handler", "set_uri")
export declare function set_uri(uri: usize, uri_len: u32): void;

@external("http_handler", "get_protocol_version")
export declare function get_protocol_version(buf: usize, buf_limit: u32): u32;

@external("http_handler", "get_source_addr")
export declare function get_source_addr(buf: usize, buf_limit: u32): u32;

@external("http_handler", "get_header_names")
export declare function get_header_names(kind: u32, buf: usize, buf_limit: u32): u64;

@external("http_handler", "get_header_values")
export declare function get_header_values(kind: u32, name: usize, name_len: u32, buf: usize, buf_limit: u32): u64;

@external("http_handler", "set_header_value")
export declare function set_header_value(kind: u32, name: usize, name_len: u32, value: usize, value_len: u32): void;

@external("http_handler", "add_header_value")
export declare function add_header_value(kind: u32, name: usize, name_len: u32, value: usize, value_len: u32): void;

@external("http_handler", "remove_header")
export declare function remove_header(kind: u32, name: usize, name_len: u32): void;

@external("http_handler", "read_body")
export declare function read_body(kind: u32, buf: usize, buf_limit: u32): u64;

@external("http_handler", "write_body")
export declare function write_body(kind: u32, body: usize, body_len: u32): void;

@external("http_handler", "get_status_code")
export declare function get_status_code(): u32;

@external("http_handler", "set_status_code")
export declare function set_status_code(status_code: u32): void;
