"""User profile photos in the Graph double: PUT / GET /users/{id}/photo/$value, GET and DELETE /users/{id}/photo.

What Microsoft documents and users report (profilephoto-get / -update, Graph known issues):
- the photo lives with the mailbox: before Exchange has provisioned it, reading or writing the photo fails with
  404 `ErrorNonExistentMailbox` ("The SMTP address has no mailbox associated with it.");
- no photo set: 404 `ImageNotFound` (the profile service's ImageNotFoundException) for `$value`, and for the
  metadata as observed in practice (the docs also show a 1x1 placeholder; clients should accept both);
- PUT takes the raw bytes, at most 4 MB; metadata is a profilePhoto (`id` "<w>x<h>", `width`, `height`) with the
  `@odata.mediaContentType` / `@odata.mediaEtag` annotations.
The codes for a body that is too large or not an image are the sandbox's approximation (400 with the profile
service's ProfileBadRequestException message); clients must branch on the status only.

The double keeps the bytes as uploaded (the real service may store resized renditions, so a download need not equal
the upload byte for byte) and reads the media type and size from the image itself, not from Content-Type.
"""

from __future__ import annotations

import hashlib
import struct
import time
from typing import Any

from sandbox.graph import errors
from sandbox.world import ProfilePhoto, User

MAX_PHOTO_BYTES = 4 * 1024 * 1024
_BAD_REQUEST = "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ProfileBadRequestException' was thrown."
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # JPEG start-of-frame markers (not DHT, JPG, DAC)


def image_not_found() -> errors.GraphError:
    return errors.GraphError(
        404, "ImageNotFound", "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was "
        "thrown.")


def no_mailbox() -> errors.GraphError:
    return errors.GraphError(404, "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(media type, width, height) of a JPEG, PNG or GIF; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:3] == b"\xff\xd8\xff":
        size = _jpeg_size(data)
        return ("image/jpeg", *size) if size else None
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "image/gif", width, height
    return None


def _mailbox_user(user: User) -> User:
    if user.mailbox_ready_at is None or user.mailbox_ready_at > time.time():
        raise no_mailbox()
    return user


def set_photo(user: User, data: bytes) -> ProfilePhoto:
    """Store the photo (caller holds world.lock)."""
    _mailbox_user(user)
    if len(data) > MAX_PHOTO_BYTES:
        raise errors.GraphError(400, "ImageTooLarge", _BAD_REQUEST)
    info = image_info(data)
    if info is None or not info[1] or not info[2]:
        raise errors.GraphError(400, "InvalidImage", _BAD_REQUEST)
    user.photo = ProfilePhoto(bytes(data), *info)
    return user.photo


def get_photo(user: User) -> ProfilePhoto:
    photo = _mailbox_user(user).photo
    if photo is None:
        raise image_not_found()
    return photo


def delete_photo(user: User) -> None:
    get_photo(user)
    user.photo = None


def photo_json(photo: ProfilePhoto) -> dict[str, Any]:
    etag = hashlib.sha256(photo.data).hexdigest()[:8].upper()
    return {"@odata.mediaContentType": photo.media_type, "@odata.mediaEtag": f'"{etag}"',
            "id": f"{photo.width}x{photo.height}", "width": photo.width, "height": photo.height}
