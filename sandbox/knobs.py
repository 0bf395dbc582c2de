"""The fault knobs of one double (set through the admin app's `/faults`); `sandbox.faults` applies them.

Its own module so the world's model stays under one screenful per concept; `sandbox.world.Faults` remains the name
pickled worlds and callers use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    """Fault knobs of one double; all off by default."""

    latency_ms: int = 0
    p429: float = 0.0
    retry_after_s: int = 1
    p503: float = 0.0
    pdrop: float = 0.0  # the connection drops before the request is handled (nothing happened)
    write_quota: int | None = None  # writes per window per app+tenant; None = unlimited
    write_window_s: float = 150.0
    # Deterministic one-shot knobs for tests: the next N requests get this fault (checked before the probabilities).
    next_429: int = 0
    next_503: int = 0
    next_drop: int = 0
    # The return leg of a round trip: the answer is held this long after the double has done the work (latency_ms
    # is the outbound leg, before it), so a test can catch "done at the service, not yet known to the caller".
    answer_latency_ms: int = 0
    # Handled, then dropped: the double does the work (state changes), then the connection drops before the answer.
    pdrop_after: float = 0.0
    next_drop_after: int = 0
    # Seed of this double's fault RNG (sandbox.faults): the same seed gives the same verdicts in request order.
    seed: int | None = None
