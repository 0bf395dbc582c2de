"""What a collector reads of a health run, as a protocol: `collect.HealthContext` satisfies it, and collectors typed
against it need not import `collect`, which imports them to list them in COLLECTORS."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from components.spec import FleetSpec
from providers.config import Settings


class RunView(Protocol):
    @property
    def stack(self) -> str: ...
    @property
    def spec(self) -> FleetSpec: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def inventory(self) -> Mapping[str, Any]: ...
    @property
    def today(self) -> date: ...
    @property
    def options(self) -> Mapping[str, str]: ...
