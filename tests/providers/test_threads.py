"""providers.threads: the provider server's pool grows past the SDK's four, from a call running on it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from providers import config, threads


def _peak_concurrency(pool: ThreadPoolExecutor, calls: int) -> int:
    live, peak, lock = [0], [0], threading.Lock()

    def call() -> None:
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.2)
        with lock:
            live[0] -= 1

    for future in [pool.submit(call) for _ in range(calls)]:
        future.result()
    return peak[0]


def test_a_call_on_the_pool_widens_it_and_waits_then_run_side_by_side() -> None:
    pool = ThreadPoolExecutor(max_workers=4)  # what `python -m pulumi.dynamic` serves with
    try:
        assert _peak_concurrency(pool, 8) == 4
        assert pool.submit(threads.widen, 12).result() == 12
        assert _peak_concurrency(pool, 12) == 12
        assert pool.submit(threads.widen, 6).result() == 12  # never shrinks
    finally:
        pool.shutdown()


def test_off_the_pool_nothing_changes() -> None:
    assert threads.widen(64) == 0


def test_the_thread_count_is_a_setting() -> None:
    assert config.from_sources(lambda key: "48" if key == "providerThreads" else None).provider_threads == 48
    assert config.from_sources(lambda _key: None, {}).provider_threads == threads.DEFAULT_THREADS
