"""Managing a detached sandbox for the CLI and tests: spawn `python -m sandbox serve --foreground`, wait until it is
healthy, stop it by pid. Health = its admin app answers with the instance id written in sandbox.json.

The one sandbox module the CLI imports (`coldfleet sandbox start|stop|status`, `new-client --sandbox`); the product
itself only ever reads the settings file a running sandbox writes (`settings_file(directory)`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sandbox import info as info_files
from sandbox.bind import Bind
from sandbox.info import INFO_FILE, SETTINGS_FILE

log = logging.getLogger(__name__)

DEFAULT_DIR = Path.home() / ".local" / "state" / "coldfleet" / "sandbox"
__all__ = ["DEFAULT_DIR", "INFO_FILE", "SETTINGS_FILE", "directory_for", "sandbox_dir", "settings_file",
           "spawn", "stack_setting", "start_daemon", "status", "stop_daemon", "wait_ready"]


def settings_file(directory: str | Path = DEFAULT_DIR) -> Path:
    """The settings file (providers.config format) a sandbox in `directory` writes while it runs."""
    return Path(directory).expanduser() / SETTINGS_FILE


def sandbox_dir(directory: str | Path | None = None) -> Path:
    """The sandbox directory the CLI uses: `directory`, else $COLDFLEET_SANDBOX_DIR, else DEFAULT_DIR."""
    return Path(directory or os.environ.get("COLDFLEET_SANDBOX_DIR") or DEFAULT_DIR).expanduser()


def stack_setting(directory: str | Path | None = None) -> str:
    """What a sandbox stack says in `coldfleet:settingsFile` (`~/...` for the default directory, so the file stays
    the same on every machine)."""
    path = settings_file(sandbox_dir(directory))
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


def directory_for(settings: str | Path | None, directory: str | Path | None = None) -> Path | None:
    """The sandbox directory whose settings file a stack names (`coldfleet:settingsFile`), else None.

    A stack naming the settings.json of `sandbox_dir(directory)` is a sandbox stack: the CLI starts that sandbox
    first and uses the sandbox passphrase.
    """
    if not settings:
        return None
    home = sandbox_dir(directory).resolve()
    return home if Path(settings).expanduser().resolve() == settings_file(home) else None


def _read_info(directory: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((directory / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def status(directory: str | Path) -> dict[str, Any] | None:
    """The sandbox.json of a healthy running sandbox in `directory`, else None."""
    info = _read_info(Path(directory))
    if info is None or not _alive(int(info.get("pid", 0))):
        return None
    try:
        resp = httpx.get(f"{info['endpoints']['admin']}/health", timeout=2.0)
        healthy = resp.status_code == 200 and resp.json().get("instance") == info.get("instance")
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    return info if healthy else None


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def spawn(directory: Path, log_path: Path | None = None, *, exit_with_parent: bool = False) -> subprocess.Popen[bytes]:
    """Start `python -m sandbox serve --foreground` as a child (its own session; output to `log_path`).

    `exit_with_parent`: the sandbox stops by itself when this process dies (tests killed hard leave nothing behind).
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    out: Any = subprocess.DEVNULL
    if log_path is not None:
        out = log_path.open("ab")
    try:
        cmd = [sys.executable, "-m", "sandbox", "serve", "--dir", str(directory), "--foreground"]
        if exit_with_parent:
            cmd += ["--parent-pid", str(os.getpid())]
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                cwd=str(directory))
    finally:
        if log_path is not None:
            out.close()


def wait_ready(directory: Path, proc: subprocess.Popen[bytes] | None, timeout_s: float,
               log_path: Path | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = _log_tail(log_path) if log_path else ""
            raise RuntimeError(f"sandbox exited with {proc.returncode}\n{tail}")
        info = status(directory)
        if info is not None and (proc is None or info.get("pid") == proc.pid):
            return info
        time.sleep(0.05)
    raise TimeoutError(f"sandbox in {directory} not ready after {timeout_s:.0f} s")


def start_daemon(directory: str | Path, timeout_s: float = 60.0) -> dict[str, Any]:
    """Reuse a healthy sandbox in `directory`, else start a detached one (logs in DIR/sandbox.log)."""
    path = Path(directory).resolve()
    info = status(path)
    if info is not None:
        return info
    path.mkdir(parents=True, exist_ok=True)
    old = _read_info(path)
    if old is not None and _alive(int(old.get("pid", 0))):
        stop_daemon(path)  # running but unhealthy
    log_path = path / "sandbox.log"
    proc = spawn(path, log_path)
    try:
        return wait_ready(path, proc, timeout_s, log_path)
    except Exception:
        if proc.poll() is None:
            proc.terminate()
        raise


def stop_daemon(directory: str | Path, timeout_s: float = 20.0) -> bool:
    """SIGTERM the sandbox of `directory` and wait for it; True when one was running."""
    path = Path(directory).resolve()
    info = _read_info(path)
    if info is None:
        return False
    pid = int(info.get("pid", 0))
    if pid <= 0 or not _alive(pid):
        info_files.remove(path)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        log.warning("sandbox pid %d did not stop; killing it", pid)
        os.kill(pid, signal.SIGKILL)
        Bind(path / "bind").kill_stale()
    info_files.remove(path)
    return True
