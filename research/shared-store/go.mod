module github.com/traefik-httpcache/research/shared-store

go 1.26.0

require (
	github.com/cespare/xxhash/v2 v2.3.0
	github.com/tetratelabs/wazero v1.8.0
)
