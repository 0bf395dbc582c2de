"""World persistence: the world is pickled to DIR/world.pkl when it changes, so a restart on the same directory keeps
it (BIND keeps its zones itself)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import TypeVar

from sandbox.world import World

log = logging.getLogger(__name__)

WORLD_FILE = "world.pkl"
PERSIST_INTERVAL_S = 0.5
S = TypeVar("S")


def double_state(world: World, name: str, kind: type[S]) -> S:
    """A double's own state on the world (attribute `name`), created on first use: worlds pickled before that double
    kept state load and gain it."""
    with world.lock:
        current = getattr(world, name, None)
        if not isinstance(current, kind):
            current = kind()
            setattr(world, name, current)
        return current


def load_world(path: Path) -> World:
    """The pickled world at `path`, else a new one (a broken file is set aside as `.broken`, never fatal)."""
    if path.exists():
        try:
            with path.open("rb") as fh:
                world = pickle.load(fh)
            if isinstance(world, World):
                log.info("world loaded from %s", path)
                return world
        except Exception as exc:  # a broken file must not block the sandbox
            log.warning("cannot load %s (%s); starting a new world", path, type(exc).__name__)
            path.rename(path.with_suffix(".broken"))
    return World()


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write through a temp file and rename, so readers never see half a file (created with `mode`)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class Persister:
    """Pickles the world to disk every PERSIST_INTERVAL_S when its content changed (and once more at stop)."""

    def __init__(self, world: World, path: Path) -> None:
        self.world, self.path = world, path
        self._digest = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="world-persister", daemon=True)

    def save(self) -> None:
        with self.world.lock:
            data = pickle.dumps(self.world)
        digest = hashlib.sha256(data).digest()
        if digest != self._digest:
            atomic_write(self.path, data)
            self._digest = digest

    def _run(self) -> None:
        last_error = ""
        while not self._stop.wait(PERSIST_INTERVAL_S):
            try:
                self.save()
                last_error = ""
            except Exception as exc:  # keep persisting after a transient failure; log each new failure once
                if repr(exc) != last_error:
                    log.exception("persisting the world failed")
                last_error = repr(exc)

    def start(self) -> None:
        self.save()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.save()
