"""Keep only coldfleet's own frames in the stack trace the Pulumi SDK sends with every resource registration.

Why: the Python SDK (3.260, `pulumi.runtime.resource._get_stack_trace`) sends `traceback.extract_stack()` below the
resource's constructor with every `RegisterResource`/`ReadResource`, and the engine stores it as the resource's
`stackTrace` in the checkpoint. Under the Automation API's inline program most of it is the language server's
machinery (asyncio, gRPC, threading, the SDK's own stack.py): 16 of 22 frames, about 2.5 KB of a Mailbox's 5.6 KB
(bench/README.md). Neither the SDK nor the engine has an option to turn it off, so the program filters the frames
it sends: the frames from the top down to the last one in coldfleet's own packages are kept (the source position, frame
0, is always kept), the interpreter's and the libraries' below them are dropped. The top frames inside `providers/`
(the resource classes' own constructors, the same two lines for every resource) are dropped too, so the source
position the engine shows in its messages is the program line that declared the resource (components/fleet.py).

The trace is built from the live frames (`capture`), not by trimming the SDK's own: `traceback.extract_stack()` reads
the source line of every frame through linecache, about a tenth of a no-op preview's program time at 1,000 mailboxes.
The frames are the SDK's (those outside the third `__init__` from the registration, innermost first), then trimmed.

The engine only displays and stores these frames; diff, read and old checkpoints do not depend on them. If the SDK no
longer has the private function this wraps, nothing is changed (the trace is only larger).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

log = logging.getLogger(__name__)

_REPO = Path(__file__).resolve().parent.parent
# coldfleet's own code wherever it lives (a checkout, or site-packages where the libraries live too)
OURS = tuple(f"{(_REPO / name).as_uri()}/" for name in ("cli", "components", "providers")) + (
    (_REPO / "__main__.py").as_uri(),
)
RESOURCE_CLASSES = (f"{(_REPO / 'providers').as_uri()}/",)  # skipped at the top: the declaring line comes first
_HOOK = "_get_stack_trace"
_MARK = "_coldfleet_trimmed"
_INITS = 3  # the SDK's rule: Resource, CustomResource/ComponentResource, then the concrete class's __init__


def _kept(uris: list[str | None], ours: tuple[str, ...]) -> slice:
    """Which frames stay (top first): down to the last one of `ours` (at least frame 0), without the resource
    classes' frames on top (one frame always stays)."""
    ours_at = [i for i, uri in enumerate(uris) if uri is not None and uri.startswith(ours)]
    keep = max(ours_at[-1] + 1 if ours_at else 0, min(len(uris), 1))
    first = 0
    while first < keep - 1 and (uris[first] or "").startswith(RESOURCE_CLASSES):
        first += 1
    return slice(first, keep)


def trim(trace: Any, ours: tuple[str, ...] = OURS) -> Any:
    """The trace with only the frames `_kept` keeps (`ours`: URI prefixes)."""
    kept = _kept([frame.pc.uri for frame in trace.frames], ours)
    frames = list(trace.frames)[kept]
    if len(frames) != len(trace.frames):
        del trace.frames[:]
        trace.frames.extend(frames)
    return trace


@functools.lru_cache(maxsize=1024)
def _uri(filename: str) -> str | None:
    try:
        return Path(filename).as_uri()
    except ValueError:  # not an absolute path (`<string>`): the SDK records no position either
        return None


def capture(frame: FrameType | None, ours: tuple[str, ...] = OURS) -> source_pb2.StackTrace:
    """What `trim(_get_stack_trace())` returns, from `frame` (the SDK's caller) outwards, without reading sources."""
    inits = 0
    while frame is not None and inits < _INITS:
        inits += frame.f_code.co_name == "__init__"
        frame = frame.f_back
    found: list[tuple[str | None, int]] = []
    while frame is not None:
        found.append((_uri(frame.f_code.co_filename), frame.f_lineno))
        frame = frame.f_back
    return source_pb2.StackTrace(frames=[
        source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=uri, line=line) if uri else None)
        for uri, line in found[_kept([uri for uri, _line in found], ours)]])


def install() -> bool:
    """Wrap the SDK's stack-trace function once per process; False when the SDK has none to wrap."""
    original: Callable[[], Any] | None = getattr(sdk_resource, _HOOK, None)
    if original is None:
        log.debug("pulumi.runtime.resource has no %s; stack traces stay as the SDK makes them", _HOOK)
        return False
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    def trimmed() -> Any:
        try:
            return capture(sys._getframe(1))
        except Exception:  # noqa: BLE001 - never let a trace fail a registration; the SDK's own way then
            log.debug("building the stack trace failed; trimming the SDK's", exc_info=True)
            return trim(original())

    setattr(trimmed, _MARK, True)
    setattr(sdk_resource, _HOOK, trimmed)
    return True
