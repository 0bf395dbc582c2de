"""Benchmark: no-op `preview` of a 100 x 50 fleet (5,000 mailboxes), `refresh`, round trips, tokens, state, RSS.

An `up` of 5,300 resources takes far too long on 2 shared cores (the file backend rewrites the checkpoint per step),
so the large state is made the fast honest way: a real `up` of a small **seed** fleet (S domains x M mailboxes, zero
latency, zero delays) against the sandbox, then its checkpoint is exported, domain 0's resources are copied for
domains S..N-1 with the domain's name substituted (`bench000` -> `benchNNN`: URNs, names, inputs and outputs; ids and
secrets' ciphertext copied as they are) and imported into the same stack, whose config then declares all N domains.
The program then declares exactly what the state holds, so `preview` must report every resource `same`; it is what
a no-op preview of a real 100 x 50 fleet does (diff per resource, no reads). The floor stack is grown the same way
(its one bare resource copied K times). Figures:

* no-op preview at N x M vs the floor at the same count, and the round trips the doubles saw during it (should be 0);
* refresh of the real seed fleet vs the floor at the seed's count (a refresh of copied state would read the seed's
  objects under other names, so it is only measured on real state);
* round trips per mailbox created: the seed is brought up with 1 mailbox per domain, then grown to M; the second
  `up`'s round trips divided by the S x (M - 1) mailboxes it created (it also raises each tenant's seats, which is
  part of adding mailboxes). Token requests per tenant in that run;
* state bytes per mailbox (a Mailbox resource's checkpoint JSON) and the whole checkpoint at N x M;
* provider process peak RSS (VmHWM) during the N x M preview and the seed's up / refresh.

    PYTHONPATH=. python bench/scale_bench.py --domains 100 --mailboxes 50 --seed-domains 2 --out /tmp/scale.json
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from bench.fleet_bench import (
    FLEET_STACK,
    FLOOR_STACK,
    RssSampler,
    bench_parser,
    finish,
    fleet_config,
    run_phase,
    state_file,
    write_project,
)
from bench.floor_provider import program as floor_program
from cli.engine import SANDBOX_PASSPHRASE, StackTarget, open_stack, target
from components.naming import domain_prefix
from components.program import main as fleet_program
from sandbox.daemon import settings_file
from sandbox.handle import SandboxHandle

log = logging.getLogger("bench.scale")
SEED_NAME = "bench000"


def quiet(_line: str) -> None:
    return None


def set_fleet(project: Path, sandbox_dir: Path, domains: int, mailboxes: int) -> None:
    """Rewrite the fleet stack's config for N x M, keeping its encryption salt."""
    path = project / f"Pulumi.{FLEET_STACK}.yaml"
    config = yaml.safe_load(path.read_text())
    config["config"]["coldfleet:fleet"] = fleet_config(domains, mailboxes)
    config["config"]["coldfleet:settingsFile"] = str(settings_file(sandbox_dir))
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def grow(stack: auto.Stack, copies: range, pick: Any, rename: Any) -> int:
    """Export, copy the picked resources once per index in `copies` (renamed), import; the resource count after."""
    exported = stack.export_stack()
    deployment = dict(exported.deployment or {})
    resources: list[dict[str, Any]] = list(deployment["resources"])
    picked = [json.dumps(r) for r in resources if pick(r)]
    for i in copies:
        resources.extend(json.loads(rename(text, i)) for text in picked)
    deployment["resources"] = resources
    stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))
    return len(resources)


def rename_domain(text: str, i: int) -> str:
    """Domain 0's resource as domain i's: its tenant's hashed onmicrosoft prefix first, then the name itself."""
    client = str(fleet_config(1, 1)["client"])
    seed_domain, domain = f"{SEED_NAME}-acme.net", f"bench{i:03d}-acme.net"
    text = text.replace(domain_prefix(client, seed_domain), domain_prefix(client, domain))
    return text.replace(SEED_NAME, f"bench{i:03d}")


def rename_floor(text: str, i: int) -> str:
    """The floor's resource r0000 (value v0) as r<i> (value v<i>), as bench/floor_provider.py declares it."""
    return re.sub(r"\br0000\b", f"r{i:04d}", text).replace('"v0"', f'"v{i}"')


def timed(stack: auto.Stack, phase: str, sampler: RssSampler) -> dict[str, Any]:
    sampler.take()
    started = time.perf_counter()
    changes = run_phase(stack, phase, quiet)
    seconds = time.perf_counter() - started
    out = {"seconds": round(seconds, 2), "changes": changes, "rss_kib": sampler.take()}
    print(f"  {stack.name:6} {phase:8} {seconds:8.2f} s  {out['changes']}  {out['rss_kib']}", flush=True)
    return out


def mailbox_bytes(t: StackTarget) -> float:
    deployment = json.loads(state_file(t).read_text())["checkpoint"]["latest"]
    sizes = [len(json.dumps(r)) for r in deployment["resources"] if r["type"].endswith(":Mailbox")]
    return sum(sizes) / max(len(sizes), 1)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__ or "", 100, 50)
    parser.add_argument("--seed-domains", type=int, default=2, help="S domains brought up for real")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", SANDBOX_PASSPHRASE)
    n, m, s = args.domains, args.mailboxes, args.seed_domains
    workdir = Path(tempfile.mkdtemp(prefix="coldfleet-scale-bench-"))
    project, sandbox_dir = workdir / "project", workdir / "sandbox"
    project.mkdir()
    write_project(project, sandbox_dir, s, 1)
    total, seed_total = n * (m + 3), s * (m + 3)
    r: dict[str, Any] = {"params": {"domains": n, "mailboxes": m, "seed_domains": s, "resources": total}}
    print(f"coldfleet scale bench: {n} x {m} ({total} resources) from a real {s} x {m} seed, in {workdir}", flush=True)
    with SandboxHandle.start(sandbox_dir) as sandbox, RssSampler() as sampler:
        sandbox.set_settings(mailbox_provisioning_delay_s=0, tenant_creation_delay_s=0)
        env = {"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
        os.environ.update(env)
        backend = f"file://{workdir / 'state'}"
        fleet_t, floor_t = target(FLEET_STACK, project, backend), target(FLOOR_STACK, project, backend)
        fleet = open_stack(fleet_t, extra_env=env, program=fleet_program)
        r["seed_up_1"] = timed(fleet, "up", sampler)
        set_fleet(project, sandbox_dir, s, m)
        sandbox.reset_requests()
        r["seed_up_m"] = timed(fleet, "up", sampler)
        seen = sandbox.requests()
        created = s * (m - 1)
        r["round_trips"] = {"total": seen["total"], "per_mailbox_created": round(seen["total"] / created, 2),
                            "token_requests": seen["token_requests"],
                            "token_requests_per_tenant": round(seen["token_requests"] / s, 2),
                            "by_double": {k: v["total"] for k, v in seen["doubles"].items()},
                            "by_kind": {k: v["by_kind"] for k, v in seen["doubles"].items()}}
        r["seed_refresh"] = timed(fleet, "refresh", sampler)
        r["state_bytes_per_mailbox"] = round(mailbox_bytes(fleet_t))
        floor = open_stack(floor_t, extra_env=env, program=lambda: floor_program(seed_total))
        r["floor_seed_up"] = timed(floor, "up", sampler)
        r["floor_seed_refresh"] = timed(floor, "refresh", sampler)
        # grow both stacks to N x M by copying state (see the docstring), then the no-op previews
        r["fleet_resources"] = grow(fleet, range(s, n), lambda res: SEED_NAME in res["urn"], rename_domain)
        set_fleet(project, sandbox_dir, n, m)
        r["floor_resources"] = grow(floor, range(seed_total, total), lambda res: res["urn"].endswith("::r0000"),
                                    rename_floor)
        floor = open_stack(floor_t, extra_env=env, program=lambda: floor_program(total))
        r["state_bytes_total"] = state_file(fleet_t).stat().st_size
        r["floor_preview"] = timed(floor, "preview", sampler)
        sandbox.reset_requests()
        r["preview"] = timed(fleet, "preview", sampler)
        r["preview_round_trips"] = sandbox.requests()["total"]
    ratio = r["preview"]["seconds"] / r["floor_preview"]["seconds"]
    refresh_ratio = r["seed_refresh"]["seconds"] / r["floor_seed_refresh"]["seconds"]
    r["summary"] = {"preview_over_floor": round(ratio, 2), "refresh_over_floor_at_seed": round(refresh_ratio, 2),
                    "preview_round_trips": r["preview_round_trips"],
                    "round_trips_per_mailbox_created": r["round_trips"]["per_mailbox_created"],
                    "token_requests_per_tenant": r["round_trips"]["token_requests_per_tenant"],
                    "state_bytes_per_mailbox": r["state_bytes_per_mailbox"],
                    "provider_peak_rss_mib_preview": round(r["preview"]["rss_kib"].get("provider", 0) / 1024)}
    print(json.dumps(r["summary"], indent=2))
    return finish(r, args.out, workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
