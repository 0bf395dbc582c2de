#!/usr/bin/env bash
# Build the pinned Pulumi engine from Go modules into a cache outside the repo.
# No registry here serves the Pulumi CLI, so we build it the way distributions do.
# Prints the bin directory on stdout; everything else goes to stderr. `--check`: only say whether it is there
# (exit 1 when it would have to be built).
set -euo pipefail
CHECK="${1:-}"

VERSION="${COLDFLEET_ENGINE_VERSION:-v3.260.0}"
CACHE="${COLDFLEET_CACHE:-$HOME/.cache/coldfleet}"
WORK="$CACHE/engine-$VERSION"
BIN="$WORK/bin"

log() { echo "install-engine: $*" >&2; }

# A pulumi already on PATH at the pinned version is good enough.
if command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "$VERSION" ] \
   && command -v pulumi-resource-pulumi-python >/dev/null 2>&1; then
  dirname "$(command -v pulumi)"
  exit 0
fi

if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-resource-pulumi-python" ] \
   && [ "$("$BIN/pulumi" version 2>/dev/null)" = "$VERSION" ]; then
  echo "$BIN"
  exit 0
fi

[ "$CHECK" != "--check" ] || exit 1
command -v go >/dev/null 2>&1 || { log "go is required to build the engine"; exit 1; }
start=$(date +%s)
mkdir -p "$WORK/src" "$BIN"
cd "$WORK/src"
if [ ! -f go.mod ]; then
  go mod init coldfleet.local/engine >/dev/null 2>&1
  # Repeat pkg/go.mod's replace directive: the wrapper module is the main module, so replaces must live here.
  echo 'replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e' >> go.mod
fi
log "fetching github.com/pulumi/pulumi/{pkg,sdk}/v3@$VERSION"
go get "github.com/pulumi/pulumi/pkg/v3@$VERSION" "github.com/pulumi/pulumi/sdk/v3@$VERSION" >&2
log "building pulumi $VERSION (a few minutes when cold)"
go build -mod=mod -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
  -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
mv "$BIN/pulumi.tmp" "$BIN/pulumi"
SDK_DIR=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
log "engine built in $(( $(date +%s) - start ))s"
echo "$BIN"
