"""Microsoft Graph v1.0 double: domains, users, licences, mailbox settings, deleted items and $batch.

Moto shape: models.py / users.py (state operations on the World), handlers.py + batch.py (thin routing), serialize.py
and query.py (JSON shapes, OData options), errors.py (Graph error envelopes); app.py builds the Starlette app.
"""

from sandbox.graph.app import create_app
from sandbox.graph.models import default_skus, make_sku

__all__ = ["create_app", "default_skus", "make_sku"]
