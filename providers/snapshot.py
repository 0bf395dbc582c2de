"""Per-run read snapshots: one bulk listing shared by every `read` of a refresh, instead of a round trip per object.

Why it is shaped so:

- **Where it lives.** The engine starts one provider process per run and calls `read` for every resource on four
  threads, so the process is the natural home of what one refresh shares: a module-level registry of snapshots
  keyed by what they list (a tenant's mailboxes, a zone's records) and by the endpoints they came from.
- **Single flight.** The first read that needs a snapshot fills it; reads of the same key that arrive meanwhile wait
  for that one fill instead of issuing their own listing.
- **"This run" without being told the run.** A refresh reads each resource once. So every read *claims* its object
  in the snapshot; a second read of an object already claimed (a second refresh, a read after an update in the same
  process, a test reading twice) is not this run any more and fills a fresh snapshot. Besides, a snapshot expires
  `TTL_S` after it was filled, and every write through a provider in this process (`forget`, called by the
  lifecycle in providers/base.py) drops them all, so a snapshot never outlives the reads it was made for.
- **Never for writes.** create / update / delete read live state themselves; only `read` consults snapshots.
- **Exactness.** A snapshot only answers what it saw; an object it does not hold (created after the fill, or on a
  listing that failed) is read the old way, one object at a time, so a read returns what it returned before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

TTL_S = 10.0  # the reads of one refresh arrive within seconds of each other
V = TypeVar("V")


@dataclass
class _Slot(Generic[V]):
    done: threading.Event = field(default_factory=threading.Event)
    value: V | None = None
    error: BaseException | None = None
    filled_at: float = 0.0
    claimed: set[Hashable] = field(default_factory=set)

    def usable(self, item: Hashable, now: float) -> bool:
        if item in self.claimed:
            return False
        return not self.done.is_set() or (self.error is None and now - self.filled_at <= TTL_S)


class Snapshots(Generic[V]):
    """Snapshots of one kind, keyed; `get(key, item, fill)` returns the snapshot for this run's read of `item`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._lock = threading.Lock()
        self._slots: dict[Hashable, _Slot[V]] = {}
        self.fills = 0  # how many listings this process made (tests count them)
        _REGISTRY.append(self)

    def get(self, key: Hashable, item: Hashable, fill: Callable[[], V]) -> V:
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None or not slot.usable(item, time.monotonic())
            if owner:
                slot = _Slot()
                self._slots[key] = slot
                self.fills += 1
            assert slot is not None
            slot.claimed.add(item)
        if owner:
            try:
                slot.value = fill()
            except BaseException as error:
                slot.error = error
                raise
            finally:
                slot.filled_at = time.monotonic()
                slot.done.set()
            log.debug("%s snapshot of %s filled", self.kind, key)
        else:
            slot.done.wait()
            if slot.error is not None:
                raise slot.error
        assert slot.value is not None
        return slot.value

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


_REGISTRY: list[Snapshots[Any]] = []


def forget() -> None:
    """Drop every snapshot of this process (a write happened: what was listed may be out of date)."""
    for snapshots in list(_REGISTRY):
        snapshots.clear()
