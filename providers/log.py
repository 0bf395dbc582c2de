"""The providers' log records reach the user: `install()` in the provider process (from `BaseProvider.configure`).

The engine starts a dynamic provider as a plugin and forwards every line the plugin writes to stderr as a diagnostic
of the run, shown on the console under the stack (verified on engine v3.260: `info#err` events; `pulumi.log` in a
provider process has no engine connection and prints to stderr the same way). So one stderr handler on the
`providers` logger is the whole bridge. Warnings always show; info (progress of long waits) when the CLI runs with
`--verbose`, which sets `COLDFLEET_LOG_LEVEL` in the engine's environment. Messages must never carry secrets;
`install(secrets=...)` also masks the given values should one slip into a message.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterable

LOGGER = "providers"
LEVEL_ENV = "COLDFLEET_LOG_LEVEL"
MASK = "[secret]"

_lock = threading.Lock()


class _Masking(logging.Formatter):
    """`warning: providers.mailbox: …`, one record per line, the known secret values replaced."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")
        self.secrets: set[str] = set()

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {super().format(record)}"
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return " | ".join(line for line in text.splitlines() if line.strip())


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the stderr of the moment (tests swap it), flushed per record so the engine sees each line."""

    def __init__(self) -> None:
        super().__init__()
        self.masking = _Masking()
        self.setFormatter(self.masking)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: it flushes the old stream, which may be closed by now
        super().emit(record)


def level() -> int:
    """WARNING unless `COLDFLEET_LOG_LEVEL` names another level (`INFO`, `DEBUG`)."""
    named = logging.getLevelName(os.environ.get(LEVEL_ENV, "WARNING").strip().upper())
    return named if isinstance(named, int) else logging.WARNING


def install(secrets: Iterable[str] = ()) -> None:
    """Route the `providers` loggers to stderr at `level()`; idempotent (one handler however often called)."""
    logger = logging.getLogger(LOGGER)
    with _lock:
        handler = next((h for h in logger.handlers if isinstance(h, _Handler)), None)
        if handler is None:
            handler = _Handler()
            logger.addHandler(handler)
        handler.masking.secrets.update(s for s in secrets if s)
        logger.setLevel(level())
