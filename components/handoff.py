"""The fleet's hand-off to its sequencer: the SequencerAccounts resource when the stack configures the sequencer's
API key, and the `handoff` output `coldfleet export` renders files from.

The API path is taken only when `defaults.sequencer` is instantly, smartlead or emailbison and the stack (or its
settings file or environment) carries that sequencer's API key (`coldfleet:instantlyApiKey` /
`coldfleet:smartleadApiKey` / `coldfleet:emailbisonApiKey`, set as secrets; EmailBison also needs
`coldfleet:emailbisonEndpoint`, its per-customer instance); without a key the hand-off is the file alone.
Whether a key is set is decided here from the same sources the provider reads (stack config, settings file,
environment), so that `preview` shows the resource exactly when `up` would use it; the answer is a bool, the key is
neither kept, logged nor passed as an input: the provider reads it again in `configure()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import pulumi

from components.export import Account
from components.spec import FleetSpec
from providers.clients.sequencers import SEQUENCERS, api_key_for
from providers.config import SettingsError, from_sources
from providers.sequencer_accounts import SequencerAccounts


def _config_get(key: str) -> str | None:
    namespace, _, name = key.rpartition(":")
    return pulumi.Config(namespace or "coldfleet").get(name)


def api_configured(sequencer: str) -> bool:
    """True when this stack's settings name an API key for `sequencer` (instantly, smartlead, emailbison)."""
    if sequencer not in SEQUENCERS:
        return False
    try:
        settings = from_sources(_config_get)
    except SettingsError as error:
        pulumi.log.warn(f"sequencer hand-off through the API skipped: {error}")
        return False
    return bool(api_key_for(settings, sequencer))


def register(parent: pulumi.Resource, spec: FleetSpec, rows: Mapping[str, dict[str, Any]],
             passwords: Mapping[str, pulumi.Output[str]]) -> SequencerAccounts | None:
    """One SequencerAccounts for the fleet's sequencer, named "<client>/<sequencer>" (stable: switching sequencer
    is another resource, so the old workspace is emptied and the new one filled)."""
    d = spec.defaults
    if not api_configured(d.sequencer):
        return None
    secrets: pulumi.Input[dict[str, str]] = {}
    if d.sending == "password" and passwords:
        secrets = pulumi.Output.secret(pulumi.Output.all(**passwords))
    return SequencerAccounts(
        f"{spec.client}/{d.sequencer}", sequencer=d.sequencer, sending=d.sending, accounts=dict(sorted(rows.items())),
        warmup=d.warmup.model_dump(), passwords=secrets, opts=pulumi.ResourceOptions(parent=parent),
    )


def handoff_output(spec: FleetSpec, accounts: list[pulumi.Input[Account]]) -> pulumi.Output[dict[str, Any]]:
    """Everything `coldfleet export` needs to write any format (secret: it carries the mailbox passwords)."""
    d = spec.defaults

    def shape(rows: list[Account]) -> dict[str, Any]:
        return {"sequencer": d.sequencer, "sending": d.sending, "warmup": d.warmup.model_dump(),
                "accounts": [asdict(r) for r in sorted(rows, key=lambda r: r.email)]}

    # Secret from the start (the marker), never wrapped afterwards: `Output.secret` of the finished dict would lift
    # each of its leaves into an Output (components/fleet.py, Opaque).
    return pulumi.Output.all(pulumi.Output.secret(""), *accounts).apply(lambda values: shape(values[1:]))
