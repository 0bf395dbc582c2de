"""End-to-end fixtures: a throwaway project directory and state backend per test module, the real engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.engine import REPO_ROOT, engine_bin


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the repo's Pulumi.yaml and sandbox stack, so runs never touch the working tree."""
    try:
        engine_bin()
    except Exception as error:  # pragma: no cover - CI always has the engine
        pytest.fail(f"engine missing: {error}")
    directory = tmp_path_factory.mktemp("project")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO_ROOT / name, directory / name)
    yield directory
