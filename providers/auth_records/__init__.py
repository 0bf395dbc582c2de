"""AuthRecords, the folder's face: `providers.auth_records.AuthRecordsProvider` and `.AuthRecords` are the paths
the engine's state holds (pickled by reference), so they stay importable from here.

Rooms: args.py (what is declared), provider.py (the handshake), records.py (the desired records and comparison).
"""

from providers.auth_records.args import AuthRecordsArgs
from providers.auth_records.provider import AuthRecordsProvider
from providers.auth_records.resource import AuthRecords

AuthRecordsProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["AuthRecords", "AuthRecordsArgs", "AuthRecordsProvider"]
