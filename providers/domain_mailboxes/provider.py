"""DomainMailboxes: one per domain with mailboxes; it waits for all of the domain's new mailboxes at once.

Why it is shaped so. Exchange provisions a mailbox minutes after its user is licensed, and the dynamic-provider
server runs resource methods on four threads: a Mailbox create that waited for its own mailbox held one of them for
those minutes, so N mailboxes waited N/4 times in line. Now Mailbox create returns as soon as its user exists and
is licensed (providers/mailbox), and this resource, which depends on every Mailbox of its domain, does the waiting
once for all of them: each poll asks for the mailbox settings of every pending mailbox, 20 to a Graph `$batch`, and
finishes the ones that answer (time zone and language in `$batch`, SMTP AUTH, photo; providers/domain_mailboxes/
finish.py). A domain's wait is one thread for the longest mailbox, and domains wait side by side.

What stays: each mailbox is still its own resource with its own diff, and `up` still converges in one run (this
resource is created in the same run, after the domain's Mailboxes). Drift of a finished mailbox (its settings, SMTP
AUTH, photo, licence, a disabled account) is still found by Mailbox read and repaired by Mailbox update, which
applies everything itself; this resource only finishes mailboxes it has not finished before, so the two never race.

Diff: the mailboxes' users, keyed by address. A user id that differs from the recorded one (a mailbox made again)
or an address new to the domain is a change; so is the tenant. A user id still unknown at preview for an address
already here is taken as unchanged: the Mailbox is being updated (same user), which is what an unknown means far
more often than a mailbox made again after a refresh found it deleted (that one's Mailbox create shows in preview,
and `up` diffs again with the real id). Update finishes only the mailboxes whose users are new; read changes nothing
(what it would find is Mailbox read's to report); delete removes nothing (the mailboxes are the Mailboxes').
Crash and rerun: a create that never recorded itself runs again and is idempotent (it reads before each write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import DiffResult

from providers.base import BaseProvider, Created, Read, Updated, has_unknown, normalise
from providers.config import Settings
from providers.domain_mailboxes.args import DomainMailboxesArgs
from providers.domain_mailboxes.finish import finish

DIFF_KEYS = ("tenant_id", "domain", "mailboxes")


def _users(props: Mapping[str, Any]) -> dict[str, Any]:
    """Address → user id (possibly unknown at preview)."""
    boxes = props.get("mailboxes")
    return {str(b.get("upn")): b.get("user_id") for b in boxes if isinstance(b, Mapping)} if isinstance(
        boxes, list) else {}


class DomainMailboxesProvider(BaseProvider[DomainMailboxesArgs]):
    ARGS = DomainMailboxesArgs
    KIND = "DomainMailboxes"
    DIFF_KEYS = DIFF_KEYS
    REPLACE_KEYS = ("tenant_id", "domain")
    DELETE_BEFORE_REPLACE = False  # nothing remote collides: delete is a no-op

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds_n, news_n = normalise(olds), normalise(news)
        if has_unknown(news_n.get("mailboxes")) and not isinstance(news_n.get("mailboxes"), list):
            return DiffResult(changes=True, replaces=[], stables=["tenant_id", "domain"])
        replaces = [k for k in self.REPLACE_KEYS
                    if olds_n.get(k) != news_n.get(k) and not has_unknown(news_n.get(k))]
        before, after = _users(olds_n), _users(news_n)
        new_users = [upn for upn, uid in after.items()
                     if upn not in before or (not has_unknown(uid) and uid != before[upn])]
        changed = bool(replaces) or bool(new_users) or set(before) != set(after) or any(
            has_unknown(news_n.get(k)) for k in self.REPLACE_KEYS)
        return DiffResult(changes=changed, replaces=replaces,
                          stables=[k for k in self.DIFF_KEYS if k not in replaces and k != "mailboxes"],
                          delete_before_replace=False)

    def _create(self, args: DomainMailboxesArgs, settings: Settings) -> Created:
        finish(settings, args.tenant_id, args.domain, args.mailboxes)
        return Created(f"{args.tenant_id}/{args.domain}", self._outs(args))

    def _update(self, id_: str, olds: dict[str, Any], args: DomainMailboxesArgs, settings: Settings) -> Updated:
        done = set(_users(olds).values()) if olds.get("tenant_id") == args.tenant_id else set()
        finish(settings, args.tenant_id, args.domain, [b for b in args.mailboxes if b.user_id not in done])
        return Updated(self._outs(args))

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        inputs = {key: props.get(key) for key in DIFF_KEYS}
        return Read(id_, dict(props), inputs)

    def _delete(self, id_: str, props: dict[str, Any], settings: Settings) -> None:
        return None

    def _outs(self, args: DomainMailboxesArgs) -> dict[str, Any]:
        return {**self.dump(args), "ready": len(args.mailboxes)}
