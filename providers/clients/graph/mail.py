"""Reads for `coldfleet health`: every user's sign-in state and addresses, and the file attachments of a mailbox.

Users: `GET /users?$select=id,userPrincipalName,accountEnabled,mail,proxyAddresses,mailNickname&$top=999`, all pages
(proxyAddresses holds the primary SMTP address as `SMTP:` and aliases as `smtp:`). Mail (learn.microsoft.com "List
messages", "List attachments"; needs Mail.Read): `GET /users/{id}/messages?$filter=hasAttachments eq true and
receivedDateTime ge <since>&$select=id,subject,receivedDateTime&$top=50` (newest first), following `@odata.nextLink`
(Graph pages messages with `$skip`), then `GET /users/{id}/messages/{id}/attachments`, whose fileAttachments carry the
bytes as base64 `contentBytes` (the SDK decodes them). Item and reference attachments have no bytes and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.file_attachment import FileAttachment
from msgraph.generated.users.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ServerError
from providers.clients.graph.client import GraphClient
from providers.clients.graph.session import API, MAX_PAGES

USER_PAGE = 999
MESSAGE_PAGE = 50
MAX_MESSAGES = 5000  # a guard: one attachments request per message
MAIL_USER_SELECT = ["id", "userPrincipalName", "accountEnabled", "mail", "proxyAddresses", "mailNickname"]


@dataclass(frozen=True)
class MailUser:
    id: str
    user_principal_name: str  # lower case
    account_enabled: bool
    mail: str | None
    primary_smtp: str | None  # the `SMTP:` entry of proxyAddresses, lower case (None: no mailbox yet)
    addresses: tuple[str, ...]  # every SMTP address (primary and aliases), lower case
    mail_nickname: str | None


@dataclass(frozen=True)
class FileAttachmentData:
    message_id: str
    received: datetime | None
    name: str
    content_type: str
    data: bytes


def _check_link(graph: GraphClient, link: str, what: str) -> str:
    if not link.startswith(graph.base_url + "/"):
        raise ServerError(f"{what}: nextLink points at another host", api=API)
    return link


def list_mail_users(graph: GraphClient) -> list[MailUser]:
    """Every user of the tenant with its sign-in state and SMTP addresses."""
    params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=MAIL_USER_SELECT, top=USER_PAGE)

    async def work(client: GraphServiceClient) -> list[MailUser]:
        users: list[MailUser] = []
        page = await client.users.get(RequestConfiguration(query_parameters=params))
        for _ in range(MAX_PAGES):
            for u in page.value if page and page.value else []:
                proxies = [p for p in u.proxy_addresses or [] if p.lower().startswith("smtp:")]
                primary = next((p[5:].lower() for p in proxies if p.startswith("SMTP:")), None)
                users.append(MailUser(id=u.id or "", user_principal_name=(u.user_principal_name or "").lower(),
                                      account_enabled=bool(u.account_enabled), mail=(u.mail or "").lower() or None,
                                      primary_smtp=primary, addresses=tuple(p[5:].lower() for p in proxies),
                                      mail_nickname=u.mail_nickname))
            if not page or not page.odata_next_link:
                return users
            page = await client.users.with_url(_check_link(graph, page.odata_next_link, "list users")).get()
        raise ServerError(f"list users: more than {MAX_PAGES} pages", api=API)

    return graph._run("list users with addresses", work)


def file_attachments(graph: GraphClient, user: str, since: datetime | None = None,
                     max_messages: int = MAX_MESSAGES) -> list[FileAttachmentData]:
    """The file attachments of the newest `max_messages` messages with attachments in the user's mailbox (received
    at or after `since`, an aware datetime, when given)."""
    wanted = "hasAttachments eq true"
    if since is not None:
        wanted += f" and receivedDateTime ge {since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    params = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
        filter=wanted, select=["id", "subject", "receivedDateTime"], top=MESSAGE_PAGE)

    async def work(client: GraphServiceClient) -> list[FileAttachmentData]:
        mailbox = client.users.by_user_id(user)
        seen: list[tuple[str, datetime | None]] = []
        page = await mailbox.messages.get(RequestConfiguration(query_parameters=params))
        for _ in range(MAX_PAGES):
            seen += [(m.id, m.received_date_time) for m in (page.value if page and page.value else []) if m.id]
            if len(seen) >= max_messages or not page or not page.odata_next_link:
                break
            page = await mailbox.messages.with_url(_check_link(graph, page.odata_next_link, "list messages")).get()
        found: list[FileAttachmentData] = []
        for message_id, received in seen[:max_messages]:
            builder = mailbox.messages.by_message_id(message_id).attachments
            listing = await builder.get()
            for _ in range(MAX_PAGES):
                for att in listing.value if listing and listing.value else []:
                    if isinstance(att, FileAttachment) and att.content_bytes:
                        found.append(FileAttachmentData(message_id=message_id, received=received,
                                                        name=att.name or "", content_type=att.content_type or "",
                                                        data=att.content_bytes))
                if not listing or not listing.odata_next_link:
                    break
                listing = await builder.with_url(_check_link(graph, listing.odata_next_link, "attachments")).get()
        return found

    return graph._run(f"attachments in the mailbox of {user}", work)
