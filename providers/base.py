"""What every coldfleet dynamic provider shares: pydantic-backed `check`, an explicit `diff`, number normalisation.

Pulumi's defaults are traps (`diff` returning "unknown" compares `__provider` too; `check` echoes anything), so each
provider declares its input model, the keys it diffs, and which of those keys force a replacement.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi import runtime
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, ResourceProvider
from pulumi.output import Unknown
from pydantic import BaseModel, ValidationError

from providers import config

log = logging.getLogger(__name__)


def normalise(value: Any) -> Any:
    """Engine round-trips turn ints into floats; make whole floats ints again, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: normalise(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


UNKNOWN = runtime.rpc.UNKNOWN  # the wire form of a value other resources have not produced yet (preview)


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


def failures_from(error: ValidationError, props: Mapping[str, Any] | None = None) -> list[CheckFailure]:
    """One CheckFailure per pydantic error, naming the property path (`dmarc.rua`).

    Errors on values still unknown at preview (outputs of other resources) are not failures.
    """
    out = []
    for err in error.errors():
        loc = err["loc"]
        if props is not None and loc and has_unknown(props.get(str(loc[0]))):
            continue
        path = ".".join(str(p) for p in loc) or "(input)"
        out.append(CheckFailure(path, err["msg"]))
    return out


class BaseProvider(ResourceProvider):
    """Template for our providers. Subclasses set ARGS, DIFF_KEYS, REPLACE_KEYS and implement the lifecycle."""

    ARGS: ClassVar[type[BaseModel]]
    DIFF_KEYS: ClassVar[tuple[str, ...]] = ()
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ()
    # Keys that are delete-before-replace because the remote name collides (the same domain, the same UPN).
    DELETE_BEFORE_REPLACE: ClassVar[bool] = True

    def configure(self, req: ConfigureRequest) -> None:
        config.load(req.config.get)

    def parse(self, props: Mapping[str, Any]) -> Any:
        """Validated, normalised inputs (raises pydantic's ValidationError)."""
        return self.ARGS.model_validate(normalise(dict(props)))

    def inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The normalised input dict, as echoed into outputs."""
        return dict(self.parse(props).model_dump(mode="json"))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        clean = normalise(news)
        try:
            model = self.ARGS.model_validate(clean)
        except ValidationError as error:
            return CheckResult(clean, failures_from(error, clean))
        return CheckResult(model.model_dump(mode="json"), [])

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
