"""`aimarket analyze` and `aimarket compare`: read run stores, never re-run the model."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from aimarket.errors import UserError


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `analyze` and `compare` subcommands."""
    p = sub.add_parser(
        "analyze",
        description="Analyse RUN_DIR's outcomes and write a self-contained HTML report with its "
        "tables as CSV beside it.",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--report", type=Path, help="HTML file (default: RUN_DIR/report.html)")
    p.add_argument(
        "--by", action="append", default=[], metavar="KEY", help="group runs by this swept key"
    )
    p.add_argument(
        "--figures", type=Path, metavar="DIR", help="also save every figure as a PNG here"
    )
    p.set_defaults(func=_analyze)

    c = sub.add_parser(
        "compare",
        description="Effect of going from A to B per outcome: paired over replications when "
        "seeds match (common random numbers), else independent; effect sizes, CIs, tests.",
    )
    c.add_argument("run_a", type=Path, metavar="RUN_A")
    c.add_argument("run_b", type=Path, nargs="?", metavar="RUN_B")
    c.add_argument("--key", help="compare two values of this swept key inside RUN_A")
    c.add_argument("--values", nargs=2, metavar=("A", "B"), help="the two values of --key")
    c.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    c.set_defaults(func=_compare)


def _analyze(args: argparse.Namespace) -> int:
    from aimarket.analysis.report import build_report

    path = build_report(args.run_dir, args.report, by=args.by or None, figures_dir=args.figures)
    print(f"report: {path}")
    if args.figures:
        print(f"figures: {args.figures}")
    print(f"tables: {path.parent / (path.stem + '_tables')}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from aimarket.analysis import paired
    from aimarket.analysis.load import load_run, swept_keys

    run_a = load_run(args.run_a)
    if args.run_b is not None:
        if args.key:
            raise UserError("give either RUN_B or --key/--values, not both")
        a, b = run_a.outcomes, load_run(args.run_b).outcomes
        keys = [k for k in swept_keys(run_a.manifest, a) if k in b]
        label = f"{args.run_a} → {args.run_b}"
    else:
        if not (args.key and args.values):
            raise UserError("compare needs RUN_B, or --key KEY --values A B for one run store")
        a, b = paired.split_setting(run_a.outcomes, args.key, *args.values)
        keys = [k for k in swept_keys(run_a.manifest, a) if k != args.key]
        label = f"{args.key}: {args.values[0]} → {args.values[1]}"
    table = paired.compare(a, b, keys=keys)
    print(label)
    print(table.attrs["pairing"])
    cols = ["outcome", "design", "diff", "lo", "hi", "test", "p_value", "small_sample"]
    with pd.option_context("display.width", 160, "display.max_rows", 100):
        print(table[[c for c in cols if c in table]].to_string(index=False, float_format="%.4g"))
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0
