"""Shared fixtures: one sandbox process (BIND + every double over HTTPS) per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.handle import SandboxHandle


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """`python -m sandbox serve --foreground` in a temp dir; `.info`, `.settings`, `.admin_state()`, `.set_faults()`."""
    handle = SandboxHandle.start(tmp_path_factory.mktemp("sandbox"))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(autouse=True)
def clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults, request counters and write windows are reset after every test that used the sandbox."""
    yield
    if "sandbox" in request.fixturenames:
        handle: SandboxHandle = request.getfixturevalue("sandbox")
        if handle.process is not None and handle.process.poll() is None:
            handle.reset_faults()
