"""What every coldfleet dynamic provider shares: typed parsing, `check` and an explicit `diff`, and the lifecycle as
template methods that turn any failure into one line a user can act on.

Pulumi's defaults are traps (`diff` returning "unknown" compares `__provider` too; `check` echoes anything), so each
provider declares its input model, the keys it diffs, and which of those keys force a replacement. Subclasses
implement `_create(args, settings)`, `_update(id, olds, args, settings)`, `_read(id, props, settings)` and
`_delete(id, props, settings)`; the public methods parse and normalise first and wrap what escapes (contract 5):
`coldfleet: Mailbox anna@alpha.com: [graph 403 Authorization_RequestDenied] <message>. Next: <hint>`.

A write whose connection dropped after it went out (`WriteUnconfirmed`) is neither success nor failure: the step runs
again, and since every step reads before it writes (create adopts by natural key or ownership marker, update and
delete converge on the inputs), the second run finds what the first did and continues; no half-made object, no
traceback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pulumi import runtime
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pydantic import BaseModel, ValidationError

from providers import config, snapshot, threads
from providers import log as provider_log
from providers.clients.http import WriteUnconfirmed
from providers.config import Settings
from providers.types import STORED

log = logging.getLogger(__name__)

ArgsT = TypeVar("ArgsT", bound=BaseModel)
R = TypeVar("R")
# A lifecycle step whose write lost its connection runs again this many times in all: every step reads before it
# writes (create adopts by natural key or marker, update and delete converge), so the next run sees what was done.
WRITE_RUNS = 3
UNKNOWN = runtime.rpc.UNKNOWN  # the wire form of a value other resources have not produced yet (preview)


def normalise(value: Any) -> Any:
    """Engine round-trips turn ints into floats; make whole floats ints again, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: normalise(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def has_unknown(value: Any) -> bool:
    """True for the wire string and for `pulumi.output.Unknown`, which is what the dynamic provider server hands
    Check and Diff (it deserializes with keep_unknowns=True)."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return False


def _set(props: Mapping[str, Any]) -> dict[str, Any]:
    """The keys that carry a value (a dumped model writes `sp: None` where the program left `sp` out)."""
    return {k: v for k, v in props.items() if v is not None}


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted property path (`address.country`), None when absent."""
    value: Any = props
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def failures_from(error: ValidationError, props: Mapping[str, Any] | None = None) -> list[CheckFailure]:
    """One CheckFailure per pydantic error, naming the property path (`dmarc.rua`).

    A property path names the property, not an item in it: an error in `rua[0]` is reported on `dmarc.rua` (the
    message says which value). Errors on values still unknown at preview (outputs of other resources) are not failures.
    """
    out = []
    for err in error.errors():
        loc = err["loc"]
        if props is not None and loc and has_unknown(props.get(str(loc[0]))):
            continue
        named = [str(p) for p in loc[: next((i for i, p in enumerate(loc) if isinstance(p, int)), len(loc))]]
        path = ".".join(named) or "(input)"
        out.append(CheckFailure(path, err["msg"]))
    return out


# ---- results whose outputs are always there ----------------------------------------------------------------------


class Created(CreateResult):
    """A CreateResult that always carries outputs (the SDK types them Optional)."""

    outs: dict[str, Any]

    def __init__(self, id_: str, outs: dict[str, Any]) -> None:
        super().__init__(id_, outs)


class Updated(UpdateResult):
    outs: dict[str, Any]

    def __init__(self, outs: dict[str, Any]) -> None:
        super().__init__(outs)


class Read(ReadResult):
    """A ReadResult with outputs (`{}` and id "" when the object is gone) and the inputs to record, if any."""

    id: str
    outs: dict[str, Any]

    def __init__(self, id_: str, outs: dict[str, Any], inputs: dict[str, Any] | None = None) -> None:
        super().__init__(id_, outs, inputs)


# ---- one-line failures -------------------------------------------------------------------------------------------


class ResourceFailed(Exception):
    """Mixed into a subclass of the original exception's class, so `except errors.Conflict` and the error's
    `args`, `status`, `code` and `api` still hold; only `str()` changes, to the one line the CLI shows."""

    line: str

    def __str__(self) -> str:
        return self.line


_FAILED: dict[type[BaseException], type[ResourceFailed]] = {}
_FAILED_LOCK = threading.Lock()  # the provider server runs operations on a thread pool


def _failed_class(cls: type[BaseException]) -> type[ResourceFailed]:
    with _FAILED_LOCK:
        if cls not in _FAILED:
            _FAILED[cls] = type(cls.__name__, (ResourceFailed, cls), {"__module__": cls.__module__})
        return _FAILED[cls]


def one_line(kind: str, key: str, error: Exception) -> str:
    """`coldfleet: <kind> <key>: <the error's own text>. Next: <hint>` on one line."""
    text = " ".join(str(error).split()) or type(error).__name__
    hint = getattr(error, "hint", None)
    return f"coldfleet: {kind} {key}: {text}" + (f". Next: {hint}" if hint else "")


def resource_failed(kind: str, key: str, error: Exception) -> Exception:
    """The same error as a ResourceFailed whose text is the one line; the error itself if it already is one."""
    if isinstance(error, ResourceFailed):
        return error
    failed = _failed_class(type(error))
    wrapped: Any = Exception.__new__(failed)
    wrapped.args = error.args
    wrapped.__dict__.update(error.__dict__)
    wrapped.line = one_line(kind, key, error)
    return wrapped  # type: ignore[no-any-return]


# ---- the template ------------------------------------------------------------------------------------------------


class BaseProvider(ResourceProvider, Generic[ArgsT]):
    """Subclasses set ARGS, KIND, DIFF_KEYS, REPLACE_KEYS and implement the underscore lifecycle hooks."""

    ARGS: type[ArgsT]
    KIND: ClassVar[str] = "Resource"
    DIFF_KEYS: ClassVar[tuple[str, ...]] = ()
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ()
    # Replacements delete first because the remote name collides (the same domain, the same UPN).
    DELETE_BEFORE_REPLACE: ClassVar[bool] = True

    def configure(self, req: ConfigureRequest) -> None:
        provider_log.install()
        threads.widen(config.load(req.config.get).provider_threads)

    def parse(self, props: Mapping[str, Any], stored: bool = False) -> ArgsT:
        """Validated, normalised inputs (raises pydantic's ValidationError). `stored`: props from the state, which
        were checked when declared; validators that need a heavy library (checkdmarc) skip it (providers.types)."""
        return self.ARGS.model_validate(normalise(dict(props)), context={STORED: True} if stored else None)

    def dump(self, args: BaseModel) -> dict[str, Any]:
        """The input dict as the state holds it (aliases such as `dmarc.t`)."""
        return dict(args.model_dump(mode="json", by_alias=True))

    def inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The normalised input dict, as echoed into outputs."""
        return self.dump(self.parse(props))

    def key(self, props: Mapping[str, Any]) -> str:
        """The natural key a user knows the resource by (in error messages)."""
        return str(props.get("domain") or "?")

    def problems(self, args: ArgsT) -> list[tuple[str, str]]:
        """Hook: failures across fields, as (property path, reason); a path still unknown at preview is skipped."""
        return []

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        clean = normalise(news)
        # Inputs exactly as the state holds them passed this check when they were declared: the heavy validators
        # (checkdmarc's record parsing, providers.types) are not run again for them; every other rule is.
        unchanged = bool(olds) and _set(normalise(olds)) == _set(clean)
        try:
            model = self.ARGS.model_validate(clean, context={STORED: True} if unchanged else None)
        except ValidationError as error:
            return CheckResult(clean, failures_from(error, clean))
        failures = [CheckFailure(path, why) for path, why in self.problems(model)
                    if not has_unknown(lookup(clean, path))]
        return CheckResult(clean if failures else self.dump(model), failures)

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Hook: the live state a refresh recorded in `olds` is off although the inputs are unchanged.

        A refresh only changes outputs; answering True makes `diff` plan an update (never a replace) that repairs it.
        """
        return False

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds_n, news_n = normalise(olds), normalise(news)
        changed = [k for k in self.DIFF_KEYS if olds_n.get(k) != news_n.get(k)]
        # A replace key still unknown at preview shows as an update; `up` diffs again with the real value.
        replaces = [k for k in changed if k in self.REPLACE_KEYS and not has_unknown(news_n.get(k))]
        return DiffResult(
            changes=bool(changed) or self.drifted(olds_n, news_n),
            replaces=replaces,
            stables=[k for k in self.DIFF_KEYS if k not in changed],
            delete_before_replace=self.DELETE_BEFORE_REPLACE and bool(replaces),
        )

    # -- lifecycle: parse, run the hook, one line on failure -------------------------------------------------------

    def _guard(self, props: Mapping[str, Any], step: Callable[[], R], write: bool = False) -> R:
        try:
            for run in range(1, WRITE_RUNS + 1):
                try:
                    return step()
                except WriteUnconfirmed as error:
                    if run == WRITE_RUNS:
                        raise resource_failed(self.KIND, self.key(props), error) from error
                    log.warning("%s %s: %s; reading back and continuing (%d/%d)", self.KIND, self.key(props), error,
                                run, WRITE_RUNS - 1)
                except Exception as error:
                    raise resource_failed(self.KIND, self.key(props), error) from error
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            if write:
                snapshot.forget()  # what reads listed before this write may be out of date (providers/snapshot.py)

    def create(self, props: dict[str, Any]) -> Created:
        return self._guard(props, lambda: self._create(self.parse(props), config.current()), write=True)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Updated:
        return self._guard(news, lambda: self._update(id_, normalise(olds), self.parse(news), config.current()),
                           write=True)

    def read(self, id_: str, props: dict[str, Any]) -> Read:
        return self._guard(props, lambda: self._read(id_, normalise(props), config.current()))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._guard(props, lambda: self._delete(id_, normalise(props), config.current()), write=True)

    def _create(self, args: ArgsT, settings: Settings) -> Created:
        raise NotImplementedError

    def _update(self, id_: str, olds: dict[str, Any], args: ArgsT, settings: Settings) -> Updated:
        raise NotImplementedError

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        raise NotImplementedError

    def _delete(self, id_: str, props: dict[str, Any], settings: Settings) -> None:
        raise NotImplementedError
