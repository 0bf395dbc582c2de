"""The engine floor: a dynamic resource with one field and a provider that does nothing.

Importable (`bench.floor_provider`) so the engine's provider process can unpickle the provider by reference, the same
way it loads coldfleet's providers; whatever a run of these costs is the engine's and the SDK's own overhead.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider


class FloorProvider(ResourceProvider):
    """Create mints an id; diff compares the one field; read echoes the state; delete is a no-op."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=uuid.uuid4().hex, outs={"value": props.get("value")})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("value") != news.get("value")
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class FloorResource(Resource):
    value: pulumi.Output[str]

    def __init__(self, name: str, value: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(FloorProvider(), name, {"value": value}, opts)


def program(count: int) -> None:
    """The inline program body: `count` bare resources, no dependencies between them."""
    for i in range(count):
        FloorResource(f"r{i:04d}", value=f"v{i}")
