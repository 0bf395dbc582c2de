"""The SequencerAccounts resource a program declares; name it "<client>/<sequencer>"."""

from __future__ import annotations

from typing import Any

import pulumi

from providers.resource import CustomResource
from providers.sequencer_accounts.provider import SequencerAccountsProvider


class SequencerAccounts(CustomResource, module="coldfleet", name="SequencerAccounts"):
    """The live mailboxes as accounts of one sequencer (inputs: providers/sequencer_accounts/args.py)."""

    awaiting_connect: pulumi.Output[list[str]]

    OUTPUTS = ("remote_ids", "awaiting_connect", "drift")
    SECRET_OUTPUTS = ("passwords",)

    def __init__(
        self, resource_name: str, *, sequencer: pulumi.Input[str], sending: pulumi.Input[str],
        accounts: pulumi.Input[dict[str, Any]], warmup: pulumi.Input[dict[str, Any]],
        passwords: pulumi.Input[dict[str, str]] | None = None, opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        passwords = passwords if passwords is not None else {}
        self.register(SequencerAccountsProvider(), resource_name, locals(), opts)
