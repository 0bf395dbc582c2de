"""Profile photos, which live with the mailbox: NotReady before it is provisioned, then set / read / deleted."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ClientError, NotFound, NotReady
from providers.clients.graph.session import API, GraphBase

log = logging.getLogger(__name__)

# 404 codes meaning "this user has no photo" (the profile service's ImageNotFound; older Exchange-backed answers).
PHOTO_ABSENT = frozenset({"ImageNotFound", "ErrorItemNotFound", "ErrorEntityNotFound"})
# 404 codes meaning "the mailbox (where the photo lives) is not provisioned yet".
NO_MAILBOX = frozenset({"ErrorNonExistentMailbox", "MailboxNotEnabledForRESTAPI"})


class PhotoOperations(GraphBase):
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
