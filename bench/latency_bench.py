"""Benchmark: `up` under a realistic latency model, against the critical-path bound computed from the same knobs.

Microsoft answers in ~100 ms, provisions a mailbox in minutes and a new customer tenant in minutes; the sandbox
answers in milliseconds. This bench puts `--latency-ms` on every request to every HTTP double (identity included;
BIND itself is not HTTP and stays immediate), a mailbox provisioning delay and a tenant creation delay on the world,
and times `up` of N domains x M mailboxes against:

* the **critical-path bound**: the time the dependency graph of one domain cannot beat with these knobs,
      bound = max(R_sending * L, R_tenant * L + D_tenant) + R_auth * L + R_mailbox * L + D_mailbox
  (L the latency; D the delays; R_step the sequential round trips of a step). The graph's edges are fleet.py's:
  SendingDomain (registration, zone) and M365Tenant run side by side; AuthRecords (verification TXT, verify, DKIM)
  needs both; each Mailbox needs the tenant and the verified domain. The issue's linear chain
  (registration -> zone -> tenant -> verification -> DKIM -> mailbox) sums the first two instead of taking the max;
  it is reported as `chain_bound`. Every domain's chain is independent, so the bound does not grow with N or M:
  anything above it is queueing (threads, quotas) or engine time.
* R_step is measured, not guessed: a calibration `up` of a 1 x 1 fleet with zero latency and zero delays counts the
  round trips at the doubles (sandbox.counters) between the engine's resource events. Within one resource's create
  the requests are sequential (one provider thread), so those counts are the step's sequential round trips today;
  SendingDomain and M365Tenant overlap, so their shares are split by double (Name.com and Cloudflare are the
  SendingDomain's, the Microsoft doubles the tenant's). Zero delays mean each wait's first poll succeeds.
* the engine floor: `up` of the same number of bare resources (bench/floor_provider.py), same run.

    PYTHONPATH=. python bench/latency_bench.py --domains 2 --mailboxes 12 --out /tmp/latency-bench.json
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import EngineEvent

from bench.fleet_bench import (
    FLEET_STACK,
    FLOOR_STACK,
    bench_parser,
    custom_resources,
    finish,
    fleet_config,
    output_log,
    write_project,
)
from bench.floor_provider import program as floor_program
from cli.engine import SANDBOX_PASSPHRASE, open_stack, target
from components.program import main as fleet_program
from sandbox.daemon import settings_file
from sandbox.handle import SandboxHandle

log = logging.getLogger("bench.latency")

CALIB_STACK = "calib"
STEPS = ("SendingDomain", "M365Tenant", "AuthRecords", "Mailbox", "DomainMailboxes")
SENDING_DOUBLES = ("namecom", "cloudflare")


def _totals(sandbox: SandboxHandle) -> dict[str, int]:
    return {name: d["total"] for name, d in sandbox.requests()["doubles"].items()}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def calibrate(sandbox: SandboxHandle, project: Path, backend: str, env: dict[str, str],
              log_path: Path) -> dict[str, Any]:
    """Sequential round trips per step from a 1 x 1 `up` with zero latency and zero delays (see the docstring)."""
    sandbox.set_faults("*", latency_ms=0)
    sandbox.set_settings(mailbox_provisioning_delay_s=0, tenant_creation_delay_s=0)
    marks: dict[str, dict[str, int]] = {}

    def on_event(event: EngineEvent) -> None:
        done = event.res_outputs_event
        if done is not None:
            kind = done.metadata.type.rsplit(":", 1)[-1]
            if kind in STEPS:
                marks[kind] = _totals(sandbox)

    t = target(CALIB_STACK, project, backend)
    stack = open_stack(t, extra_env=env, program=fleet_program)
    sandbox.reset_requests()
    with output_log(log_path) as on_output:
        stack.up(on_output=on_output, on_event=on_event)
    phase_a = marks[max(("SendingDomain", "M365Tenant"), key=lambda k: sum(marks[k].values()))]
    sending = {k: v for k, v in phase_a.items() if k in SENDING_DOUBLES}
    tenant = {k: v for k, v in phase_a.items() if k not in SENDING_DOUBLES}
    auth = _delta(marks["AuthRecords"], phase_a)
    mailbox = _delta(marks["Mailbox"], marks["AuthRecords"])
    finishing = _delta(marks["DomainMailboxes"], marks["Mailbox"])
    by_step = {"sending_domain": sending, "m365_tenant": tenant, "auth_records": auth, "mailbox": mailbox,
               "domain_mailboxes": finishing}
    stack.destroy(on_output=lambda _line: None)
    stack.workspace.remove_stack(t.name)
    return {name: {"by_double": d, "round_trips": sum(d.values())} for name, d in by_step.items()}


def bound(calib: dict[str, Any], latency_s: float, tenant_delay_s: float, mailbox_delay_s: float) -> dict[str, float]:
    r = {k: v["round_trips"] for k, v in calib.items()}
    sending = r["sending_domain"] * latency_s
    tenant = r["m365_tenant"] * latency_s + tenant_delay_s
    tail = (r["auth_records"] + r["mailbox"] + r["domain_mailboxes"]) * latency_s + mailbox_delay_s
    return {"critical_path_s": round(max(sending, tenant) + tail, 2),
            "chain_bound_s": round(sending + tenant + tail, 2),
            "sending_s": round(sending, 2), "tenant_s": round(tenant, 2), "tail_s": round(tail, 2)}


class Timeline:
    """When each resource's step began (`resource_pre`) and ended (`res_outputs`), seconds from the first event:
    per type the count, the first start, the last end and the median step time (where `up` spends its time)."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.spans: dict[str, list[float]] = {}

    def __call__(self, event: EngineEvent) -> None:
        now = time.perf_counter()
        self.t0 = self.t0 if self.t0 is not None else now
        pre, done = event.resource_pre_event, event.res_outputs_event
        meta = pre.metadata if pre is not None else done.metadata if done is not None else None
        if meta is None or meta.op == "same" or meta.type.startswith(("pulumi:", "coldfleet:index:")):
            return
        span = self.spans.setdefault(meta.type.rsplit(":", 1)[-1] + " " + meta.urn, [now - self.t0, now - self.t0])
        if done is not None:
            span[1] = now - self.t0

    def summary(self) -> dict[str, dict[str, float]]:
        by_type: dict[str, list[list[float]]] = {}
        for urn, span in self.spans.items():
            by_type.setdefault(urn.split(" ", 1)[0], []).append(span)
        out = {}
        for kind, spans in sorted(by_type.items(), key=lambda kv: min(s[0] for s in kv[1])):
            steps = sorted(e - s for s, e in spans)
            out[kind] = {"count": len(spans), "first_start_s": round(min(s for s, _ in spans), 1),
                         "last_end_s": round(max(e for _, e in spans), 1),
                         "median_step_s": round(steps[len(steps) // 2], 2), "max_step_s": round(steps[-1], 2)}
        return out


def timed(label: str, run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    print(f"  {label:28} {seconds:8.2f} s", flush=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__ or "", 2, 12)
    parser.add_argument("--latency-ms", type=int, default=100, help="on every request to every double")
    parser.add_argument("--mailbox-delay", type=float, default=10.0, help="mailbox provisioning delay, s")
    parser.add_argument("--tenant-delay", type=float, default=20.0, help="tenant creation delay, s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", SANDBOX_PASSPHRASE)
    workdir = Path(tempfile.mkdtemp(prefix="coldfleet-latency-bench-"))
    project = workdir / "project"
    project.mkdir()
    write_project(project, workdir / "sandbox", args.domains, args.mailboxes)
    calib_config = {"config": {"coldfleet:settingsFile": str(settings_file(workdir / "sandbox")),
                               "coldfleet:fleet": {**fleet_config(1, 1), "domains": [
                                   {"name": "calib000-acme.net", "status": "active"}]}}}
    (project / f"Pulumi.{CALIB_STACK}.yaml").write_text(yaml.safe_dump(calib_config, sort_keys=False))
    log_path = workdir / "engine-output.log"
    count = args.domains * (args.mailboxes + 3)
    results: dict[str, Any] = {"params": {**vars(args), "out": str(args.out), "floor_resources": count}}
    print(f"coldfleet latency bench: {args.domains} x {args.mailboxes}, latency {args.latency_ms} ms, mailbox delay "
          f"{args.mailbox_delay} s, tenant delay {args.tenant_delay} s, in {workdir}", flush=True)
    try:
        with SandboxHandle.start(workdir / "sandbox") as sandbox:
            env = {"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
            os.environ.update(env)
            results["params"]["poll_interval_s"] = sandbox.settings.poll_interval_s
            backend = f"file://{workdir / 'state'}"
            calib = calibrate(sandbox, project, backend, env, log_path)
            results["calibration"] = calib
            print("  round trips per step (1 x 1, zero knobs): "
                  + ", ".join(f"{k} {v['round_trips']}" for k, v in calib.items()), flush=True)
            floor = open_stack(target(FLOOR_STACK, project, backend), extra_env=env,
                               program=lambda: floor_program(count))
            floor_up = timed(f"floor up ({count} res.)", lambda: floor.up(on_output=lambda _l: None))
            results["floor_up_s"] = round(floor_up, 2)
            floor.destroy(on_output=lambda _l: None)
            sandbox.set_faults("*", latency_ms=args.latency_ms)
            sandbox.set_settings(mailbox_provisioning_delay_s=args.mailbox_delay,
                                 tenant_creation_delay_s=args.tenant_delay)
            sandbox.reset_requests()
            fleet_t = target(FLEET_STACK, project, backend)
            fleet = open_stack(fleet_t, extra_env=env, program=fleet_program)
            timeline = Timeline()
            with output_log(log_path) as on_output:
                results["up_s"] = round(timed(f"fleet up ({count} res.)",
                                              lambda: fleet.up(on_output=on_output, on_event=timeline)), 2)
            results["timeline"] = timeline.summary()
            for kind, row in results["timeline"].items():
                print(f"    {kind:16} {row['count']:4}  {row['first_start_s']:6.1f} s .. {row['last_end_s']:6.1f} s"
                      f"  step median {row['median_step_s']:5.2f} s, max {row['max_step_s']:5.2f} s", flush=True)
            results["resources"] = custom_resources(fleet_t)
            seen = sandbox.requests()
            results["requests"] = {"total": seen["total"], "token_requests": seen["token_requests"],
                                   "by_double": {k: v["total"] for k, v in seen["doubles"].items()},
                                   "by_kind": {k: v["by_kind"] for k, v in seen["doubles"].items()}}
            sandbox.set_faults("*", latency_ms=0)
            sandbox.set_settings(mailbox_provisioning_delay_s=0, tenant_creation_delay_s=0)
            fleet.destroy(on_output=lambda _l: None)
    except BaseException:
        print(f"benchmark failed; engine output in {log_path}", file=sys.stderr)
        raise
    b = bound(calib, args.latency_ms / 1000, args.tenant_delay, args.mailbox_delay)
    results["bound"] = b
    up, floor_s = results["up_s"], results["floor_up_s"]
    results["summary"] = {"up_over_bound": round(up / b["critical_path_s"], 2),
                          "up_over_bound_plus_floor": round(up / (b["critical_path_s"] + floor_s), 2),
                          "up_over_chain_bound": round(up / b["chain_bound_s"], 2)}
    print(f"\nup {up:.1f} s; critical-path bound {b['critical_path_s']:.1f} s (sending {b['sending_s']}, tenant "
          f"{b['tenant_s']}, then auth + mailbox {b['tail_s']}); linear chain {b['chain_bound_s']:.1f} s; engine floor "
          f"{floor_s:.1f} s\nup / bound {results['summary']['up_over_bound']}x, up / (bound + floor) "
          f"{results['summary']['up_over_bound_plus_floor']}x; {results['requests']['total']} round trips, "
          f"{results['requests']['token_requests']} token requests")
    return finish(results, args.out, workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
