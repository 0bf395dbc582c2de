"""Writing a `RotationPlan` into `Pulumi.<stack>.yaml`, in place: comments, key order, quoting and each entry's flow
or block style stay as they were, so the pull request's diff shows the rotation and nothing else.

ruamel.yaml's round-trip mode keeps them (https://yaml.dev/doc/ruamel.yaml/detail/ : `YAML()` is `typ="rt"`,
`preserve_quotes`, `indent(mapping, sequence, offset)`); the file's own indentation is guessed first
(`ruamel.yaml.util.load_yaml_guess_indent` for sequences, the first nested key for mappings). Dates are written as
quoted ISO strings (`"2026-12-02"`): PyYAML (the CLI's loader) and the engine's JSON config both hand pydantic a
string it parses to the same `date`.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import MutableMapping, MutableSequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from components.health.rotate import RotationPlan

FLEET_KEY = "coldfleet:fleet"
_NESTED_KEY = re.compile(r"^[^\s#-][^\n]*:[ \t]*\n(?:[ \t]*#[^\n]*\n)*( +)[^\s#-]", re.MULTILINE)


class SpecEditError(ValueError):
    """The stack file cannot be edited in place (not YAML, no fleet mapping, a domain the plan names is missing)."""


def _yaml(text: str) -> YAML:
    _data, sequence, offset = load_yaml_guess_indent(text)
    nested = _NESTED_KEY.search(text)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the file already has
    yaml.indent(mapping=len(nested.group(1)) if nested else 2, sequence=sequence or 2, offset=offset or 0)
    return yaml


def _key(name: str) -> str:
    return str(name).strip().lower().rstrip(".")


def _fleet(doc: Any) -> MutableMapping[str, Any]:
    config = doc.get("config") if isinstance(doc, MutableMapping) else None
    fleet = config.get(FLEET_KEY) if isinstance(config, MutableMapping) else None
    if not isinstance(fleet, MutableMapping):
        raise SpecEditError(f"config.{FLEET_KEY} is not a YAML mapping in the stack file; rotate edits it in place "
                            "only when it is written out as one")
    return fleet


def _entries(fleet: MutableMapping[str, Any]) -> dict[str, MutableMapping[str, Any]]:
    domains = fleet.get("domains")
    if not isinstance(domains, MutableSequence):
        raise SpecEditError(f"config.{FLEET_KEY}.domains is not a list")
    return {_key(e["name"]): e for e in domains if isinstance(e, MutableMapping) and "name" in e}


def _entry(entries: dict[str, MutableMapping[str, Any]], name: str) -> MutableMapping[str, Any]:
    try:
        return entries[_key(name)]
    except KeyError:
        raise SpecEditError(f"config.{FLEET_KEY}.domains has no entry named {name}") from None


def _tail(node: Any) -> tuple[Any, Any, int] | None:
    """Where a block collection's trailing comment hangs: ruamel keeps the comment lines that follow a collection
    (`# bought in November` above the next key) on its deepest last block entry, as (container, key, slot)."""
    if isinstance(node, CommentedMap) and node and not node.fa.flow_style():
        key = list(node)[-1]
        return _tail(node[key]) or (node, key, 2)
    if isinstance(node, CommentedSeq) and node and not node.fa.flow_style():
        return _tail(node[-1]) or (node, len(node) - 1, 0)
    return None


def _appending(node: Any, add: Any) -> None:
    """`add()` appends to `node`; the trailing comment moves to the new last entry, so it stays where it was in the
    file instead of landing between the old last entry and the new one."""
    before = _tail(node)
    slots = before[0].ca.items.get(before[1]) if before else None
    token = slots[before[2]] if slots and before else None
    if slots and before:
        slots[before[2]] = None
    add()
    after = _tail(node)
    if token is not None and after is not None:
        container, key, slot = after
        container.ca.items.setdefault(key, [None, None, None, None])[slot] = token


def _set(entry: MutableMapping[str, Any], key: str, value: Any) -> None:
    if key in entry:
        entry[key] = value
    else:
        _appending(entry, lambda: entry.__setitem__(key, value))


def _date(plan: RotationPlan) -> Any:
    return DoubleQuotedScalarString(plan.today.isoformat())


def _promote(fleet: MutableMapping[str, Any], plan: RotationPlan) -> None:
    domains: MutableSequence[Any] = fleet["domains"]
    spares = fleet.get("spares")
    flow = bool(domains) and isinstance(domains[-1], CommentedMap) and bool(domains[-1].fa.flow_style())
    for name in plan.promote:
        if isinstance(spares, MutableSequence):
            at = next((i for i, s in enumerate(spares) if _key(s) == _key(name)), None)
            if at is not None:
                del spares[at]
        entry = CommentedMap([("name", name), ("status", "active"), ("since", _date(plan))])
        if flow:
            entry.fa.set_flow_style()
        _appending(domains, lambda entry=entry: domains.append(entry))


def _retire_mailboxes(entry: MutableMapping[str, Any], parts: tuple[str, ...]) -> None:
    listed = entry.get("retired_mailboxes")
    if not isinstance(listed, MutableSequence):
        listed = CommentedSeq()
        listed.fa.set_flow_style()
        _set(entry, "retired_mailboxes", listed)
    for part in parts:
        if part not in listed:
            listed.append(part)


def apply(text: str, plan: RotationPlan) -> str:
    """The stack file's text with the plan written in (the same text when the plan is empty)."""
    if plan.empty:
        return text
    yaml = _yaml(text)
    try:
        doc = yaml.load(text)
    except YAMLError as error:
        raise SpecEditError(f"the stack file is not YAML: {error}") from None
    fleet = _fleet(doc)
    entries = _entries(fleet)
    for name in plan.retire:
        entry = _entry(entries, name)
        entry["status"] = "retiring"
        _set(entry, "retiring_since", _date(plan))
    for name in plan.start_clock:
        _set(_entry(entries, name), "retiring_since", _date(plan))
    for name in plan.retired:
        _entry(entries, name)["status"] = "retired"
    for name, parts in plan.mailboxes.items():
        _retire_mailboxes(_entry(entries, name), parts)
    _promote(fleet, plan)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{name}", f"b/{name}"))
