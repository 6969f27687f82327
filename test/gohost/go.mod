module github.com/traefik-httpcache/test/gohost

go 1.26.0

require (
	github.com/http-wasm/http-wasm-host-go v0.7.0
	github.com/tetratelabs/wazero v1.8.0
)
