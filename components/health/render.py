"""A health report for people: a table read at a glance (one line per domain, colour on a terminal) and the Markdown a
rotation pull request carries as its description. Both end with the consent reminder.

A domain's label is the most urgent of what it has: `worn` (rotate it), `broken` (run `up`), `watch`, `unknown`
(could not check), `healthy`.
"""

from __future__ import annotations

from components.health.report import CONSENT, HealthReport
from components.health.verdict import DomainVerdict

COLOURS = {"worn": "31", "broken": "35", "watch": "33", "unknown": "36", "healthy": "32"}
LABELS = tuple(COLOURS)


def label(v: DomainVerdict) -> str:
    if v.verdict == "worn":
        return "worn"
    if v.broken:
        return "broken"
    if v.verdict == "watch":
        return "watch"
    return "unknown" if v.unknown else "healthy"


def why(v: DomainVerdict) -> str:
    """The reasons for a non-healthy label, one line: wear, then what to repair, then what could not be checked."""
    parts = [r for r in v.reasons if not r.startswith("worn mailboxes: ")]  # said below, with their reasons
    parts += [f"{b.address} worn: {', '.join(b.reasons)}" for b in v.mailboxes if b.verdict == "worn"]
    if v.broken:
        parts.append("repair with `coldfleet up`: " + "; ".join(v.broken))
    if v.unknown:
        parts.append("could not check: " + "; ".join(v.unknown))
    return "; ".join(parts)


def counts(report: HealthReport) -> str:
    tally = {name: 0 for name in LABELS}
    for v in report.verdicts:
        tally[label(v)] += 1
    shown = ", ".join(f"{n} {name}" for name, n in tally.items() if n)
    return f"{len(report.verdicts)} domain(s): {shown or 'none'}"


def _paint(text: str, name: str, colour: bool) -> str:
    return f"\033[{COLOURS[name]}m{text}\033[0m" if colour else text


def table(report: HealthReport, colour: bool = False) -> str:
    """One line per domain: name, spec status, label, score, and why when not healthy."""
    width = max([len("DOMAIN"), *(len(v.domain) for v in report.verdicts)])
    lines = [f"coldfleet health — stack {report.stack}, {report.today.isoformat()}", "",
             f"  {'DOMAIN':<{width}}  {'STATUS':<8}  {'VERDICT':<7}  {'SCORE':>5}  WHY"]
    for v in report.verdicts:
        name = label(v)
        reason = why(v) if name != "healthy" else ""
        lines.append(f"  {v.domain:<{width}}  {v.status:<8}  {_paint(f'{name:<7}', name, colour)}  "
                     f"{v.score:>5.0f}  {reason}".rstrip())
    lines += ["", f"{counts(report)}; exit code {report.exit_code}", "", CONSENT]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: HealthReport) -> str:
    """The report as a Markdown section (a pull request's description)."""
    lines = [f"### coldfleet health — stack `{report.stack}`, {report.today.isoformat()}", "",
             "| domain | status | verdict | score | why |", "|---|---|---|---:|---|"]
    for v in report.verdicts:
        name = label(v)
        reason = why(v) if name != "healthy" else ""
        lines.append(f"| `{v.domain}` | {v.status} | **{name}** | {v.score:.0f} | {_cell(reason)} |")
    lines += ["", f"{counts(report)}; exit code {report.exit_code}.", "", f"> {CONSENT}", ""]
    return "\n".join(lines)
