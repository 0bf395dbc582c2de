"""SendingDomain: the domain is registered (Name.com) or brought by the user, its DNS zone exists, and it is delegated.

create: ensure the zone (Cloudflare: create or adopt; RFC 2136: must already exist), then for `registrar: namecom`
adopt a registration that is already ours or buy the domain — never above `max_price`, never a premium name without
one — with the zone's nameservers and an idempotency key derived from the domain alone, so a crash after the purchase
and a retry replays the first order instead of buying twice. For `registrar: byo` we output the nameservers the user
must delegate to.

`delegated`: for `namecom`, the registrar's nameservers are the zone's. For `byo` it is the check we can make without
the registrar: the authoritative server answers the zone's apex (its NS RRset). That proves the zone is served, not
that the parent (TLD) delegates to it — a resolver walking from the root may still not find the zone.

Replace keys: `domain` (another domain is another resource) and `dns_backend` (the zone, its id and its nameservers
belong to one backend; moving them is a migration, not an in-place edit). Registrations and zones are never deleted:
they cost money and are hard to get back. `release_registration_on_destroy` only turns autorenew off, and
`delete_zone_on_destroy` must be set explicitly to drop the zone.

check refuses, offline, a name that is not a valid domain (IDN → punycode with IDNA 2008/UTS 46, the same
normalisation as the fleet spec: `providers.types`) and, when `brand_domain` (the client's primary domain) is given, a
domain equal to it, under it or above it. `brand_domain` is a guard on the input, not part of the resource's state: it
is not a diff key, so adding it to stacks created before it existed, or a changed brand domain, shows no change and
never replaces a domain (it is echoed into the outputs on the next update). The inputs and the price rules: args.py.
"""

from __future__ import annotations

import logging
from typing import Any

from providers.base import BaseProvider, Created, Read, Updated
from providers.clients.dns import ZoneInfo, authoritative_query, backend_for
from providers.clients.errors import BadRequest, ClientError, Conflict, NotFound, OwnershipConflict
from providers.clients.registrar import Registrar, Registration, registrar_for
from providers.config import Settings
from providers.sending_domain.args import SendingDomainArgs, idempotency_key, purchase_price, same_nameservers

log = logging.getLogger(__name__)


class SendingDomainProvider(BaseProvider[SendingDomainArgs]):
    ARGS = SendingDomainArgs
    KIND = "SendingDomain"
    DIFF_KEYS = ("domain", "dns_backend", "registrar", "max_price", "delete_zone_on_destroy",
                 "release_registration_on_destroy")
    REPLACE_KEYS = ("domain", "dns_backend")

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def _create(self, args: SendingDomainArgs, settings: Settings) -> Created:
        return Created(args.domain, self._converge(settings, args, ours=False))

    def _update(self, _id: str, olds: dict[str, Any], args: SendingDomainArgs, settings: Settings) -> Updated:
        # A registration we recorded as ours stays ours even when its nameservers drifted or the key expired.
        ours = bool(olds.get("registered")) and olds.get("registrar") == "namecom"
        return Updated(self._converge(settings, args, ours=ours))

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        # The registrar no longer points at our zone; an update re-points it.
        return olds.get("delegated") is False and news.get("registrar") == "namecom"

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        args = self.parse(props)
        zone = backend_for(settings, args.dns_backend).find_zone(args.domain)
        if zone is None:
            log.info("read: zone %s is gone", args.domain)
            return Read("", {})
        reg = registrar_for(settings, "namecom").get(args.domain) if args.registrar == "namecom" else None
        inputs = self.dump(args)
        return Read(id_, self._outputs(settings, args, zone, reg), inputs)

    def _delete(self, _id: str, props: dict[str, Any], settings: Settings) -> None:
        args = self.parse(props)
        if args.registrar == "namecom" and args.release_registration_on_destroy:
            registrar = registrar_for(settings, "namecom")
            if registrar.get(args.domain) is not None:
                registrar.set_autorenew(args.domain, False)
                log.info("delete: autorenew off for %s; the registration runs out at its expiry", args.domain)
        if args.delete_zone_on_destroy:
            try:
                backend_for(settings, args.dns_backend).delete_zone(args.domain)
            except NotFound:
                pass
            log.info("delete: zone %s deleted", args.domain)
        else:
            log.info("delete: zone %s kept (delete_zone_on_destroy is false)", args.domain)

    # -- steps -----------------------------------------------------------------------------------------------------

    def _converge(self, settings: Settings, args: SendingDomainArgs, *, ours: bool) -> dict[str, Any]:
        zone = backend_for(settings, args.dns_backend).ensure_zone(args.domain)
        reg = None
        if args.registrar == "namecom":
            reg = self._ensure_registration(registrar_for(settings, "namecom"), args, zone, ours=ours)
        return self._outputs(settings, args, zone, reg)

    def _ensure_registration(
        self, registrar: Registrar, args: SendingDomainArgs, zone: ZoneInfo, *, ours: bool
    ) -> Registration:
        domain, nameservers, key = args.domain, list(zone.nameservers), idempotency_key(args.domain)
        reg = registrar.get(domain)
        if reg is None:
            price = purchase_price(args, registrar.check(domain))
            log.info("registering %s for %.2f", domain, price)
            reg = registrar.register(domain, price=price, nameservers=nameservers, idempotency_key=key)
        elif not same_nameservers(reg.nameservers, nameservers) and not ours:
            self._claim(registrar, args, nameservers, key, reg)
        if not same_nameservers(reg.nameservers, nameservers):
            log.info("pointing %s at %s", domain, nameservers)
            reg = registrar.set_nameservers(domain, nameservers)
        return reg

    @staticmethod
    def _claim(
        registrar: Registrar, args: SendingDomainArgs, nameservers: list[str], key: str, found: Registration
    ) -> None:
        """A registration that points elsewhere is ours only if Name.com replays our own order for our key.

        The replay answers the first order as it was (old nameservers), so the caller keeps comparing `found`.
        """
        domain = args.domain
        price = args.max_price if args.max_price is not None else 0.01
        try:
            registrar.register(domain, price=price, nameservers=nameservers, idempotency_key=key)
            log.info("%s: Name.com replayed our order; adopting the registration", domain)
            return
        except (BadRequest, Conflict, NotFound):
            pass  # no order of ours under that key: the fresh attempt was refused (the domain is taken)
        raise OwnershipConflict(
            f"{domain} is in the Name.com account but delegates to {sorted(found.nameservers)}, not to the zone's "
            f"{sorted(nameservers)}, and coldfleet did not register it; point it at the zone yourself, or use "
            "registrar: byo",
            api="namecom",
        )

    def _outputs(
        self, settings: Settings, args: SendingDomainArgs, zone: ZoneInfo, reg: Registration | None
    ) -> dict[str, Any]:
        if args.registrar == "namecom":
            delegated = reg is not None and same_nameservers(reg.nameservers, zone.nameservers)
        else:
            delegated = self._zone_answers(settings, args.domain)
        return {
            **self.dump(args),
            "zone_id": zone.zone_id,
            "nameservers": list(zone.nameservers),
            "registered": reg is not None,
            "registration_expires": reg.expire_date if reg is not None else None,
            "delegated": delegated,
        }

    @staticmethod
    def _zone_answers(settings: Settings, domain: str) -> bool:
        try:
            # The zone's apex NS answered with authority: the zone is served (SOA is not in the client's types).
            return bool(authoritative_query(settings, domain, domain, "NS"))
        except ClientError as error:
            log.info("delegation check for %s failed: %s", domain, error)
            return False
