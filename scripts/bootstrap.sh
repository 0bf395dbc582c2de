#!/usr/bin/env bash
# Idempotent setup of everything coldfleet needs on a fresh Debian machine: apt packages (BIND9, PostgreSQL), a
# virtualenv keyed by the requirements, the pinned Pulumi engine, actionlint, and this checkout's `coldfleet` command.
# Prints `export` lines for the caller to eval; on stderr one line per step that had work to do, with its duration.
# apt, pip and Go output go to a log under the cache; its tail is shown when a step fails. Fast when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${COLDFLEET_CACHE:-$HOME/.cache/coldfleet}"
mkdir -p "$CACHE/logs"
LOG="$CACHE/logs/bootstrap-$(date -u +%Y%m%dT%H%M%S)-$$.log"
say() { echo "bootstrap: $*" >&2; }

# step LABEL COMMAND...: run COMMAND with its output in the log; one line with the duration, or the log's tail.
step() {
  local label="$1" start end
  shift
  start=$(date +%s%N)
  echo "== $label: $*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    say "$label FAILED; the last lines of $LOG:"
    tail -n 40 "$LOG" | sed 's/^/  | /' >&2
    exit 1
  fi
  end=$(( ($(date +%s%N) - start) / 100000000 ))  # tenths of a second
  say "$label … $((end / 10)).$((end % 10)) s"
}

# Parallel bootstraps (CI jobs, several checkouts) share the cache: one at a time changes it.
exec 9>"$CACHE/bootstrap.lock"
flock 9

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
command -v go >/dev/null 2>&1 || { say "Go ≥ 1.24 is required on PATH to build the Pulumi engine"; exit 1; }
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"
}
[ ${#need_apt[@]} -eq 0 ] || step "apt packages (${need_apt[*]})" apt_install "${need_apt[@]}"

# Virtualenv in the cache, keyed by the requirement files, so clean clones reuse it.
key=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -c1-12)
VENV="$CACHE/venv-$key"
make_venv() {
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --progress-bar off --upgrade pip
  "$VENV/bin/pip" install --progress-bar off -r "$ROOT/requirements-dev.txt"
  touch "$VENV/.complete"
}
[ -x "$VENV/bin/python" ] && [ -f "$VENV/.complete" ] || step "virtualenv venv-$key (pip)" make_venv

ENGINE_VERSION="${COLDFLEET_ENGINE_VERSION:-v3.260.0}"
engine() { "$ROOT/scripts/install-engine.sh" >"$CACHE/engine-bin.txt"; }
if ! "$ROOT/scripts/install-engine.sh" --check >"$CACHE/engine-bin.txt" 2>/dev/null; then
  step "Pulumi engine $ENGINE_VERSION (go build, minutes when cold)" engine
fi
ENGINE_BIN="$(cat "$CACHE/engine-bin.txt")"

# actionlint checks our GitHub Actions workflow in the tests; built from its Go module, cached.
TOOLS="$CACHE/tools"
[ -x "$TOOLS/actionlint" ] || step "actionlint (go install)" \
  env GOBIN="$TOOLS" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# This checkout's `coldfleet` command: a shim keyed by the checkout's path (the venv is shared by every clone, so an
# editable install in it would point at whichever clone installed last), rewritten only when it changes. `python -P`:
# the current directory never shadows a module.
CHECKOUT="$CACHE/checkouts/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
SHIM="$CHECKOUT/bin/coldfleet"
shim=$(cat <<SH
#!/bin/sh
# The coldfleet command of the checkout $ROOT (written by its scripts/bootstrap.sh).
export COLDFLEET_ENGINE_BIN='$ENGINE_BIN'
export PYTHONPATH='$ROOT'\${PYTHONPATH:+:\$PYTHONPATH}
export PATH='$ENGINE_BIN':"\$PATH"
exec '$VENV/bin/python' -P -m cli "\$@"
SH
)
if [ ! -x "$SHIM" ] || [ "$(cat "$SHIM")" != "$shim" ]; then
  mkdir -p "$CHECKOUT/bin"
  printf '%s\n' "$shim" >"$SHIM.tmp" && chmod 0755 "$SHIM.tmp" && mv "$SHIM.tmp" "$SHIM"
fi
[ -s "$LOG" ] || rm -f "$LOG"
find "$CACHE/logs" -name 'bootstrap-*.log' -mtime +14 -delete 2>/dev/null || true

echo "export COLDFLEET_VENV='$VENV'"
echo "export COLDFLEET_ENGINE_BIN='$ENGINE_BIN'"
echo "export COLDFLEET_SHIM='$SHIM'"
echo "export PATH='$CHECKOUT/bin:$ENGINE_BIN:$VENV/bin:$TOOLS':\"\$PATH\""
echo "export PYTHONPATH='$ROOT'"
