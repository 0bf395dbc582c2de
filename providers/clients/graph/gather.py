"""A per-tenant coordinator: Graph requests that provider threads hand in within a short window go as one `$batch`.

Why it is shaped so. The engine runs provider methods on four threads, and each Mailbox create is its own call with
only its own inputs: no call knows the others, so batching cannot be planned up front, only gathered as calls
arrive. A thread hands in a *group* (a few requests that belong together, with `dependsOn` inside the group) and
blocks; the first thread to find no batch forming becomes the leader, waits `WINDOW_S` (or until the batch is full),
takes every group that fits in `MAX_ITEMS` requests, sends them as one `$batch` through `run_batch` (which resends
items answered 429 after their Retry-After, and their 424 dependants) and hands each waiting thread its own answers.
Groups that did not fit wait for the next leader, chosen among them as soon as this batch has left, so batches
overlap rather than queue. A group is never split across batches, so its `dependsOn` always points inside the batch.
The window is 100 ms: the engine hands the next calls over within tens of milliseconds of the last answers, and in
the bench (bench/README.md) 50 ms caught 1.6 creates a batch, 100 ms 3.6; against Graph's own latency per round trip
the wait is small. Only lifecycle writes come here (Mailbox create): `preview` runs no create, so it stays at zero
calls, and each caller still gets its own answers, so each mailbox stays its own resource with its own outputs.

State is module-level (one queue per endpoint, app and tenant, under one lock), never in provider objects, which
the engine pickles. A batch that fails as a whole (a dropped connection, a 5xx after the transport's retries) fails
every group in it with the same error: the callers decide how to recover (Mailbox create reads back and goes the
one-by-one way, see providers/mailbox/create.py).

Graph JSON batching (learn.microsoft.com/graph/json-batching): at most 20 requests, ids unique strings, `dependsOn`
naming earlier requests, an item whose dependency failed answers 424, each item is throttled on its own (429 with its
own Retry-After), answers come in any order and are matched by id.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from providers.clients.errors import BadRequest, ClientError, ServerError
from providers.clients.graph.batch import MAX_ITEMS
from providers.clients.graph.client import GraphClient
from providers.clients.graph.session import API
from providers.config import Settings

log = logging.getLogger(__name__)

WINDOW_S = 0.1  # how long a leader waits for more groups (50 ms caught 1.6 creates a batch, 100 ms 3.6)


@dataclass
class _Group:
    requests: list[dict[str, Any]]
    taken: bool = False
    done: bool = False
    answers: list[dict[str, Any]] = field(default_factory=list)
    error: ClientError | None = None


@dataclass
class _Queue:
    pending: list[_Group] = field(default_factory=list)
    leading: bool = False  # a leader is gathering this queue's next batch


_lock = threading.Lock()
_ready = threading.Condition(_lock)
_queues: dict[tuple[str, str | None, str], _Queue] = {}
SENT_KEPT = 1000  # batch sizes remembered: enough for tests and logs, bounded in a long-running process
_sent: deque[int] = deque(maxlen=SENT_KEPT)  # batch sizes (requests), newest last; reset with `reset`


def submit(settings: Settings, tenant_id: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send `requests` (ids unique within the group, `dependsOn` only inside it) in a shared `$batch` of the tenant;
    returns `{id, status, headers, body}` per request, in order, ids as given. Raises the batch's ClientError."""
    if not requests or len(requests) > MAX_ITEMS:
        raise BadRequest(f"batch group: {len(requests)} requests, 1 to {MAX_ITEMS} fit a batch", api=API)
    key = (settings.graph_endpoint, settings.client_id, tenant_id)
    group = _Group([dict(r) for r in requests])
    with _lock:
        queue = _queues.setdefault(key, _Queue())
        queue.pending.append(group)
        _ready.notify_all()
        while not group.taken:
            if not queue.leading:
                queue.leading = True
                batch = _gather(queue, group)
                break
            _ready.wait()
        else:
            batch = []
    if batch:
        _send(settings, tenant_id, batch)
    with _lock:
        while not group.done:
            _ready.wait()
    if group.error is not None:
        raise copy.copy(group.error)  # each caller its own instance: tracebacks are per raise
    return group.answers


def _gather(queue: _Queue, own: _Group) -> list[_Group]:
    """As the leader (lock held): wait the window or until full, then take its own group and, oldest first, what
    else fits, and step down."""
    deadline = time.monotonic() + WINDOW_S
    while _size(queue.pending) < MAX_ITEMS and (left := deadline - time.monotonic()) > 0:
        _ready.wait(left)
    batch: list[_Group] = []
    for group in [own, *(g for g in queue.pending if g is not own)]:
        if _size(batch) + len(group.requests) <= MAX_ITEMS:
            batch.append(group)
            group.taken = True
            queue.pending.remove(group)
    queue.leading = False
    _ready.notify_all()  # a group left behind takes the lead for the next batch
    return batch


def _size(groups: list[_Group]) -> int:
    return sum(len(g.requests) for g in groups)


def _send(settings: Settings, tenant_id: str, batch: list[_Group]) -> None:
    """One `$batch` for the groups: ids become `<group>.<id>` so groups cannot collide; each group gets its answers."""
    requests: list[dict[str, Any]] = []
    for n, group in enumerate(batch):
        for request in group.requests:
            item = {**request, "id": f"{n}.{request['id']}"}
            deps = request.get("dependsOn")
            if deps:
                item["dependsOn"] = [f"{n}.{d}" for d in deps]
            requests.append(item)
    error: ClientError | None = None
    answers: dict[str, dict[str, Any]] = {}
    try:
        for answer in GraphClient(settings, tenant_id).batch(requests):
            answers[str(answer["id"])] = answer
        if any(str(r["id"]) not in answers for r in requests):
            raise ServerError("batch: an answer is missing", api=API)
    except ClientError as exc:
        error = exc
        log.info("batch of %d request(s) for %d caller(s) failed: %s", len(requests), len(batch), exc)
    except Exception as exc:  # a bug or an unexpected library error: still every caller gets a ClientError
        # Only the type: the message or traceback could quote request bodies, which hold passwords.
        error = ServerError(f"batch: sending failed ({type(exc).__name__})", api=API)
        log.warning("batch of %d request(s) for %d caller(s) failed unexpectedly: %s", len(requests), len(batch),
                    type(exc).__name__)
    finally:  # whatever happened, no caller is left waiting
        with _lock:
            _sent.append(len(requests))
            for n, group in enumerate(batch):
                if error is None and len(answers) >= len(requests):
                    group.answers = [{**answers[f"{n}.{r['id']}"], "id": str(r["id"])} for r in group.requests]
                else:
                    group.error = error or ServerError("batch: sending failed", api=API)
                group.done = True
            _ready.notify_all()


def sent() -> list[int]:
    """Sizes of the batches sent since the last `reset` (this process), the latest SENT_KEPT at most."""
    with _lock:
        return list(_sent)


def reset() -> None:
    with _lock:
        _sent.clear()
