"""A mailbox's photo: the operator's JPEG or PNG file (≤ 4 MB), uploaded once the mailbox answers.

Graph may serve a re-encoded rendition, so drift is judged against what Graph served right after our upload
(`photo_graph_sha256`), not against the file.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from providers.clients import errors
from providers.clients.graph import GraphClient
from providers.mailbox.args import MailboxArgs

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 4 * 1024 * 1024  # what PUT /users/{id}/photo/$value takes
PHOTO_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def load_photo(path: str) -> tuple[bytes, str]:
    """The photo's bytes and media type; ValueError saying what is wrong with the file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"{path}: no such file ({file.absolute()})")
    size = file.stat().st_size
    if size > MAX_PHOTO_BYTES:
        raise ValueError(f"{path} is {size} bytes; Microsoft Graph takes photos up to 4 MB ({MAX_PHOTO_BYTES} bytes)")
    data = file.read_bytes()
    for magic, media_type in PHOTO_MAGIC:
        if data.startswith(magic):
            return data, media_type
    raise ValueError(f"{path} is not a JPEG or PNG image")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_photo(graph: GraphClient, user_id: str, old: dict[str, Any], live: dict[str, Any]) -> None:
    """Photo drift: gone, or not what Graph served after our upload. Either way `photo_sha256` stops matching the
    file's hash, so the next diff shows an update."""
    try:
        served = graph.get_photo_hash(user_id)
    except errors.NotReady:
        return
    recorded = old.get("photo_graph_sha256")
    if served is None:
        log.warning("read %s: the photo was removed outside coldfleet", user_id)
        live.update(photo_sha256=None, photo_graph_sha256=None)
    elif recorded is None:
        live["photo_graph_sha256"] = served  # not visible right after the upload: take it as ours now
    elif served != recorded:
        log.warning("read %s: the photo was replaced outside coldfleet", user_id)
        live.update(photo_sha256=served, photo_graph_sha256=served)


def sync_photo(graph: GraphClient, user_id: str, args: MailboxArgs, old: dict[str, Any]) -> dict[str, Any]:
    """Upload the declared photo when it is new or changed (or drifted: read put Graph's hash into the old
    `photo_sha256`); drop it when `photo` was removed. Returns `photo_sha256` and `photo_graph_sha256`."""
    if args.photo is None:
        if old.get("photo"):
            graph.delete_photo(user_id)
            log.info("photo of %s removed (no longer declared)", args.upn)
        return {"photo_sha256": None, "photo_graph_sha256": None}
    if old.get("photo") and old.get("photo_sha256") == args.photo_sha256:
        return {"photo_sha256": args.photo_sha256, "photo_graph_sha256": old.get("photo_graph_sha256")}
    data, media_type = load_photo(args.photo)  # raises ValueError if the file went away since check
    graph.set_photo(user_id, data, media_type)
    log.info("photo of %s set from %s (%s, %d bytes)", args.upn, args.photo, media_type, len(data))
    # What Graph serves may be a rendition of ours (None: not visible yet); read compares against it.
    return {"photo_sha256": sha256(data), "photo_graph_sha256": graph.get_photo_hash(user_id)}
