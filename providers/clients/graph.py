"""Microsoft Graph v1.0 through the official msgraph-sdk: domains, users, licences, mailbox settings, $batch.

Each public method is one `graph_session.run` (its own event loop, SDK client and error mapping); this module holds
the Graph calls and turns SDK models into the frozen dataclasses the providers use.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.domain import Domain
from msgraph.generated.models.domain_dns_cname_record import DomainDnsCnameRecord
from msgraph.generated.models.domain_dns_mx_record import DomainDnsMxRecord
from msgraph.generated.models.domain_dns_srv_record import DomainDnsSrvRecord
from msgraph.generated.models.domain_dns_txt_record import DomainDnsTxtRecord
from msgraph.generated.models.mailbox_settings import MailboxSettings
from msgraph.generated.models.on_premises_extension_attributes import OnPremisesExtensionAttributes
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import AssignLicensePostRequestBody
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from providers.clients import graph_session
from providers.clients.errors import BadRequest, ClientError, Conflict, NotFound, NotReady, ServerError
from providers.clients.graph_access import AccessOperations
from providers.clients.graph_batch import run_batch
from providers.clients.graph_consent import EXCHANGE_ONLINE_APP_ID as EXCHANGE_ONLINE_APP_ID  # the face (contract 2)
from providers.clients.graph_consent import ConsentOperations
from providers.config import Settings

log = logging.getLogger(__name__)

API = graph_session.API
USER_SELECT = ["id", "userPrincipalName", "displayName", "givenName", "surname", "accountEnabled", "usageLocation",
               "assignedLicenses", "onPremisesExtensionAttributes"]
MAX_PAGES = 1000
# 404 codes meaning "this user has no photo" (the profile service's ImageNotFound; older Exchange-backed answers).
PHOTO_ABSENT = frozenset({"ImageNotFound", "ErrorItemNotFound", "ErrorEntityNotFound"})
# 404 codes meaning "the mailbox (where the photo lives) is not provisioned yet".
NO_MAILBOX = frozenset({"ErrorNonExistentMailbox", "MailboxNotEnabledForRESTAPI"})
T = TypeVar("T")


@dataclass(frozen=True)
class GraphDomain:
    id: str
    is_verified: bool
    supported_services: tuple[str, ...]


@dataclass(frozen=True)
class ServiceRecord:
    record_type: str  # "MX" | "TXT" | "CNAME" | "SRV"
    label: str
    value: str  # MX: exchange host; TXT: text; CNAME: canonical name; SRV: "priority weight port target"
    preference: int | None
    ttl: int
    supported_service: str


@dataclass(frozen=True)
class GraphUser:
    id: str
    user_principal_name: str
    display_name: str
    given_name: str | None
    surname: str | None
    account_enabled: bool
    usage_location: str | None
    assigned_sku_ids: tuple[str, ...]
    marker: str | None  # onPremisesExtensionAttributes.extensionAttribute15: coldfleet's ownership marker


@dataclass(frozen=True)
class SubscribedSku:
    sku_id: str
    sku_part_number: str
    enabled: int
    consumed: int


def _user(model: User) -> GraphUser:
    ext = model.on_premises_extension_attributes
    return GraphUser(
        id=model.id or "",
        user_principal_name=(model.user_principal_name or "").lower(),
        display_name=model.display_name or "",
        given_name=model.given_name,
        surname=model.surname,
        account_enabled=bool(model.account_enabled),
        usage_location=model.usage_location,
        assigned_sku_ids=tuple(str(lic.sku_id).lower() for lic in model.assigned_licenses or [] if lic.sku_id),
        marker=ext.extension_attribute15 if ext is not None else None,
    )


def _domain(model: Domain) -> GraphDomain:
    return GraphDomain(id=(model.id or "").lower(), is_verified=bool(model.is_verified),
                       supported_services=tuple(model.supported_services or ()))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class GraphClient(ConsentOperations, AccessOperations):
    """One tenant's Graph. Built per provider call; holds only settings and the tenant id."""

    def __init__(self, settings: Settings, tenant_id: str) -> None:
        self.settings = settings
        self.tenant_id = tenant_id
        self.base_url = settings.graph_endpoint.rstrip("/")

    def _run(self, what: str, work: Callable[[GraphServiceClient], Awaitable[T]],
             on_error: Callable[[ClientError], T] | None = None) -> T:
        return graph_session.run(self.settings, self.tenant_id, what, work, on_error)

    @staticmethod
    def _none_if_missing(error: ClientError) -> None:
        if isinstance(error, NotFound):
            return None
        raise error

    # -- organization / SKUs -------------------------------------------------------------------------------------
    def organization(self) -> dict[str, Any]:
        async def work(client: GraphServiceClient) -> dict[str, Any]:
            page = await client.organization.get()
            orgs = page.value if page and page.value else []
            if not orgs:
                raise NotFound("organization: the tenant returned no organization", api=API)
            return graph_session.to_dict(orgs[0])

        return self._run("organization", work)

    def subscribed_skus(self) -> list[SubscribedSku]:
        async def work(client: GraphServiceClient) -> list[SubscribedSku]:
            page = await client.subscribed_skus.get()
            return [
                SubscribedSku(sku_id=str(s.sku_id).lower(), sku_part_number=s.sku_part_number or "",
                              enabled=(s.prepaid_units.enabled or 0) if s.prepaid_units else 0,
                              consumed=s.consumed_units or 0)
                for s in (page.value if page and page.value else [])
            ]

        return self._run("subscribedSkus", work)

    # -- domains -------------------------------------------------------------------------------------------------
    def get_domain(self, name: str) -> GraphDomain | None:
        async def work(client: GraphServiceClient) -> GraphDomain | None:
            found = await client.domains.by_domain_id(name).get()
            return _domain(found) if found else None

        return self._run(f"get domain {name}", work, self._none_if_missing)

    def add_domain(self, name: str) -> GraphDomain:
        """POST /domains; an existing domain (ours from an earlier attempt) is returned as is."""
        existing = self.get_domain(name)
        if existing is not None:
            return existing

        async def work(client: GraphServiceClient) -> GraphDomain:
            created = await client.domains.post(Domain(id=name))
            if created is None:
                raise ServerError(f"add domain {name}: empty answer", api=API)
            return _domain(created)

        try:
            domain = self._run(f"add domain {name}", work)
        except (BadRequest, Conflict):
            again = self.get_domain(name)  # created concurrently, or the 201 was lost
            if again is None:
                raise
            return again
        log.info("add_domain: %s added to tenant %s", name, self.tenant_id)
        return domain

    def verification_txt(self, name: str) -> str:
        async def work(client: GraphServiceClient) -> str:
            page = await client.domains.by_domain_id(name).verification_dns_records.get()
            for record in page.value if page and page.value else []:
                if isinstance(record, DomainDnsTxtRecord) and (record.text or "").startswith("MS="):
                    return record.text or ""
            raise NotFound(f"verification records of {name}: no MS= TXT record offered", api=API)

        return self._run(f"verification records of {name}", work)

    def verify_domain(self, name: str) -> GraphDomain:
        """POST /domains/{id}/verify; NotReady while Microsoft cannot see the TXT record yet."""
        async def work(client: GraphServiceClient) -> GraphDomain:
            verified = await client.domains.by_domain_id(name).verify.post()
            if verified is None:
                raise ServerError(f"verify {name}: empty answer", api=API)
            return _domain(verified)

        try:
            return self._run(f"verify {name}", work)
        except BadRequest as error:
            raise NotReady(str(error.args[0]), status=error.status, code=error.code, api=API) from None

    def set_supported_services(self, name: str, services: list[str]) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.domains.by_domain_id(name).patch(Domain(supported_services=list(services)))

        self._run(f"set services of {name}", work)

    def service_records(self, name: str, service: str = "Email") -> list[ServiceRecord]:
        async def work(client: GraphServiceClient) -> list[ServiceRecord]:
            page = await client.domains.by_domain_id(name).service_configuration_records.get()
            out = []
            for rec in page.value if page and page.value else []:
                if (rec.supported_service or "").lower() != service.lower():
                    continue
                label, pref = (rec.label or "").lower().rstrip("."), None
                if isinstance(rec, DomainDnsMxRecord):
                    kind, value, pref = "MX", rec.mail_exchange or "", rec.preference
                elif isinstance(rec, DomainDnsTxtRecord):
                    kind, value = "TXT", rec.text or ""
                elif isinstance(rec, DomainDnsCnameRecord):
                    kind, value = "CNAME", rec.canonical_name or ""
                elif isinstance(rec, DomainDnsSrvRecord):
                    kind = "SRV"
                    value = f"{rec.priority} {rec.weight} {rec.port} {(rec.name_target or '').lower().rstrip('.')}"
                    label = f"{rec.service}.{rec.protocol}.{label}".lower()
                else:
                    continue
                out.append(ServiceRecord(record_type=kind, label=label,
                                         value=value.lower().rstrip(".") if kind != "TXT" else value,
                                         preference=pref, ttl=rec.ttl or 3600,
                                         supported_service=rec.supported_service or service))
            return out

        return self._run(f"service records of {name}", work)

    def domain_references(self, name: str) -> list[str]:
        """UPNs (or ids) of the objects still using the domain."""
        async def work(client: GraphServiceClient) -> list[str]:
            builder = client.domains.by_domain_id(name).domain_name_references
            page = await builder.get()
            refs: list[str] = []
            for _ in range(MAX_PAGES):
                for obj in page.value if page and page.value else []:
                    refs.append(getattr(obj, "user_principal_name", None) or obj.id or "?")
                if not page or not page.odata_next_link:
                    break
                page = await builder.with_url(page.odata_next_link).get()
            return refs

        return self._run(f"references of {name}", work)

    def delete_domain(self, name: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.domains.by_domain_id(name).delete()

        self._run(f"delete domain {name}", work)
        log.info("delete_domain: %s removed from tenant %s", name, self.tenant_id)

    # -- users ---------------------------------------------------------------------------------------------------
    def find_user(self, upn: str) -> GraphUser | None:
        escaped = upn.lower().replace("'", "''")
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter=f"userPrincipalName eq '{escaped}'", select=USER_SELECT)

        async def work(client: GraphServiceClient) -> GraphUser | None:
            page = await client.users.get(RequestConfiguration(query_parameters=params))
            found = page.value if page and page.value else []
            return _user(found[0]) if found else None

        return self._run(f"find user {upn}", work)

    def get_user(self, user_id: str) -> GraphUser | None:
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=USER_SELECT)

        async def work(client: GraphServiceClient) -> GraphUser | None:
            found = await client.users.by_user_id(user_id).get(RequestConfiguration(query_parameters=params))
            return _user(found) if found else None

        return self._run(f"get user {user_id}", work, self._none_if_missing)

    def create_user(self, *, upn: str, display_name: str, mail_nickname: str, given_name: str, surname: str,
                    usage_location: str, password: str, marker: str) -> GraphUser:
        """POST /users; Conflict when the UPN is taken (Request_BadRequest with an ObjectConflict detail)."""
        body = User(
            account_enabled=True, display_name=display_name, mail_nickname=mail_nickname, user_principal_name=upn,
            given_name=given_name, surname=surname, usage_location=usage_location,
            password_profile=PasswordProfile(password=password, force_change_password_next_sign_in=False),
            on_premises_extension_attributes=OnPremisesExtensionAttributes(extension_attribute15=marker),
        )

        async def work(client: GraphServiceClient) -> GraphUser:
            created = await client.users.post(body)
            if created is None or not created.id:
                raise ServerError(f"create user {upn}: empty answer", api=API)
            # The 201 carries only the default properties; the rest is what we just set.
            return GraphUser(id=created.id, user_principal_name=(created.user_principal_name or upn).lower(),
                             display_name=created.display_name or display_name, given_name=given_name,
                             surname=surname, account_enabled=True, usage_location=usage_location,
                             assigned_sku_ids=(), marker=marker)

        user = self._run(f"create user {upn}", work)
        log.info("create_user: %s created (%s)", upn, user.id)
        return user

    def update_user(self, user_id: str, **fields: Any) -> None:
        """PATCH /users/{id} with camelCase Graph property names (None clears a property)."""
        body = User()
        extra: dict[str, Any] = {}
        for name, value in fields.items():
            attr = _snake(name)
            if value is not None and not isinstance(value, (dict, list)) and attr in User.__dataclass_fields__:
                setattr(body, attr, value)
            else:
                extra[name] = value
        body.additional_data = extra

        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).patch(body)

        self._run(f"update user {user_id} ({', '.join(sorted(fields))})", work)

    def reset_password(self, user_id: str, password: str) -> None:
        body = User(
                    password_profile=PasswordProfile(password=password, force_change_password_next_sign_in=False))

        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).patch(body)

        self._run(f"reset password of {user_id}", work)

    def assign_license(self, user_id: str, add: list[str], remove: list[str]) -> None:
        body = AssignLicensePostRequestBody(
            add_licenses=[AssignedLicense(sku_id=uuid.UUID(sku), disabled_plans=[]) for sku in add],
            remove_licenses=[uuid.UUID(sku) for sku in remove],
        )

        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).assign_license.post(body)

        self._run(f"assign licences to {user_id}", work)
        log.info("assign_license: %s +%s -%s", user_id, add, remove)

    def mailbox_settings(self, user_id: str) -> dict[str, Any] | None:
        """The mailbox settings, or None while Exchange has not provisioned the mailbox."""
        async def work(client: GraphServiceClient) -> dict[str, Any]:
            return graph_session.to_dict(await client.users.by_user_id(user_id).mailbox_settings.get())

        def not_yet(error: ClientError) -> dict[str, Any] | None:
            if isinstance(error, NotFound) and error.code == "MailboxNotEnabledForRESTAPI":
                return None
            raise error

        return self._run(f"mailbox settings of {user_id}", work, not_yet)

    def update_mailbox_settings(self, user_id: str, settings: dict[str, Any]) -> None:
        body = MailboxSettings(additional_data=dict(settings))

        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).mailbox_settings.patch(body)

        self._run(f"update mailbox settings of {user_id}", work)

    # -- profile photo -------------------------------------------------------------------------------------------
    def _photo_missing(self, error: ClientError) -> None:
        """404 for "no photo" is None; 404 before the mailbox exists (the photo lives with it) is NotReady."""
        if isinstance(error, NotFound) and error.code in PHOTO_ABSENT:
            return None
        if isinstance(error, NotFound) and error.code in NO_MAILBOX:
            raise NotReady(str(error.args[0]), status=error.status, code=error.code, api=API) from None
        raise error

    def set_photo(self, user_id: str, data: bytes, content_type: str) -> None:
        """PUT /users/{id}/photo/$value (≤ 4 MB, image/jpeg or image/png); NotReady until the mailbox exists."""
        request: RequestConfiguration[Any] = RequestConfiguration()
        request.headers.add("Content-Type", content_type)  # the SDK would send application/octet-stream

        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).photo.content.put(data, request)

        def not_yet(error: ClientError) -> None:
            self._photo_missing(error)
            raise error

        self._run(f"set photo of {user_id}", work, not_yet)
        log.info("set_photo: %s (%s, %d bytes)", user_id, content_type, len(data))

    def get_photo(self, user_id: str) -> bytes | None:
        """GET /users/{id}/photo/$value: the bytes Graph serves (possibly a resized rendition), None without a photo;
        NotReady while the mailbox is not provisioned."""
        async def work(client: GraphServiceClient) -> bytes | None:
            return await client.users.by_user_id(user_id).photo.content.get()

        return self._run(f"get photo of {user_id}", work, self._photo_missing)

    def get_photo_hash(self, user_id: str) -> str | None:
        """sha256 (hex) of the photo Graph serves, or None without one."""
        data = self.get_photo(user_id)
        return hashlib.sha256(data).hexdigest() if data else None

    def delete_photo(self, user_id: str) -> None:
        """DELETE /users/{id}/photo; a missing photo is already the wanted state."""
        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).photo.delete()

        self._run(f"delete photo of {user_id}", work, self._photo_missing)
        log.info("delete_photo: %s", user_id)

    def delete_user(self, user_id: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).delete()

        self._run(f"delete user {user_id}", work)

    def purge_deleted_user(self, user_id: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.directory.deleted_items.by_directory_object_id(user_id).delete()

        self._run(f"purge deleted user {user_id}", work)

    # -- batch ---------------------------------------------------------------------------------------------------
    def batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /$batch (≤ 20 items, ids unique, urls relative to the version root); items answered 429 are sent
        again after their Retry-After. Returns `{id, status, body, headers}` per item, in request order."""
        return self._run(f"batch of {len(requests)}", lambda client: run_batch(client, self.base_url, requests))
