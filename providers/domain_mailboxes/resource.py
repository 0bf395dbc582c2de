"""The DomainMailboxes resource a program declares, one per domain with mailboxes; name it after the domain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from providers.domain_mailboxes.provider import DomainMailboxesProvider
from providers.resource import CustomResource


class DomainMailboxes(CustomResource, module="coldfleet", name="DomainMailboxes"):
    """Waits for the domain's mailboxes at once and finishes them (inputs: providers/domain_mailboxes/args.py)."""

    OUTPUTS = ("ready",)

    def __init__(
        self, resource_name: str, *, tenant_id: pulumi.Input[str], domain: pulumi.Input[str],
        mailboxes: pulumi.Input[Sequence[pulumi.Input[dict[str, Any]]]], opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(DomainMailboxesProvider(), resource_name, locals(), opts)
