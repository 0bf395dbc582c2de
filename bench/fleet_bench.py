"""Benchmark: coldfleet up / no-op preview / refresh / destroy on a private sandbox, as ratios to the engine floor.

Not a test: it runs only when invoked (see bench/README.md). Everything lives in a temp directory: the sandbox it
starts and stops, a project directory with its own file backend, and two stacks: `floor` (K bare one-field dynamic
resources, bench/floor_provider.py) and `bench` (a generated fleet of N domains x M mailboxes). The floor is measured
in the same run because absolute engine times vary by machine and load; the ratios are what to compare across runs.

    PYTHONPATH=. python bench/fleet_bench.py --domains 5 --mailboxes 10 --out /tmp/fleet-bench.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from cli.engine import (
    ENGINE_VERSION,
    PROJECT,
    REPO_ROOT,
    SANDBOX_PASSPHRASE,
    StackTarget,
    open_stack,
    target,
)
from sandbox.daemon import settings_file
from sandbox.handle import SandboxHandle

log = logging.getLogger("bench")

PHASES = ("up", "preview", "refresh", "destroy")
FLEET_STACK = "bench"
FLOOR_STACK = "floor"
PERSONAS = [
    {"first": "Anna", "last": "Keller"}, {"first": "Marco", "last": "Rossi"}, {"first": "Lena", "last": "Vogel"},
    {"first": "Jonas", "last": "Weber"}, {"first": "Sofia", "last": "Brandt"},
]


# ---- peak RSS of our child processes (no psutil: /proc/<pid>/status VmHWM) ------------------------------------------

def _children_by_parent() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # comm may contain spaces and parentheses
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def _descendants(root: int) -> list[int]:
    tree, out, todo = _children_by_parent(), [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _classify(pid: int) -> tuple[str | None, int]:
    """("provider" | "engine" | None, VmHWM in KiB) for one process."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None, 0
    hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    if "pulumi.dynamic" in cmdline:
        return "provider", hwm
    if Path(cmdline.split(" ", 1)[0]).name == "pulumi":
        return "engine", hwm
    return None, hwm


class RssSampler:
    """Samples the peak RSS (VmHWM) of this process's `python -m pulumi.dynamic` and `pulumi` descendants."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._lock = threading.Lock()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval_s):
            for pid in _descendants(me):
                kind, hwm = _classify(pid)
                if kind:
                    with self._lock:
                        self.peaks[kind] = max(self.peaks.get(kind, 0), hwm)

    def take(self) -> dict[str, int]:
        """Peaks since the last take (KiB), then reset."""
        with self._lock:
            peaks, self.peaks = self.peaks, {}
        return peaks

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# ---- stacks -------------------------------------------------------------------------------------------------------

def fleet_config(domains: int, mailboxes: int) -> dict[str, Any]:
    """The sample fleet (Pulumi.dev.yaml) with N generated domains of M mailboxes each."""
    sample = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]["coldfleet:fleet"]
    fleet = dict(sample)
    fleet["defaults"] = {**sample["defaults"], "mailboxes": mailboxes}
    fleet["personas"] = PERSONAS
    fleet["domains"] = [{"name": f"bench{i:03d}-acme.net", "status": "active"} for i in range(domains)]
    return fleet


def write_project(directory: Path, sandbox_dir: Path, domains: int, mailboxes: int) -> None:
    """The fleet stack reads the bench's own sandbox through the settings file that sandbox writes."""
    shutil.copy(REPO_ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    settings = str(settings_file(sandbox_dir))
    config = {"config": {"coldfleet:settingsFile": settings, "coldfleet:fleet": fleet_config(domains, mailboxes)}}
    (directory / f"Pulumi.{FLEET_STACK}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (directory / f"Pulumi.{FLOOR_STACK}.yaml").write_text(yaml.safe_dump({"config": {}}))


def state_file(t: StackTarget) -> Path:
    return Path(t.backend_url[len("file://"):]) / ".pulumi" / "stacks" / PROJECT / f"{t.name}.json"


def custom_resources(t: StackTarget) -> int:
    """Resources in the checkpoint that are neither the stack, a component, nor a provider."""
    deployment = json.loads(state_file(t).read_text()).get("checkpoint", {}).get("latest") or {}
    return sum(1 for r in deployment.get("resources", []) if r.get("custom") and not r["type"].startswith("pulumi:"))


@contextmanager
def output_log(path: Path) -> Iterator[Callable[[str], None]]:
    with path.open("a") as handle:

        def write(line: str) -> None:
            handle.write(line + "\n")

        yield write


def run_phase(stack: auto.Stack, phase: str, on_output: Callable[[str], None]) -> dict[Any, int]:
    """One engine command (up, preview, refresh, destroy); its change summary."""
    if phase == "up":
        summary = stack.up(on_output=on_output).summary.resource_changes
    elif phase == "preview":
        summary = stack.preview(on_output=on_output).change_summary
    elif phase == "refresh":
        summary = stack.refresh(on_output=on_output).summary.resource_changes
    else:
        summary = stack.destroy(on_output=on_output).summary.resource_changes
    return dict(summary or {})


def bench_parser(doc: str, domains: int, mailboxes: int) -> argparse.ArgumentParser:
    """The options every bench shares: --domains N, --mailboxes M, --out FILE, --keep."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", 1)[0])
    parser.add_argument("--domains", type=int, default=domains, help=f"N domains (default {domains})")
    parser.add_argument("--mailboxes", type=int, default=mailboxes,
                        help=f"M mailboxes per domain (default {mailboxes})")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON results here")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (logs, state) afterwards")
    return parser


def finish(results: dict[str, Any], out: Path | None, workdir: Path, keep: bool) -> int:
    """Write the JSON results when asked, drop the temp directory unless kept; the exit status."""
    if out:
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {out}")
    if keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run_phases(t: StackTarget, program: Callable[[], None], extra_env: dict[str, str], sampler: RssSampler,
               log_path: Path) -> dict[str, Any]:
    """up, no-op preview, refresh, destroy on one stack: seconds, change summaries, state size, peak RSS."""
    stack = open_stack(t, extra_env=extra_env, program=program)
    out: dict[str, Any] = {}
    with output_log(log_path) as on_output:
        for phase in PHASES:
            on_output(f"==== {t.name} {phase}")
            sampler.take()
            started = time.perf_counter()
            summary = run_phase(stack, phase, on_output)
            seconds = time.perf_counter() - started
            out[phase] = {"seconds": round(seconds, 3), "changes": dict(summary or {}), "rss_kib": sampler.take()}
            print(f"  {t.name:6} {phase:8} {seconds:8.2f} s  {dict(summary or {})}", flush=True)
            if phase == "up":
                out["resources"] = custom_resources(t)
                out["state_bytes"] = state_file(t).stat().st_size
            elif phase == "refresh":
                out["state_bytes_after_refresh"] = state_file(t).stat().st_size
    stack.workspace.remove_stack(t.name)
    return out


# ---- report -------------------------------------------------------------------------------------------------------

def per_resource(result: dict[str, Any]) -> dict[str, float]:
    n = max(result.get("resources", 0), 1)
    return {phase: result[phase]["seconds"] / n for phase in PHASES}


def report(results: dict[str, Any]) -> None:
    floor, fleet = results["floor"], results["fleet"]
    fp, cp = per_resource(floor), per_resource(fleet)
    print()
    print(f"{'phase':10}{'floor ms/res':>14}{'fleet ms/res':>14}{'ratio':>8}{'fleet total s':>15}")
    for phase in PHASES:
        ratio = cp[phase] / fp[phase] if fp[phase] else float("nan")
        print(f"{phase:10}{fp[phase] * 1000:14.1f}{cp[phase] * 1000:14.1f}{ratio:8.1f}{fleet[phase]['seconds']:15.2f}")
    print(f"{'resources':10}{floor['resources']:14d}{fleet['resources']:14d}")
    fb, cb = floor["state_bytes"] / max(floor["resources"], 1), fleet["state_bytes"] / max(fleet["resources"], 1)
    print(f"{'state B/res':10}{fb:14.0f}{cb:14.0f}{cb / fb:8.1f}")
    peak = {k: max((fleet[p]["rss_kib"].get(k, 0) for p in PHASES), default=0) for k in ("provider", "engine")}
    floor_peak = {k: max((floor[p]["rss_kib"].get(k, 0) for p in PHASES), default=0) for k in ("provider", "engine")}
    print(f"peak RSS MiB: provider {floor_peak['provider'] / 1024:.0f} (floor) / {peak['provider'] / 1024:.0f}, "
          f"engine {floor_peak['engine'] / 1024:.0f} / {peak['engine'] / 1024:.0f}, "
          f"this process (CLI + both inline programs) {results['cli_peak_rss_kib'] / 1024:.0f}")
    results["summary"] = {
        "per_resource_ms": {"floor": {p: round(v * 1000, 2) for p, v in fp.items()},
                            "fleet": {p: round(v * 1000, 2) for p, v in cp.items()}},
        "ratio_to_floor": {p: round(cp[p] / fp[p], 2) if fp[p] else None for p in PHASES},
        "state_bytes_per_resource": {"floor": round(fb), "fleet": round(cb), "ratio": round(cb / fb, 2)},
        "peak_rss_kib": {"floor": floor_peak, "fleet": peak, "cli": results["cli_peak_rss_kib"]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__ or "", 5, 10)
    parser.add_argument("--floor", type=int, default=None,
                        help="K bare resources for the engine floor (default: the fleet's count, N x (M + 3))")
    parser.add_argument("--mailbox-delay", type=float, default=0.2, help="sandbox mailbox provisioning delay, s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    floor_count = args.floor or args.domains * (args.mailboxes + 3)
    # Throwaway stacks in a throwaway backend: the documented sandbox passphrase encrypts both.
    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", SANDBOX_PASSPHRASE)

    workdir = Path(tempfile.mkdtemp(prefix="coldfleet-bench-"))
    project = workdir / "project"
    project.mkdir()
    write_project(project, workdir / "sandbox", args.domains, args.mailboxes)
    log_path = workdir / "engine-output.log"
    results: dict[str, Any] = {
        "params": {"domains": args.domains, "mailboxes": args.mailboxes, "floor_resources": floor_count,
                   "mailbox_delay_s": args.mailbox_delay},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "engine": ENGINE_VERSION,
                    "platform": platform.platform()},
    }
    print(f"coldfleet bench: {args.domains} domains x {args.mailboxes} mailboxes, floor K={floor_count}, "
          f"in {workdir}", flush=True)
    try:
        with SandboxHandle.start(workdir / "sandbox") as sandbox, RssSampler() as sampler:
            sandbox.set_mailbox_delay(args.mailbox_delay)
            settings = sandbox.settings
            results["params"]["poll_interval_s"] = settings.poll_interval_s
            env = {"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
            os.environ.update(env)  # the inline program runs in this process
            backend = f"file://{workdir / 'state'}"
            floor_target = target(FLOOR_STACK, project, backend)
            fleet_target = target(FLEET_STACK, project, backend)

            def floor_program() -> None:
                from bench.floor_provider import program

                program(floor_count)

            results["floor"] = run_phases(floor_target, floor_program, env, sampler, log_path)
            from components.program import main as fleet_program

            results["fleet"] = run_phases(fleet_target, fleet_program, env, sampler, log_path)
            results["sandbox_requests"] = {k: v.get("requests") for k, v in sandbox.admin_state()["requests"].items()}
    except BaseException:
        print(f"benchmark failed; engine output in {log_path}", file=sys.stderr)
        raise
    results["cli_peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report(results)
    return finish(results, args.out, workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
