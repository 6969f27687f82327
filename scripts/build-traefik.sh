#!/usr/bin/env bash
# Builds the real Traefik binary from the Go module proxy and caches it outside the checkout,
# keyed by version, so later runs (and CI on the same machine) reuse it. Prints the binary's path.
# Why a wrapper module: `go install traefik@vX` fails on traefik's replace/exclude directives.
set -euo pipefail

# v3.7.10 is the newest v3 release that builds from the module proxy: v3.7.11 to v3.7.13 need a
# go-http-auth fork (and v3.7.13 a lego release) that the proxy answers with 403 Not Available.
TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.7.10}"
CACHE_DIR="${TRAEFIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/traefik-httpcache}"
BIN="$CACHE_DIR/traefik-$TRAEFIK_VERSION"

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
command -v go >/dev/null || { echo "build-traefik: Go is required (https://go.dev/dl)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ext" "$CACHE_DIR"

# Traefik imports github.com/traefik/traefik/dynamic/ext, which is not in its module zip.
cat > "$work/ext/go.mod" <<'MOD'
module github.com/traefik/traefik/dynamic/ext
MOD
cat > "$work/ext/ext.go" <<'GO'
package ext

type HTTP struct{}
type Router struct{}
GO

# Directives copied from the go.mod of the pinned tag (v3.7.10).
cat > "$work/go.mod" <<MOD
module example.com/traefik-build

go 1.26.0

require github.com/traefik/traefik/v3 $TRAEFIK_VERSION

replace (
	github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e
	github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
	github.com/traefik/traefik/dynamic/ext => ./ext
)

exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible
MOD
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
GO

echo "build-traefik: building Traefik $TRAEFIK_VERSION from the Go module proxy (several minutes, once)" >&2
(
  cd "$work"
  # Start from Traefik's own go.sum: the checksum database does not answer for some of its
  # dependencies, and the hashes Traefik committed are the ones to trust anyway.
  traefik_dir="$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  cp "$traefik_dir/go.sum" go.sum
  chmod u+w go.sum
  go mod tidy >&2
  # The version is stamped so that logs and the dashboard say which Traefik this is.
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$BIN.tmp" github.com/traefik/traefik/v3/cmd/traefik >&2
)
mv "$BIN.tmp" "$BIN"   # atomic: a half-built binary is never mistaken for a cached one
echo "$BIN"
