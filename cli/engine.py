"""Finding the pinned engine and opening a stack through the Automation API with the inline program.

The Python language host cannot be had on our machines, so `pulumi up` in the project directory does not work here;
an inline program does (the language server runs inside this process). The program is the very function
`__main__.py` calls, so both paths provision the same fleet.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pulumi import automation as auto

from components.program import main as program_main
from providers.threads import DEFAULT_THREADS
from sandbox.daemon import DEFAULT_DIR, INFO_FILE, SETTINGS_FILE

log = logging.getLogger(__name__)

ENGINE_VERSION = "3.260.0"
PROJECT = "coldfleet"
REPO_ROOT = Path(__file__).resolve().parent.parent
# The sandbox stack's passphrase: it only guards throwaway sandbox credentials. Real client stacks must set
# PULUMI_CONFIG_PASSPHRASE (or _FILE) themselves.
SANDBOX_PASSPHRASE = "coldfleet-sandbox"
OPEN_ATTEMPTS = 3


class CliError(Exception):
    """A user-facing error: printed without a traceback."""


def engine_bin() -> Path:
    """The directory holding the pinned `pulumi` and the dynamic-provider plugin."""
    candidates = []
    if os.environ.get("COLDFLEET_ENGINE_BIN"):
        candidates.append(Path(os.environ["COLDFLEET_ENGINE_BIN"]))
    cache = Path(os.environ.get("COLDFLEET_CACHE", Path.home() / ".cache" / "coldfleet"))
    candidates.append(cache / f"engine-v{ENGINE_VERSION}" / "bin")
    on_path = shutil.which("pulumi")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        if (directory / "pulumi").exists() and (directory / "pulumi-resource-pulumi-python").exists():
            return directory
    raise CliError(
        f"the Pulumi engine v{ENGINE_VERSION} was not found; run scripts/bootstrap.sh (it builds it from Go modules)"
    )


@dataclass(frozen=True)
class StackTarget:
    """Where a stack lives: the project directory (Pulumi.yaml + Pulumi.<stack>.yaml) and its state backend."""

    name: str
    project_dir: Path
    backend_url: str

    @property
    def config_file(self) -> Path:
        return self.project_dir / f"Pulumi.{self.name}.yaml"

    def stack_config(self) -> dict[str, object]:
        if not self.config_file.exists():
            return {}
        data = yaml.safe_load(self.config_file.read_text()) or {}
        return dict(data.get("config") or {})

    @property
    def settings_file(self) -> Path | None:
        value = self.stack_config().get(f"{PROJECT}:settingsFile")
        return Path(str(value)).expanduser() if value else None

    @property
    def sandbox_dir(self) -> Path | None:
        """The sandbox this stack runs against: its settings file is the `settings.json` of a sandbox directory
        (the default one, or one holding a sandbox's `sandbox.json`). None for a real client's stack."""
        settings = self.settings_file
        if settings is None or settings.name != SETTINGS_FILE:
            return None
        directory = settings.parent
        if directory.resolve() == DEFAULT_DIR.resolve() or (directory / INFO_FILE).exists():
            return directory
        return None

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_dir is not None


def default_project_dir() -> Path:
    """`COLDFLEET_PROJECT_DIR`, else the current directory when it holds a Pulumi.yaml (an installed `coldfleet` run
    in a project), else this checkout."""
    if os.environ.get("COLDFLEET_PROJECT_DIR"):
        return Path(os.environ["COLDFLEET_PROJECT_DIR"])
    return Path.cwd() if (Path.cwd() / "Pulumi.yaml").exists() else REPO_ROOT


def target(stack: str, project_dir: str | Path | None = None, backend: str | None = None) -> StackTarget:
    directory = Path(project_dir or default_project_dir()).resolve()
    if not (directory / "Pulumi.yaml").exists():
        raise CliError(f"no Pulumi.yaml in {directory}")
    url = backend or os.environ.get("PULUMI_BACKEND_URL") or f"file://{directory / '.state'}"
    if url.startswith("file://"):
        Path(url[len("file://") :]).mkdir(parents=True, exist_ok=True)
    return StackTarget(stack, directory, url)


def passphrase_env(t: StackTarget) -> dict[str, str]:
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE") is not None:
        return {"PULUMI_CONFIG_PASSPHRASE": os.environ["PULUMI_CONFIG_PASSPHRASE"]}
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return {"PULUMI_CONFIG_PASSPHRASE_FILE": os.environ["PULUMI_CONFIG_PASSPHRASE_FILE"]}
    if t.is_sandbox:
        return {"PULUMI_CONFIG_PASSPHRASE": SANDBOX_PASSPHRASE}
    raise CliError(
        f"stack {t.name!r} needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to encrypt its secrets"
    )


def open_stack(
    t: StackTarget,
    *,
    extra_env: dict[str, str] | None = None,
    program: Callable[[], None] = program_main,
) -> auto.Stack:
    """Create or select the stack, with the engine's environment pointing at our venv and packages."""
    bin_dir = engine_bin()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": t.backend_url,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        # the engine's own limit on calls in flight (4 x CPUs by default) matched to the provider's threads
        "PULUMI_PARALLEL": os.environ.get("PULUMI_PARALLEL") or str(DEFAULT_THREADS),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **passphrase_env(t),
        **(extra_env or {}),
    }
    command = auto.PulumiCommand(root=str(bin_dir.parent), skip_version_check=False)
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(t.project_dir),
        env_vars=env,
        secrets_provider="passphrase",
        pulumi_command=command,
    )
    log.debug("opening stack %s in %s (backend %s)", t.name, t.project_dir, t.backend_url)
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            return auto.create_or_select_stack(stack_name=t.name, project_name=PROJECT, program=program, opts=opts)
        except auto.CommandError as error:
            # Two first-ever runs against a fresh PostgreSQL backend race on the engine's own
            # `CREATE TABLE IF NOT EXISTS pulumi_state` (23505); the loser succeeds when it simply opens again.
            if "unable to open state database" not in str(error) or attempt == OPEN_ATTEMPTS:
                raise
            log.warning("opening the state backend failed (attempt %d); retrying", attempt)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
