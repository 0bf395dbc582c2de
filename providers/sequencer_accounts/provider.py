"""SequencerAccounts: push the live domains' mailboxes into a sequencer through its API and keep them in step.

Every step lists the workspace's accounts first and converges (so a run that crashed or lost an answer just runs
again): a declared mailbox that is missing is created (password path: the sequencer tests the SMTP/IMAP login and a
failed test fails the step, naming the mailbox); its daily limit follows the ramp; a mailbox of a `retiring` domain
(or one whose ramp has not started: limit 0) is paused, an active one resumed; a mailbox no longer declared (its
domain `retired` or removed) is deleted from the sequencer. Accounts coldfleet never declared are never touched; an
account with a declared address is adopted (the address is on our own sending domain).

EmailBison has no pause for a sender email: its client pauses with a daily limit of 0, which the ramp's limit
replaces on resume (providers/clients/sequencers/emailbison.py).

OAuth path: Instantly, Smartlead and EmailBison create Microsoft accounts connected by OAuth only through a sign-in
in their app (EmailBison: its Bulk Uploader Tool), with no documented API (see providers/clients/sequencers/*), so
nothing is created; the declared mailboxes not yet in the workspace are reported in `awaiting_connect`, and once
connected their limits and pauses are managed like the others. `read` reports `drift` (what differs in the
sequencer) and `diff` turns it into an update.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from providers.base import BaseProvider, Created, Read, Updated
from providers.clients.errors import NotReady
from providers.clients.sequencers import NewAccount, RemoteAccount, SequencerClient, client_for
from providers.config import Settings
from providers.sequencer_accounts.args import AccountArgs, SequencerAccountsArgs

log = logging.getLogger(__name__)


def _paused(spec: AccountArgs) -> bool:
    return spec.status == "retiring" or spec.daily_limit == 0


def _drift(args: SequencerAccountsArgs, remote: dict[str, RemoteAccount]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for email, spec in sorted(args.accounts.items()):
        acc = remote.get(email)
        if acc is None:
            if args.sending == "password":
                out.append({"email": email, "what": "missing"})
            continue
        if acc.paused != _paused(spec):
            out.append({"email": email, "what": "paused" if acc.paused else "sending"})
        elif not _paused(spec) and acc.daily_limit != spec.daily_limit:
            out.append({"email": email, "what": f"daily_limit {acc.daily_limit}"})
    return out


class SequencerAccountsProvider(BaseProvider[SequencerAccountsArgs]):
    ARGS = SequencerAccountsArgs
    KIND = "SequencerAccounts"
    DIFF_KEYS = ("sequencer", "sending", "accounts", "warmup")  # passwords: read on create only
    REPLACE_KEYS = ("sequencer",)
    DELETE_BEFORE_REPLACE = False  # another sequencer is another workspace: nothing collides

    def key(self, props: Mapping[str, Any]) -> str:
        return str(props.get("sequencer") or "?")

    def problems(self, args: SequencerAccountsArgs) -> list[tuple[str, str]]:
        if args.sending != "password":
            return []
        missing = sorted(set(args.accounts) - set(args.passwords))
        return [("passwords", f"the password path needs the mailbox password of {', '.join(missing)}")] if missing \
            else []

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return bool(olds.get("drift"))

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def _create(self, args: SequencerAccountsArgs, settings: Settings) -> Created:
        return Created(args.sequencer, self._converge(settings, args, set()))

    def _update(self, _id: str, olds: dict[str, Any], args: SequencerAccountsArgs, settings: Settings) -> Updated:
        return Updated(self._converge(settings, args, set(olds.get("accounts") or {})))

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        args = self.parse(props)
        inputs = self.dump(args)
        client = client_for(settings, args.sequencer)
        try:
            remote = client.list_accounts()
        finally:
            client.close()
        outs = {**inputs, **self._outputs(args, remote), "drift": _drift(args, remote)}
        return Read(id_, outs, inputs)

    def _delete(self, _id: str, props: dict[str, Any], settings: Settings) -> None:
        args = self.parse(props)
        client = client_for(settings, args.sequencer)
        try:
            remote = client.list_accounts()
            for email in sorted(args.accounts):
                if email in remote:
                    client.delete(remote[email])
        finally:
            client.close()

    # -- converge --------------------------------------------------------------------------------------------------

    def _converge(self, settings: Settings, args: SequencerAccountsArgs, previous: set[str]) -> dict[str, Any]:
        client = client_for(settings, args.sequencer)
        try:
            remote = client.list_accounts()
            for email, spec in sorted(args.accounts.items()):
                acc = remote.get(email)
                if acc is None:
                    if args.sending != "password":
                        continue  # connected by a sign-in in the sequencer's app: awaiting_connect
                    acc = remote[email] = self._add(client, args, email, spec)
                self._align(client, acc, spec)
            for email in sorted(previous - set(args.accounts)):
                if email in remote:
                    client.delete(remote.pop(email))
            remote = client.list_accounts()
        finally:
            client.close()
        return {**self.dump(args), **self._outputs(args, remote), "drift": []}

    def _add(self, client: SequencerClient, args: SequencerAccountsArgs, email: str, spec: AccountArgs
             ) -> RemoteAccount:
        w = args.warmup
        acc = client.create(NewAccount(email=email, first_name=spec.first_name, last_name=spec.last_name,
                                       password=args.passwords[email], daily_limit=spec.daily_limit,
                                       warmup_enabled=w.enabled, warmup_limit=w.limit,
                                       warmup_increment=w.increment, warmup_reply_rate=w.reply_rate))
        if acc.problem:
            raise NotReady(f"{args.sequencer} could not sign in to {email}: {acc.problem}", api=args.sequencer,
                           hint="check that SMTP AUTH is on for the mailbox (sending: password), then run again")
        return acc

    @staticmethod
    def _align(client: SequencerClient, acc: RemoteAccount, spec: AccountArgs) -> None:
        paused = _paused(spec)
        if not paused and acc.daily_limit != spec.daily_limit:
            client.set_daily_limit(acc, spec.daily_limit)
        if acc.paused != paused:
            client.set_paused(acc, paused)

    @staticmethod
    def _outputs(args: SequencerAccountsArgs, remote: dict[str, RemoteAccount]) -> dict[str, Any]:
        return {"remote_ids": {e: remote[e].remote_id for e in sorted(args.accounts) if e in remote},
                "awaiting_connect": sorted(e for e in args.accounts if e not in remote)}
