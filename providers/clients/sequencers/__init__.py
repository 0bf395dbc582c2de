"""Sequencer clients (Instantly API v2, Smartlead API v1, EmailBison) behind one small interface."""

from providers.clients.errors import BadRequest
from providers.clients.sequencers.base import Counts, NewAccount, RemoteAccount, SequencerClient
from providers.clients.sequencers.emailbison import EmailBisonClient
from providers.clients.sequencers.instantly import InstantlyClient
from providers.clients.sequencers.smartlead import SmartleadClient
from providers.config import Settings

SEQUENCERS = ("instantly", "smartlead", "emailbison")


def client_for(settings: Settings, kind: str) -> SequencerClient:
    if kind == "instantly":
        return InstantlyClient(settings)
    if kind == "smartlead":
        return SmartleadClient(settings)
    if kind == "emailbison":
        return EmailBisonClient(settings)
    raise BadRequest(f"no API client for sequencer {kind!r} ({', '.join(SEQUENCERS)})", api="sequencer")


def api_key_for(settings: Settings, kind: str) -> str | None:
    return {"instantly": settings.instantly_api_key, "smartlead": settings.smartlead_api_key,
            "emailbison": settings.emailbison_api_key}.get(kind)


__all__ = ["SEQUENCERS", "Counts", "NewAccount", "RemoteAccount", "SequencerClient", "api_key_for", "client_for"]
