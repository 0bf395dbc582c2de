"""The `coldfleet` command: `pip install .` declares it, and bootstrap's per-checkout shim runs this checkout's CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from cli.engine import REPO_ROOT

PACKAGES = ("cli", "components", "providers", "sandbox")


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH: the command must find its modules by itself."""
    dropped = {"PYTHONPATH", "COLDFLEET_PROJECT_DIR", "COLDFLEET_SANDBOX_DIR"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def test_pip_install_gives_a_coldfleet_command(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(REPO_ROOT / name, source / name)
    for name in PACKAGES:
        shutil.copytree(REPO_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    # Offline: the venv's own setuptools builds it; the dependencies are the venv's.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    command = target / "bin" / "coldfleet"
    assert command.exists()
    installed = sorted(p.name for p in target.iterdir() if (p / "__init__.py").exists())
    assert installed == sorted(PACKAGES)  # tests, bench and scripts stay out
    env = {**_clean_env(), "PYTHONPATH": str(target)}
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(REPO_ROOT / "Pulumi.yaml", work / "Pulumi.yaml")
    shown = subprocess.run([sys.executable, str(command), "--help"], env=env, cwd=work, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and "new-client" in shown.stdout
    made = subprocess.run([sys.executable, str(command), "new-client", "globex", "--primary-domain", "globex.com",
                           "--domain", "mail-globex.com"], env=env, cwd=work, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    assert (work / "Pulumi.globex.yaml").exists()  # an installed command works in the project it is run in


def test_bootstrap_shim_runs_this_checkouts_cli(tmp_path: Path) -> None:
    exports = subprocess.run([str(REPO_ROOT / "scripts" / "bootstrap.sh")], capture_output=True, text=True,
                             timeout=600, check=True)
    assert exports.stderr == ""  # nothing to do a second time, nothing said
    shim = next(line.split("=", 1)[1].strip("'") for line in exports.stdout.splitlines()
                if line.startswith("export COLDFLEET_SHIM="))
    (tmp_path / "cli.py").write_text("raise SystemExit('the current directory shadowed the CLI')\n")
    made = subprocess.run([shim, "new-client", "acme", "--primary-domain", "acme.com", "--domain", "mail-acme.com",
                           "--sandbox", "--project-dir", str(tmp_path)], env=_clean_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    config = yaml.safe_load((tmp_path / "Pulumi.acme.yaml").read_text())["config"]
    assert config["coldfleet:settingsFile"] == "~/.local/state/coldfleet/sandbox/settings.json"
    assert "coldfleet:sandbox" not in config
