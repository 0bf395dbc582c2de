"""The `$batch` coordinator without a server: unexpected errors reach callers as ServerError; sizes stay bounded."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from providers.clients.errors import ServerError
from providers.clients.graph import GraphClient, gather
from providers.config import Settings


def test_unexpected_error_is_a_server_error_naming_its_type(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise KeyError("passwordProfile s3cr3t")

    monkeypatch.setattr(gather, "WINDOW_S", 0.0)
    monkeypatch.setattr(GraphClient, "batch", broken)
    gather.reset()
    with pytest.raises(ServerError, match=r"batch: sending failed \(KeyError\)") as caught:
        gather.submit(Settings(), "tenant-a", [{"id": "1", "method": "GET", "url": "/users"}])
    assert "s3cr3t" not in str(caught.value)
    assert gather.sent() == [1]


def test_sizes_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gather, "_sent", deque([1] * gather.SENT_KEPT, maxlen=gather.SENT_KEPT))
    gather._sent.append(2)
    assert len(gather.sent()) == gather.SENT_KEPT and gather.sent()[-1] == 2
    gather.reset()
    assert gather.sent() == []
