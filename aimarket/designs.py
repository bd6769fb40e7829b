"""Experimental designs: which scenario settings (design points) a batch runs.

A design point is a mapping from dotted scenario keys (as for `--set`) to values. Designs:

- `grid`: the full factorial product of value lists (`--sweep`, the scenario's `[sweep]` table);
- `lhs`: a Latin hypercube over ranges (`scipy.stats.qmc.LatinHypercube`, one point per sample);
- `sobol`: Saltelli's scheme (`SALib.sample.sobol.sample`) so that `SALib.analyze.sobol` can
  compute first, second and total-order indices from the outcome table in run order:
  N base samples give N·(2D+2) points for D keys;
- `morris`: N one-at-a-time trajectories on a 4-level grid (`SALib.sample.morris.sample`), N·(D+1)
  points, for Morris elementary-effects screening (`SALib.analyze.morris`).

Sampled designs may be crossed with a grid (e.g. policies × uncertainties): every grid point is
combined with every sampled point. Random designs draw from a `numpy.random.SeedSequence`, so a
design is reproducible from the batch's root seed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

from aimarket.dotted import parse_value
from aimarket.errors import UserError

KINDS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Design:
    """Design points plus the specification that produced them (recorded in the manifest)."""

    kind: str
    keys: list[str]
    points: list[dict[str, object]]
    spec: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def digest(self) -> str:
        """sha256 hex of the canonical JSON of the points: identifies the design on resume."""
        text = json.dumps(self.points, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, object]:
        """JSON-serialisable summary for `manifest.json` (kind, keys, spec, size, digest)."""
        return {
            "kind": self.kind,
            "keys": self.keys,
            **self.spec,
            "size": len(self.points),
            "digest": self.digest,
        }


def single() -> Design:
    """The design with one point and no swept key (replications of the scenario as is)."""
    return Design("grid", [], [{}], {"grid": {}})


def grid(values: Mapping[str, Sequence[object]]) -> Design:
    """Full factorial design: every combination of `values` (key → list), first key slowest."""
    for key, vals in values.items():
        if len(vals) == 0:
            raise UserError(f"sweep {key}: no values")
    keys = list(values)
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values.values())]
    return Design("grid", keys, points, {"grid": {k: list(v) for k, v in values.items()}})


def lhs(
    ranges: Mapping[str, tuple[float, float]], samples: int, seed: np.random.SeedSequence
) -> Design:
    """Latin hypercube of `samples` points over `ranges` (key → (low, high), inclusive bounds).

    A key whose bounds are both `int` takes integer values, each equally likely.
    """
    _check_ranges(ranges, samples)
    unit = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(samples)
    spec = {"ranges": _ranges_spec(ranges), "samples": samples, "sampler": "scipy.stats.qmc.LHS"}
    return Design("lhs", list(ranges), _scale(unit, ranges), spec)


def sobol(
    ranges: Mapping[str, tuple[float, float]],
    samples: int,
    seed: np.random.SeedSequence,
    *,
    second_order: bool = True,
) -> Design:
    """Saltelli design of `samples` base samples (a power of 2) over `ranges` (SALib's sampler).

    Gives `samples`·(2D+2) points (`samples`·(D+2) without second order) in the order
    `SALib.analyze.sobol.analyze` expects: analyse the ok runs' outcomes sorted by design point.
    """
    from SALib.sample import sobol as salib_sobol

    _check_ranges(ranges, samples)
    if samples & (samples - 1):
        raise UserError(f"--samples {samples}: a Sobol design needs a power of 2 (e.g. 64, 256)")
    problem = _problem(ranges)
    seed_int = int(seed.generate_state(1)[0])
    x = salib_sobol.sample(problem, samples, calc_second_order=second_order, seed=seed_int)
    spec = {"sampler": "SALib.sample.sobol.sample", "calc_second_order": second_order}
    return _salib_design("sobol", x, ranges, samples, {**spec, "problem": problem})


def morris(
    ranges: Mapping[str, tuple[float, float]],
    samples: int,
    seed: np.random.SeedSequence,
    *,
    num_levels: int = 4,
) -> Design:
    """Morris design of `samples` trajectories over `ranges` (SALib's sampler): `samples`·(D+1)
    points in trajectory order, as `SALib.analyze.morris.analyze` expects."""
    from SALib.sample import morris as salib_morris

    _check_ranges(ranges, samples)
    problem = _problem(ranges)
    seed_int = int(seed.generate_state(1)[0])
    x = salib_morris.sample(problem, samples, num_levels=num_levels, seed=seed_int)
    spec = {"sampler": "SALib.sample.morris.sample", "num_levels": num_levels}
    return _salib_design("morris", x, ranges, samples, {**spec, "problem": problem})


def _problem(ranges: Mapping[str, tuple[float, float]]) -> dict[str, object]:
    """SALib's problem dictionary for `ranges`."""
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[float(lo), float(hi)] for lo, hi in ranges.values()],
    }


def _salib_design(
    kind: str,
    x: np.ndarray,
    ranges: Mapping[str, tuple[float, float]],
    samples: int,
    spec: dict[str, object],
) -> Design:
    """A design from SALib sample rows `x` (in the units of `ranges`)."""
    unit = (x - [lo for lo, _ in ranges.values()]) / [hi - lo for lo, hi in ranges.values()]
    spec = {"ranges": _ranges_spec(ranges), "samples": samples, **spec}
    return Design(kind, list(ranges), _scale(unit, ranges), spec)


def cross(outer: Design, inner: Design) -> Design:
    """Every point of `outer` combined with every point of `inner` (outer slowest)."""
    if not outer.keys:
        return inner
    if not inner.keys:
        return outer
    points = [{**o, **i} for o in outer.points for i in inner.points]
    spec = {**inner.spec, "grid": outer.spec.get("grid", {})}
    return Design(inner.kind, outer.keys + inner.keys, points, spec)


def parse_sweep(arg: str) -> tuple[str, list[object]]:
    """`KEY=V1,V2,...` → (key, values)."""
    key, sep, rest = arg.partition("=")
    values = [parse_value(v.strip()) for v in rest.split(",") if v.strip()]
    if not sep or not key.strip() or not values:
        raise UserError(f"--sweep {arg!r}: expected KEY=V1,V2,...")
    return key.strip(), values


def parse_range(arg: str) -> tuple[str, tuple[float, float]]:
    """`KEY=LOW:HIGH` → (key, (low, high)); ints stay ints (integer-valued key)."""
    key, sep, rest = arg.partition("=")
    low, colon, high = rest.partition(":")
    bounds = (parse_value(low.strip()), parse_value(high.strip()))
    numeric = all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
    if not (sep and colon and key.strip() and numeric):
        raise UserError(f"--range {arg!r}: expected KEY=LOW:HIGH with numbers")
    return key.strip(), bounds  # type: ignore[return-value]


def _check_ranges(ranges: Mapping[str, tuple[float, float]], samples: int) -> None:
    if not ranges:
        raise UserError("a sampled design needs at least one --range KEY=LOW:HIGH")
    if samples < 1:
        raise UserError(f"--samples {samples}: must be at least 1")
    for key, (low, high) in ranges.items():
        if not low < high:
            raise UserError(f"--range {key}={low}:{high}: LOW must be below HIGH")


def _ranges_spec(ranges: Mapping[str, tuple[float, float]]) -> dict[str, list[float]]:
    return {k: [lo, hi] for k, (lo, hi) in ranges.items()}


def _scale(unit: np.ndarray, ranges: Mapping[str, tuple[float, float]]) -> list[dict[str, object]]:
    """Map unit-cube rows to dicts of values in `ranges` (integer keys: equal-width bins)."""
    columns: dict[str, list[object]] = {}
    for j, (key, (low, high)) in enumerate(ranges.items()):
        if isinstance(low, int) and isinstance(high, int):
            ints = np.minimum(np.floor(low + unit[:, j] * (high - low + 1)), high)
            columns[key] = [int(v) for v in ints]
        else:
            columns[key] = [float(v) for v in low + unit[:, j] * (high - low)]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
