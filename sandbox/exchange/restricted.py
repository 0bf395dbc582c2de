"""Restricted entities of the Exchange double: per tenant, the mailboxes outbound protection blocked from sending.

Real Exchange Online adds a mailbox when its outbound mail is classified as spam or it passes a sending limit;
`Get-BlockedSenderAddress [-SenderAddress <SmtpAddress>]` lists them (all, or the one asked for: an address not on the
list yields no rows, not an error) and `Remove-BlockedSenderAddress -SenderAddress <SmtpAddress>` lifts a block
(learn.microsoft.com: Get-BlockedSenderAddress, Remove-BlockedSenderAddress, "Remove blocked users from the
Restricted entities page"). Rows carry `SenderAddress`, `Reason` (`Key=Value;...`, e.g.
`ExceedingLimitType=External;InternalRecipientCountToday=0;ExternalRecipientCountToday=10001`, as CIPP's
restricted-users alert parses it), `BlockType`, `CreatedDatetime`, `ChangedDatetime`, `TemporaryBlock`.

Nothing in the sandbox sends mail, so the list only changes through the admin app: `POST
/tenants/{tenant_id}/restricted-senders {"add": [address | {"address", "reason"?, "temporary"?}], "remove": [...]}`
is what Microsoft's protection system does on its own in the real service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.exchange import errors
from sandbox.persist import double_state
from sandbox.world import Tenant, World

Params = dict[str, Any]
DEFAULT_REASON = "ExceedingLimitType=External;InternalRecipientCountToday=0;ExternalRecipientCountToday=10001"


@dataclass
class BlockedSender:
    address: str
    reason: str = DEFAULT_REASON
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    temporary: bool = False


@dataclass
class RestrictedState:
    """Blocked senders by tenant id, then by lower-case address."""

    tenants: dict[str, dict[str, BlockedSender]] = field(default_factory=dict)


def state(world: World) -> RestrictedState:
    return double_state(world, "exchange_restricted", RestrictedState)


def _row(entry: BlockedSender) -> dict[str, Any]:
    return {
        "SenderAddress": entry.address,
        "Reason": entry.reason,
        "BlockType": "External",
        "CreatedDatetime": entry.created,
        "ChangedDatetime": entry.created,
        "TemporaryBlock": entry.temporary,
    }


def _address(cmdlet: str, params: Params, *, required: bool) -> str | None:
    value = next((v for k, v in params.items() if k.lower() == "senderaddress"), None)
    if value in (None, ""):
        if required:
            raise errors.bad_parameter(cmdlet, "Cannot bind argument to parameter 'SenderAddress' because it is null.")
        return None
    text = str(value).strip().lower()
    if text.count("@") != 1 or not all(text.split("@")):
        raise errors.bad_parameter(cmdlet, f"Cannot process argument transformation on parameter 'SenderAddress'. "
                                           f"\"{value}\" is not a valid SMTP address.")
    return text


def cmdlets(world: World) -> dict[str, Callable[[Tenant, Params], list[dict[str, Any]]]]:
    """The restricted-entities cmdlets by lower-case name (run under `world.lock` by the backend)."""

    def get(tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        wanted = _address("Get-BlockedSenderAddress", params, required=False)
        listed = state(world).tenants.get(tenant.id, {})
        return [_row(e) for a, e in sorted(listed.items()) if wanted is None or a == wanted]

    def remove(tenant: Tenant, params: Params) -> list[dict[str, Any]]:
        address = _address("Remove-BlockedSenderAddress", params, required=True) or ""
        listed = state(world).tenants.get(tenant.id, {})
        if address not in listed:
            raise errors.not_found(address)
        del listed[address]
        return []

    return {"get-blockedsenderaddress": get, "remove-blockedsenderaddress": remove}


def _entry(raw: Any) -> BlockedSender:
    if isinstance(raw, str) and "@" in raw:
        return BlockedSender(address=raw.strip().lower())
    if isinstance(raw, dict) and isinstance(raw.get("address"), str) and "@" in raw["address"]:
        return BlockedSender(address=raw["address"].strip().lower(), reason=str(raw.get("reason") or DEFAULT_REASON),
                             temporary=bool(raw.get("temporary", False)))
    raise ValueError(f"not an address or {{'address', 'reason'?, 'temporary'?}}: {raw!r}")


def admin_endpoint(world: World) -> Callable[[Request], Any]:
    """The admin app's `POST /tenants/{tenant_id}/restricted-senders`: what outbound protection does by itself."""

    async def endpoint(request: Request) -> Response:
        data = await request.json()
        tenant_id = request.path_params["tenant_id"]
        if not isinstance(data, dict) or set(data) - {"add", "remove"}:
            return JSONResponse({"error": "body must be {'add'?: [...], 'remove'?: [addresses]}"}, status_code=400)
        try:
            added = [_entry(raw) for raw in data.get("add") or []]
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        with world.lock:
            if tenant_id not in world.tenants:
                return JSONResponse({"error": f"no tenant {tenant_id}"}, status_code=404)
            listed = state(world).tenants.setdefault(tenant_id, {})
            listed.update({e.address: e for e in added})
            for address in data.get("remove") or []:
                listed.pop(str(address).strip().lower(), None)
            return JSONResponse({"tenant_id": tenant_id, "restricted": sorted(listed)})

    return endpoint
