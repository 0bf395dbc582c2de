"""What the two sequencer doubles' account models (Instantly, Smartlead) check and stamp alike: the address form, the
millisecond UTC timestamps both APIs answer with, and whole-number fields in a range (the wording stays each
vendor's: the error factory and the field's name in the message are passed in)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def whole_number(body: dict[str, Any], key: str, low: int, high: int, refuse: Callable[[str], Exception],
                 label: str | None = None) -> int:
    """`body[key]` when it is an int (not a bool) from `low` to `high`, else `refuse("<label> must be ...")`."""
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refuse(f"{label or key} must be an integer between {low} and {high}")
    return value
