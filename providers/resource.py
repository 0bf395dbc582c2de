"""The one Resource style of the four: explicit typed `pulumi.Input[...]` keyword parameters, outputs as None.

Each resource's `__init__` lists its inputs as keyword parameters (a reader and mypy see exactly what it takes) and
hands `locals()` to `register`, which keeps those inputs, declares the outputs the program reads as None (each is
an Output attribute; the state keeps every output the provider returns either way), and marks the secret outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

NOT_INPUTS = frozenset({"self", "__class__", "resource_name", "opts"})


class CustomResource(Resource):
    """A coldfleet dynamic resource (subclasses name their type: `module="coldfleet", name="Mailbox"`)."""

    OUTPUTS: tuple[str, ...] = ()
    SECRET_OUTPUTS: tuple[str, ...] = ()

    def register(self, provider: ResourceProvider, resource_name: str, params: Mapping[str, Any],
                 opts: pulumi.ResourceOptions | None, outputs: Sequence[str] = ()) -> None:
        props = {key: value for key, value in params.items() if key not in NOT_INPUTS}
        props.update({name: None for name in (*self.OUTPUTS, *outputs) if name not in props})
        if self.SECRET_OUTPUTS:
            secret = pulumi.ResourceOptions(additional_secret_outputs=list(self.SECRET_OUTPUTS))
            opts = pulumi.ResourceOptions.merge(opts, secret)
        super().__init__(provider, resource_name, props, opts)
