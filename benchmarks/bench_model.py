"""Cost of one model run and of one tick as the agent populations grow.

    python benchmarks/bench_model.py [--ticks 120] [--scales 1 4 10] [--repeats 3] [--seed 0]
        [--no-profile] [--boltzmann 7]

0. The cost of one baseline run relative to Mesa's Boltzmann wealth model (``mesa.examples``,
   100 agents x 100 steps), the two timed interleaved in this process, median ratio of
   ``--boltzmann`` pairs: a machine-independent yardstick.
1. One baseline run of ``--ticks`` months (wall time, best of ``--repeats``).
2. The same with the hyperscalers, labs and chipmakers cloned k times (k in ``--scales``):
   every clone gets the suffix ``_2``, ``_3``, ...; its cap table and the deals in force at the
   start are cloned with it (a clone's deals tie clone to clone), so each replica is a copy of
   the baseline industry. Market-wide quantities that size the economy (potential usage,
   non-lab compute demand, outside capital) are multiplied by k so that every replica faces the
   baseline's economics. Open-weight projects, regulators, events and shocks are not cloned.
   Reported: ms per tick and ms per tick per agent (firms plus regulators); if the cost grows
   about linearly with agents, the last column stays roughly flat.
3. cProfile of the largest case: the top 10 functions by cumulative and by own time.

Targets (issue 11, performance): a 120-month ``baseline`` run costs under 10x the Boltzmann
wealth model (item 0), and the cost per agent at 10x firms stays within 1.2x of the cost at 1x
(item 2, column "vs 1x" at most 1.20). Wall times on a shared machine are noisy: compare the
interleaved median ratio (item 0) and repeat item 2 (``--repeats``) before reading a change.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import statistics
import time

from mesa.examples import BoltzmannWealth

from aimarket.scenario import Scenario, load_scenario
from aimarket.simulation import simulate

CLONED = ("hyperscalers", "labs", "chipmakers")
SCALED_MARKET = ("usage_units", "enterprise_compute_gw", "outside_capital_bn_per_month")


def scaled_scenario(k: int, base: str = "baseline") -> Scenario:
    """The baseline with hyperscalers, labs, chipmakers (and their initial deals) cloned k times."""
    data = copy.deepcopy(load_scenario(base).data)
    data["name"] = f"{data['name']}-x{k}"
    data["sweep"] = {}
    if k == 1:
        return Scenario.from_data(data, origin=data["name"])
    cloned = {a["name"] for group in CLONED for a in data[group]}

    def rename(name: str, i: int) -> str:
        return f"{name}_{i}" if name in cloned else name

    originals = {group: list(data[group]) for group in CLONED}
    deals = list(data["deals"])
    for i in range(2, k + 1):
        for group in CLONED:
            for agent in originals[group]:
                twin = copy.deepcopy(agent)
                twin["name"] = rename(agent["name"], i)
                if "cap_table" in twin:
                    twin["cap_table"] = {rename(o, i): s for o, s in agent["cap_table"].items()}
                data[group].append(twin)
        for deal in deals:
            twin = copy.deepcopy(deal)
            twin["id"] = f"{deal['id']}_{i}"
            twin["investor"] = rename(deal["investor"], i)
            twin["target"] = rename(deal["target"], i)
            data["deals"].append(twin)
    for key in SCALED_MARKET:
        data["market"][key] *= k
    return Scenario.from_data(data, origin=data["name"])


def n_agents(sc: Scenario) -> int:
    s = sc.spec
    return sum(len(getattr(s, g)) for g in (*CLONED, "open_source", "regulators"))


def time_run(sc: Scenario, ticks: int, seed: int, repeats: int) -> float:
    """Best wall time (s) of ``repeats`` runs of ``ticks`` months."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(sc, seed, ticks=ticks)
        best = min(best, time.perf_counter() - start)
    return best


def boltzmann_ratio(ticks: int, seed: int, pairs: int) -> tuple[float, float, float]:
    """Median over ``pairs`` interleaved timings: (baseline run s, Boltzmann run s, ratio)."""
    sc = scaled_scenario(1)
    ours, theirs = [], []
    for _ in range(pairs):
        start = time.perf_counter()
        simulate(sc, seed, ticks=ticks)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        model = BoltzmannWealth()
        for _ in range(100):
            model.step()
        theirs.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return statistics.median(ours), statistics.median(theirs), statistics.median(ratios)


def profile(sc: Scenario, ticks: int, seed: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    simulate(sc, seed, ticks=ticks)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    out.write("-- by cumulative time --\n")
    stats.sort_stats("cumulative").print_stats(10)
    out.write("-- by own time --\n")
    stats.sort_stats("tottime").print_stats(10)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=120)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 4, 10])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--boltzmann", type=int, default=7, help="interleaved pairs (0: skip)")
    args = ap.parse_args()

    if args.boltzmann:
        ours, theirs, ratio = boltzmann_ratio(args.ticks, args.seed, args.boltzmann)
        print(
            f"baseline {args.ticks} ticks: {ours:.3f} s; Boltzmann wealth 100 agents x 100 steps:"
            f" {theirs:.3f} s; ratio (median of {args.boltzmann}) {ratio:.1f}x"
        )

    rows = []
    for k in args.scales:
        sc = scaled_scenario(k)
        seconds = time_run(sc, args.ticks, args.seed, args.repeats)
        agents = n_agents(sc)
        ms_tick = 1000 * seconds / args.ticks
        rows.append((k, agents, seconds, ms_tick, ms_tick / agents))
    base = rows[0]
    print(f"baseline-shaped runs, {args.ticks} ticks, best of {args.repeats}, seed {args.seed}")
    head = ("scale", "agents", "run s", "ms/tick", "ms/tick/agent", "vs 1x")
    print("{:>5} {:>6} {:>8} {:>8} {:>13} {:>6}".format(*head))
    for k, agents, seconds, ms_tick, per_agent in rows:
        rel = per_agent / base[4]
        line = f"{k:>4}x {agents:>6} {seconds:>8.3f} {ms_tick:>8.2f} {per_agent:>13.3f}"
        print(f"{line} {rel:>5.2f}x")
    if not args.no_profile:
        k = max(args.scales)
        print(f"\ncProfile, scale {k}x, {args.ticks} ticks (top 10)")
        print(profile(scaled_scenario(k), args.ticks, args.seed))


if __name__ == "__main__":
    main()
