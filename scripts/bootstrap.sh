#!/usr/bin/env bash
# Idempotent setup of everything coldfleet needs on a fresh Debian machine:
# apt packages (BIND9, PostgreSQL), a virtualenv keyed by the requirements, the pinned Pulumi engine.
# Fast when already done. Prints `export` lines for the caller to eval.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${COLDFLEET_CACHE:-$HOME/.cache/coldfleet}"
mkdir -p "$CACHE"
log() { echo "bootstrap: $*" >&2; }

need_apt=()
command -v named >/dev/null 2>&1 || need_apt+=(bind9)
command -v rndc >/dev/null 2>&1 || need_apt+=(bind9-utils)
# Throwaway servers for the engine's postgres:// backend (sandbox/postgres.py): Debian's server binaries
# (initdb, pg_ctl, createdb, psql under /usr/lib/postgresql/<major>/bin) and the `postgres` system user.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/psql' >/dev/null \
  || ! id postgres >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
command -v runuser >/dev/null 2>&1 || need_apt+=(util-linux)
# The engine is built with the machine's Go (Debian's golang-go is too old for pulumi v3.260).
command -v go >/dev/null 2>&1 || { log "Go ≥ 1.24 is required on PATH to build the Pulumi engine"; exit 1; }
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing apt packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi

# Virtualenv in the cache, keyed by the requirement files, so clean clones reuse it.
key=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -c1-12)
VENV="$CACHE/venv-$key"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --upgrade pip >&2
  "$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt" >&2
  touch "$VENV/.complete"
fi

ENGINE_BIN="$("$ROOT/scripts/install-engine.sh")"

# actionlint checks our GitHub Actions workflow in the tests; built from its Go module, cached.
TOOLS="$CACHE/tools"
if [ ! -x "$TOOLS/actionlint" ]; then
  log "building actionlint"
  GOBIN="$TOOLS" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 >&2
fi
echo "export COLDFLEET_VENV='$VENV'"
echo "export COLDFLEET_ENGINE_BIN='$ENGINE_BIN'"
echo "export PATH='$ENGINE_BIN:$VENV/bin:$TOOLS':\"\$PATH\""
echo "export PYTHONPATH='$ROOT'"
