"""Stub for the resources branch: the cli helper writes the real module (brief contract 4); the lead keeps theirs."""

from __future__ import annotations


def install() -> None:
    """Make provider log records reach the user (idempotent); a no-op in this stub."""
