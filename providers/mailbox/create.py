"""Mailbox create in the tenant's shared `$batch`: the user and its licence as one group of two requests.

The group (providers/clients/graph/gather.py gathers the groups of the Mailbox creates that run at the same time):

- `POST /users` with everything the user needs (names, usage location, password, our ownership marker), so no
  PATCH follows;
- `POST /users/{upn}/assignLicense` with `dependsOn` the create. `dependsOn` orders the two but cannot hand the new
  id to the second, so it names the user by UPN, which Graph accepts wherever it takes a user id.

No look-up goes first: a UPN that is taken answers 400 with an `ObjectConflict` detail, and only then is the user
read (and adopted with our marker, or refused as foreign) the one-by-one way. Anything the batch leaves unsettled
goes that way too: the whole batch lost (a dropped connection, a 5xx after the transport's retries), the create
answered 5xx (it may have landed) or still throttled after the batch's own retries. That way reads back by UPN before
it writes (`GraphClient.create_user`), so a fault never makes a duplicate. A licence that fails while the user was
made is left to the caller's persona step, which assigns it by id and reports the error the direct call gives.

Graph's `dependsOn` (learn.microsoft.com/graph/json-batching, "Sequencing requests with the dependsOn property"):
an item whose dependency failed answers 424 and is not run. Older Graph "known issues" allowed only one dependency
pattern per batch (all parallel, a chain, or all on one request); a batch of several create + licence pairs is none
of those, so if Graph ever refuses the batch as a whole with 400, the callers fall back to the one-by-one way.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from providers.clients import errors
from providers.clients.graph import GraphUser, gather
from providers.clients.graph.batch import answer_error
from providers.config import Settings
from providers.mailbox.args import MARKER, MailboxArgs

log = logging.getLogger(__name__)

JSON = {"Content-Type": "application/json"}


def group(args: MailboxArgs, password: str) -> list[dict[str, Any]]:
    """The two requests of one mailbox's create (the password travels only in the body, never in logs)."""
    user = {
        "accountEnabled": True, "displayName": args.display_name, "mailNickname": args.local_part,
        "userPrincipalName": args.upn, "givenName": args.first_name, "surname": args.last_name,
        "usageLocation": args.usage_location,
        "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
        "onPremisesExtensionAttributes": {"extensionAttribute15": MARKER},
    }
    licence = {"addLicenses": [{"skuId": args.licence_sku_id, "disabledPlans": []}], "removeLicenses": []}
    return [
        {"id": "user", "method": "POST", "url": "/users", "headers": JSON, "body": user},
        {"id": "licence", "method": "POST", "url": f"/users/{quote(args.upn, safe='@')}/assignLicense",
         "headers": JSON, "body": licence, "dependsOn": ["user"]},
    ]


def is_conflict(answer: dict[str, Any]) -> bool:
    """400 with an ObjectConflict detail: the UPN is taken (Graph's duplicate answer)."""
    body = answer.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return int(answer.get("status") or 0) == 400 and isinstance(details, list) and any(
        isinstance(d, dict) and d.get("code") == "ObjectConflict" for d in details)


def create_in_batch(settings: Settings, args: MailboxArgs, password: str) -> GraphUser | None:
    """The new, licensed user; None when the batch did not settle it (taken UPN, lost or failed batch): the caller
    then goes the one-by-one way. Raises for a create Graph refused (a 4xx other than a conflict)."""
    try:
        made, licence = gather.submit(settings, args.tenant_id, group(args, password))
    except errors.ClientError as error:
        log.info("create %s: the batch failed (%s); going one by one", args.upn, error)
        return None
    status = int(made.get("status") or 0)
    if is_conflict(made):
        log.info("create %s: the UPN is taken; reading it to adopt", args.upn)
        return None
    if status == 429 or status >= 500:
        log.info("create %s: the create answered %d in the batch; going one by one", args.upn, status)
        return None
    if status >= 300:
        raise answer_error(f"create user {args.upn}", made)
    body = made.get("body")
    if not isinstance(body, dict):
        body = {}
    user_id = str(body.get("id") or "")
    if not user_id:
        raise errors.ServerError(f"create user {args.upn}: the batch answer carries no id", api="graph")
    licensed = int(licence.get("status") or 0) < 300
    if not licensed:
        log.info("create %s: licence answered %s in the batch; assigning it directly", args.upn, licence.get("status"))
    log.info("create %s: user %s created%s in a batch", args.upn, user_id, " and licensed" if licensed else "")
    return GraphUser(id=user_id, user_principal_name=args.upn, display_name=args.display_name,
                     given_name=args.first_name, surname=args.last_name, account_enabled=True,
                     usage_location=args.usage_location,
                     assigned_sku_ids=(args.licence_sku_id.lower(),) if licensed else (), marker=MARKER)
