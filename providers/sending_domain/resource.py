"""The SendingDomain resource a program declares."""

from __future__ import annotations

import pulumi

from providers.resource import CustomResource
from providers.sending_domain.provider import SendingDomainProvider


class SendingDomain(CustomResource, module="coldfleet", name="SendingDomain"):
    """A domain with its DNS zone, registered or brought (inputs: providers/sending_domain/args.py)."""

    # Typed for the program; every name in OUTPUTS (and every input) is an Output attribute at runtime.
    nameservers: pulumi.Output[list[str]]
    delegated: pulumi.Output[bool]

    OUTPUTS = ("zone_id", "nameservers", "registered", "registration_expires", "delegated")

    def __init__(
        self, resource_name: str, *, domain: pulumi.Input[str], dns_backend: pulumi.Input[str],
        registrar: pulumi.Input[str], max_price: pulumi.Input[float] | None = None,
        delete_zone_on_destroy: pulumi.Input[bool] = False, release_registration_on_destroy: pulumi.Input[bool] = False,
        brand_domain: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(SendingDomainProvider(), resource_name, locals(), opts)
