"""providers/snapshot.py without any API: single flight, one claim per object and run, expiry, writes forget."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from providers import snapshot
from providers.snapshot import Snapshots


def test_concurrent_reads_wait_for_one_fill() -> None:
    snaps: Snapshots[int] = Snapshots("test")
    started, release, calls = threading.Event(), threading.Event(), []

    def fill() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(snaps.get, "tenant", f"user{i}", fill) for i in range(8)]
        assert started.wait(5)
        time.sleep(0.05)
        release.set()
        assert [f.result() for f in futures] == [42] * 8
    assert len(calls) == 1 and snaps.fills == 1


def test_a_second_read_of_an_object_fills_again() -> None:
    snaps: Snapshots[int] = Snapshots("test")
    values = iter([1, 2, 3])
    assert snaps.get("t", "a", lambda: next(values)) == 1
    assert snaps.get("t", "b", lambda: next(values)) == 1  # the same run
    assert snaps.get("t", "a", lambda: next(values)) == 2  # `a` again: another run
    assert snaps.get("other", "a", lambda: next(values)) == 3  # keys are separate


def test_expiry_and_forget(monkeypatch: pytest.MonkeyPatch) -> None:
    snaps: Snapshots[int] = Snapshots("test")
    values = iter([1, 2, 3])
    assert snaps.get("t", "a", lambda: next(values)) == 1
    monkeypatch.setattr(snapshot, "TTL_S", 0.0)
    time.sleep(0.01)
    assert snaps.get("t", "b", lambda: next(values)) == 2  # expired
    monkeypatch.setattr(snapshot, "TTL_S", 60.0)
    snapshot.forget()  # a write happened
    assert snaps.get("t", "c", lambda: next(values)) == 3


def test_a_failed_fill_is_not_kept() -> None:
    snaps: Snapshots[int] = Snapshots("test")

    def boom() -> int:
        raise RuntimeError("listing failed")

    with pytest.raises(RuntimeError):
        snaps.get("t", "a", boom)
    assert snaps.get("t", "b", lambda: 7) == 7
