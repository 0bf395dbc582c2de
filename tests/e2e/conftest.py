"""End-to-end fixtures: a throwaway project directory and state backend per test module, the real engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.engine import REPO_ROOT, engine_bin
from sandbox.handle import SandboxHandle


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory, sandbox: SandboxHandle) -> Iterator[Path]:
    """A copy of the repo's Pulumi.yaml and sandbox stack (naming this session's sandbox), so runs never touch the
    working tree."""
    try:
        engine_bin()
    except Exception as error:  # pragma: no cover - CI always has the engine
        pytest.fail(f"engine missing: {error}")
    directory = tmp_path_factory.mktemp("project")
    shutil.copy(REPO_ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    stack = sandbox.point_stack((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    (directory / "Pulumi.dev.yaml").write_text(stack)
    yield directory

