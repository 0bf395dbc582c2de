"""Writes are paced per (API, app + tenant token): a 429 spaces out that key's next writes, successes shrink the
spacing again; reads and other tenants are never slowed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from providers.clients.http import pacing


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    pacing.reset()
    yield
    pacing.reset()


def write(token: str) -> httpx.Request:
    return httpx.Request("POST", "https://graph.test/v1.0/users", headers={"Authorization": f"Bearer {token}"})


def test_a_429_spaces_out_that_tenants_writes_only() -> None:
    a, b = pacing.key_of("graph", write("tenant-a")), pacing.key_of("graph", write("tenant-b"))
    assert pacing.delay(a) == 0.0
    pacing.observe(a, 429)
    pacing.observe(a, 429)
    assert pacing.gap("graph", write("tenant-a")) == pytest.approx(2 * pacing.MIN_GAP_S)
    first, second = pacing.delay(a), pacing.delay(a)
    assert second - first == pytest.approx(2 * pacing.MIN_GAP_S, abs=0.01)  # queued one gap apart
    assert pacing.delay(b) == 0.0  # another tenant's writes are not slowed
    assert pacing.key_of("graph", httpx.Request("GET", "https://graph.test/v1.0/users")) is None


def test_successes_shrink_the_gap_back_to_nothing_and_it_is_capped() -> None:
    key = pacing.key_of("exchange", write("t"))
    for _ in range(20):
        pacing.observe(key, 429)
    assert pacing.gap("exchange", write("t")) == pacing.MAX_GAP_S
    for _ in range(40):
        pacing.observe(key, 200)
    assert pacing.gap("exchange", write("t")) == 0.0 and pacing.delay(key) == 0.0
    assert key is not None and "Bearer" not in key[1]  # only a hash of the header is kept
