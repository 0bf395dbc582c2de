"""The AuthRecords resource a program declares."""

from __future__ import annotations

from typing import Any

import pulumi

from providers.auth_records.provider import AuthRecordsProvider
from providers.resource import CustomResource


class AuthRecords(CustomResource, module="coldfleet", name="AuthRecords"):
    """The DNS handshake of one sending domain (inputs: providers/auth_records/args.py)."""

    # Typed for the program; every name in OUTPUTS (and every input) is an Output attribute at runtime.
    verified: pulumi.Output[bool]
    records: pulumi.Output[list[dict[str, Any]]]
    dkim_enabled: pulumi.Output[bool]

    OUTPUTS = ("verified", "records", "dkim_selectors", "dkim_enabled", "drift")

    def __init__(
        self, resource_name: str, *, domain: pulumi.Input[str], tenant_id: pulumi.Input[str],
        dns_backend: pulumi.Input[str], verification_txt: pulumi.Input[str], dmarc: pulumi.Input[dict[str, Any]],
        ttl: pulumi.Input[int] = 3600, opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(AuthRecordsProvider(), resource_name, locals(), opts)
