"""The Mailbox resource a program declares; `password` is a secret output. Name it "<domain>/<local_part>"."""

from __future__ import annotations

import pulumi

from providers.mailbox.provider import MailboxProvider
from providers.resource import CustomResource


class Mailbox(CustomResource, module="coldfleet", name="Mailbox"):
    """One sending mailbox (inputs: providers/mailbox/args.py)."""

    # Typed for the program; every name in OUTPUTS (and every input) is an Output attribute at runtime. Only what the
    # program reads is declared: the state holds every output the provider returns either way, and each declared
    # name costs an Output and a resolver per mailbox in every run (5,000 mailboxes: bench/README.md).
    password: pulumi.Output[str]
    email: pulumi.Output[str]
    user_id: pulumi.Output[str]

    OUTPUTS = ("user_id", "email", "password")
    SECRET_OUTPUTS = ("password",)

    def __init__(
        self, resource_name: str, *, tenant_id: pulumi.Input[str], domain: pulumi.Input[str],
        local_part: pulumi.Input[str], first_name: pulumi.Input[str], last_name: pulumi.Input[str],
        display_name: pulumi.Input[str], usage_location: pulumi.Input[str], licence_sku_id: pulumi.Input[str],
        sending: pulumi.Input[str], domain_verified: pulumi.Input[bool], time_zone: pulumi.Input[str] = "UTC",
        language: pulumi.Input[str] = "en-US", photo: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.register(MailboxProvider(), resource_name, locals(), opts)
