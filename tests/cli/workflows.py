"""What the workflow tests share: the workflows folder and actionlint (scripts/bootstrap.sh builds it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cli.engine import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path.home() / ".cache" / "coldfleet" / "tools" / "actionlint")
    assert Path(found).exists(), "actionlint missing: scripts/bootstrap.sh builds it"
    return found


def assert_actionlint_accepts(workflow: Path) -> None:
    proc = subprocess.run([actionlint(), str(workflow)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
