"""WebRecords, the folder's face: `providers.web_records.WebRecordsProvider` and `.WebRecords` are the paths the
engine's state holds (pickled by reference), so they stay importable from here.

Rooms: args.py (what is declared), records.py (the records it publishes), provider.py (the lifecycle).
"""

from providers.web_records.args import WebRecordsArgs
from providers.web_records.provider import WebRecordsProvider
from providers.web_records.resource import WebRecords

WebRecordsProvider.__module__ = __name__  # new states pickle the face's path too, so the rooms may move

__all__ = ["WebRecords", "WebRecordsArgs", "WebRecordsProvider"]
