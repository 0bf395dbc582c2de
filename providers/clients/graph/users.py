"""Users of a tenant: find, create, update, licences, mailbox settings, soft delete and purge.

`create_user` survives a dropped connection: POST /users is not idempotent, so after a transport failure (or a 5xx)
it reads the UPN back; a user there is reported as a Conflict (the caller adopts it only with its marker, and resets
the password it cannot know was set), no user means the POST never landed and it is sent once more. Never a
duplicate, never a traceback. Mailbox settings of many users go 20 to a `$batch` (`mailbox_settings_many`,
`update_mailbox_settings_many`), for the per-domain step that waits for all of a domain's mailboxes at once.
"""

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

from providers.clients.errors import ClientError, Conflict, NotFound, ServerError
from providers.clients.graph.batch import answer_code, answer_error, chunks, run_batch
from providers.clients.graph.raw import get_json
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


def user_from_json(body: dict[str, Any]) -> GraphUser:
    """`_user` for Graph's JSON (providers/clients/graph/raw.py: reads skip the SDK's models)."""
    ext = body.get("onPremisesExtensionAttributes") or {}
    return GraphUser(
        id=str(body.get("id") or ""),
        user_principal_name=str(body.get("userPrincipalName") or "").lower(),
        display_name=str(body.get("displayName") or ""),
        given_name=body.get("givenName"),
        surname=body.get("surname"),
        account_enabled=bool(body.get("accountEnabled")),
        usage_location=body.get("usageLocation"),
        assigned_sku_ids=tuple(str(lic["skuId"]).lower() for lic in body.get("assignedLicenses") or []
                               if isinstance(lic, dict) and lic.get("skuId")),
        marker=ext.get("extensionAttribute15") if isinstance(ext, dict) else None,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class UserOperations(GraphBase):
    def find_user(self, upn: str) -> GraphUser | None:
        escaped = upn.lower().replace("'", "''")
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter=f"userPrincipalName eq '{escaped}'", select=USER_SELECT)

        async def work(client: GraphServiceClient) -> GraphUser | None:
            info = client.users.to_get_request_information(RequestConfiguration(query_parameters=params))
            found = [u for u in (await get_json(client, info)).get("value") or [] if isinstance(u, dict)]
            return user_from_json(found[0]) if found else None

        return self._run(f"find user {upn}", work)

    def get_user(self, user_id: str) -> GraphUser | None:
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=USER_SELECT)

        async def work(client: GraphServiceClient) -> GraphUser | None:
            info = client.users.by_user_id(user_id).to_get_request_information(
                RequestConfiguration(query_parameters=params))
            found = await get_json(client, info)
            return user_from_json(found) if found else None

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

        try:
            user = self._run(f"create user {upn}", work)
        except ServerError as error:
            if self.find_user(upn) is not None:  # the POST landed before the connection dropped
                raise Conflict(f"create user {upn}: the answer was lost ({error.args[0]}) but the user exists",
                               status=409, api=API) from None
            log.warning("create_user: %s: %s; the user is not there, creating it again", upn, error.args[0])
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

    def _batch(self, what: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async def work(client: GraphServiceClient) -> list[dict[str, Any]]:
            return await run_batch(client, self.base_url, requests)

        return self._run(what, work)

    def mailbox_settings_many(self, user_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Each user's mailbox settings, None while Exchange has not provisioned the mailbox; 20 users a request."""
        found: dict[str, dict[str, Any] | None] = {}
        for chunk in chunks(user_ids):
            requests = [{"id": str(n), "method": "GET", "url": f"/users/{uid}/mailboxSettings"}
                        for n, uid in enumerate(chunk)]
            for uid, answer in zip(chunk, self._batch(f"mailbox settings of {len(chunk)} users", requests),
                                   strict=True):
                if answer["status"] < 300:
                    found[uid] = answer["body"] if isinstance(answer["body"], dict) else {}
                elif answer["status"] == 404 and answer_code(answer) == "MailboxNotEnabledForRESTAPI":
                    found[uid] = None
                else:
                    raise answer_error(f"mailbox settings of {uid}", answer)
        return found

    def update_mailbox_settings_many(self, changes: dict[str, dict[str, Any]]) -> None:
        """PATCH each user's mailbox settings (user id → the settings to set), 20 users a request."""
        for chunk in chunks(list(changes)):
            requests = [{"id": str(n), "method": "PATCH", "url": f"/users/{uid}/mailboxSettings",
                         "body": changes[uid]} for n, uid in enumerate(chunk)]
            for uid, answer in zip(chunk, self._batch(f"update mailbox settings of {len(chunk)} users", requests),
                                   strict=True):
                if answer["status"] >= 300:
                    raise answer_error(f"update mailbox settings of {uid}", answer)
            log.info("update_mailbox_settings_many: %d mailboxes", len(chunk))
