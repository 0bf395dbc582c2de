"""Users of a tenant: find, create, update, licences, mailbox settings, soft delete and purge."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.mailbox_settings import MailboxSettings
from msgraph.generated.models.on_premises_extension_attributes import OnPremisesExtensionAttributes
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import AssignLicensePostRequestBody
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ClientError, NotFound, ServerError
from providers.clients.graph.session import API, GraphBase, none_if_missing, to_dict

log = logging.getLogger(__name__)

USER_SELECT = ["id", "userPrincipalName", "displayName", "givenName", "surname", "accountEnabled", "usageLocation",
               "assignedLicenses", "onPremisesExtensionAttributes"]


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


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class UserOperations(GraphBase):
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

        return self._run(f"get user {user_id}", work, none_if_missing)

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
            return to_dict(await client.users.by_user_id(user_id).mailbox_settings.get())

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

    def delete_user(self, user_id: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.users.by_user_id(user_id).delete()

        self._run(f"delete user {user_id}", work)

    def purge_deleted_user(self, user_id: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.directory.deleted_items.by_directory_object_id(user_id).delete()

        self._run(f"purge deleted user {user_id}", work)

