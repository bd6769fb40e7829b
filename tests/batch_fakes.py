"""Stand-ins for the scenario and the simulator: fast, deterministic in (data, seed, ticks)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping

import numpy as np

from aimarket.errors import UserError


class FakeScenario:
    """The part of `aimarket.scenario.Scenario` the batch engine uses; keys are top-level."""

    def __init__(self, data: Mapping, sweep: Mapping[str, list] | None = None) -> None:
        self.data = dict(data)
        self.sweep = dict(sweep or {})
        self.name = "fake"
        self.ticks = 12
        text = json.dumps(self.data, sort_keys=True)
        self.content_hash = hashlib.sha256(text.encode()).hexdigest()

    def check_key(self, key: str) -> None:
        if key not in self.data:
            raise UserError(f"fake: {key}: unknown key")

    def with_overrides(self, overrides: Mapping) -> FakeScenario:
        for key, value in overrides.items():
            self.check_key(key)
            if not isinstance(value, int | float) or value < 0:
                raise UserError(f"fake: {key}: must be a number >= 0")
        return FakeScenario({**self.data, **overrides})


def fake_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list[dict], list[dict]]:
    """Outcome depends on the data and the seed; a `None` field appears on some runs only."""
    rng = np.random.default_rng(seed)
    ticks = ticks or 12
    level = data["a"] + data["b"] * rng.normal()
    count = int(rng.integers(0, 10))
    outcome = {
        "level": float(level),
        "count": count,
        "breakdown_tick": count if (count + int(data["a"])) % 2 else None,
        "regime": "high" if level > 1 else "low",
    }
    events = [{"tick": t, "kind": "tick", "value": float(t * level)} for t in range(seed % 3)]
    series = [{"tick": t, "price": float(level + t)} for t in range(ticks)]
    return outcome, events, series


def failing_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list[dict], list[dict]]:
    """Like `fake_run`, but every run with `b` = 2 raises."""
    if data["b"] == 2:
        raise ValueError("strategy bug")
    return fake_run(data, seed, ticks)


def slow_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list[dict], list[dict]]:
    """Like `fake_run`, taking 50 ms (for interruption tests: slow enough to be caught mid-batch
    on a loaded machine)."""
    time.sleep(0.05)
    return fake_run(data, seed, ticks)


SCENARIO = FakeScenario({"a": 1.0, "b": 0.5, "c": 3})


def constant_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list[dict], list[dict]]:
    """A run of any scenario: the outcome is the seed modulo 7."""
    return {"x": seed % 7}, [], []
