"""Shapes Partner Center answers in: its timestamps, camelCase property names, the Microsoft Customer Agreement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCA = "MicrosoftCustomerAgreement"


def now() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def camel(value: Any) -> Any:
    """Partner Center accepts PascalCase and camelCase property names; work in camelCase."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value
