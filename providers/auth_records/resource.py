"""The AuthRecords resource a program declares."""

from __future__ import annotations

from typing import Any

import pulumi

from providers.auth_records.provider import AuthRecordsProvider
from providers.resource import CustomResource


class AuthRecords(CustomResource, module="coldfleet", name="AuthRecords"):
    """The DNS handshake of one sending domain (inputs: providers/auth_records/args.py)."""

    domain: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    dns_backend: pulumi.Output[str]
    verification_txt: pulumi.Output[str]
    dmarc: pulumi.Output[dict[str, Any]]
    ttl: pulumi.Output[int]
    verified: pulumi.Output[bool]
    records: pulumi.Output[list[dict[str, Any]]]
    dkim_selectors: pulumi.Output[list[str]]
    dkim_enabled: pulumi.Output[bool]
    drift: pulumi.Output[list[dict[str, Any]]]

    OUTPUTS = ("verified", "records", "dkim_selectors", "dkim_enabled", "drift")

    def __init__(
        self, resource_name: str, *, domain: pulumi.Input[str], tenant_id: pulumi.Input[str],
        dns_backend: pulumi.Input[str], verification_txt: pulumi.Input[str], dmarc: pulumi.Input[dict[str, Any]],
        ttl: pulumi.Input[int] = 3600, opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(AuthRecordsProvider(), resource_name, locals(), opts)
