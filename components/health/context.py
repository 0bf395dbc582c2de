"""What a collector reads of a health run, as a structural type: collectors name this instead of importing
components.health.collect, which imports them to list them in COLLECTORS (no import circle).
`components.health.collect.HealthContext` is the one implementation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from components.spec import FleetSpec
from providers.config import Settings


class Reads(Protocol):
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
