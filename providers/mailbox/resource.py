"""The Mailbox resource a program declares; `password` is a secret output. Name it "<domain>/<local_part>"."""

from __future__ import annotations

import pulumi

from providers.mailbox.provider import MailboxProvider
from providers.resource import CustomResource


class Mailbox(CustomResource, module="coldfleet", name="Mailbox"):
    """One sending mailbox (inputs: providers/mailbox/args.py)."""

    # Typed for the program; every name in OUTPUTS (and every input) is an Output attribute at runtime.
    password: pulumi.Output[str]
    email: pulumi.Output[str]
    user_id: pulumi.Output[str]

    OUTPUTS = ("user_id", "email", "password", "smtp_host", "smtp_port", "imap_host", "imap_port", "licensed",
               "mailbox_ready", "smtp_auth_enabled", "account_enabled", "photo_sha256", "photo_graph_sha256")
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
