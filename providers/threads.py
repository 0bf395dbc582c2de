"""More threads for the dynamic-provider server than the SDK's four.

Why. `python -m pulumi.dynamic` serves every provider call from one `ThreadPoolExecutor(max_workers=4)`, and a call
that waits on Microsoft holds its thread for the whole wait: a new tenant's licence (minutes), a domain's mailboxes
(DomainMailboxes, one wait per domain), a verification. Batching already turned a domain's N mailbox waits into one
and a tenant's writes into shared `$batch`es (providers/clients/graph/gather.py), but ten domains are still ten
waits, and with four threads the other six queue behind them: `up` of 10 x 50 measured 3.5x its critical-path
bound, most of it tenants waiting in line. The SDK has no setting for the pool, so `widen` raises the limit of the
executor that runs the current call (the server calls `configure()` from one of its workers, so that executor is
the server's): `ThreadPoolExecutor` starts another worker on a submit while it has fewer than `_max_workers`, unless
its idle count says a worker is free. That count is a semaphore released after *every* finished call, so after a
preview's thousands of quick checks it reads "idle" thousands of times over and the pool would not grow when the
long waits come; the widened pool therefore ignores it (`_NoIdleCount`) and grows to its limit, then queues.

The engine has a limit of its own (`--parallel`, 4 x CPUs by default); the CLI raises it to the same figure through
`PULUMI_PARALLEL` (cli/engine.py), and plain `pulumi up` takes `--parallel`. Provider state is already thread-safe
(module-level, under locks), so more threads change only how many calls wait side by side. If the SDK or Python ever
changes shape (the current thread is not a pool worker), this logs at debug and the pool stays at four: slower, not
wrong.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

DEFAULT_THREADS = 32  # waits side by side; each idle thread costs a stack, not CPU

_lock = threading.Lock()


class _NoIdleCount:
    """Stands in for the executor's idle semaphore: never claims an idle worker, so a submit below the limit
    starts one (idle workers still take queued calls first; the pool only grows to `_max_workers`)."""

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        return False

    def release(self, n: int = 1) -> None:
        return None


def _current_executor() -> ThreadPoolExecutor | None:
    """The executor whose worker runs this call (CPython keeps a weak reference to it in the worker's arguments)."""
    args = getattr(threading.current_thread(), "_args", None)
    ref = args[0] if isinstance(args, tuple) and args else None
    executor = ref() if callable(ref) else None
    return executor if isinstance(executor, ThreadPoolExecutor) else None


def widen(threads: int = DEFAULT_THREADS) -> int:
    """Let the pool running this call grow to `threads` workers (never shrinks it); the pool's limit afterwards,
    or 0 when this call does not run on a pool worker."""
    executor = _current_executor()
    if executor is None:
        log.debug("not on a thread pool worker: the provider server keeps its own thread count")
        return 0
    with _lock:
        limit = int(getattr(executor, "_max_workers", 0))
        if limit and threads > limit:
            executor._max_workers = threads  # type: ignore[attr-defined]  # read by every submit (module docstring)
            executor._idle_semaphore = _NoIdleCount()  # type: ignore[attr-defined,assignment]
            log.debug("provider server threads: %d -> %d", limit, threads)
            limit = threads
        return limit
