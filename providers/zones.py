"""This run's view of a zone at its authoritative servers, listed once per zone and shared by the reads that ask it
(providers/snapshot.py says why and for how long): one zone transfer instead of one query per name.

`get` answers exactly what `authoritative_query` would — the same server, the same value format — and None, so
the caller asks that one name, when the zone could not be listed (transfers refused, as at Cloudflare, or a zone whose
listing would not answer like a query does).
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.clients.dns import RRsets, authoritative_zone
from providers.clients.dns.base import check_rdtype, owner
from providers.config import Settings
from providers.snapshot import Snapshots


@dataclass(frozen=True)
class ZoneView:
    zone: str
    rrsets: RRsets | None  # None: not listable, ask by name

    def get(self, name: str, rdtype: str) -> list[str] | None:
        """The values as listed; None when the zone was not listed (ask `authoritative_query`)."""
        if self.rrsets is None:
            return None
        return list(self.rrsets.get((owner(self.zone, name), check_rdtype(rdtype)), []))


SNAPSHOTS: Snapshots[ZoneView] = Snapshots("zone")


def zone_view(settings: Settings, zone: str, reader: str) -> ZoneView:
    """The zone for this run's read by `reader` (e.g. "AuthRecords"): each reader claims the zone once per run."""
    key = (settings.authoritative_server, settings.rfc2136_server, owner(zone, zone))
    return SNAPSHOTS.get(key, reader, lambda: ZoneView(zone, authoritative_zone(settings, zone)))
