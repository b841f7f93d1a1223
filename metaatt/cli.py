"""Command-line interface: ``metaatt demo`` (placeholder until the analysis runner lands)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="metaatt", description="metaatt meta-analysis toolkit")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="pool the bundled BCG vaccine trials (log risk ratio, REML)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        import numpy as np

        from . import datasets
        from .pooling import pool

        bcg = datasets.load_bcg()
        a, b, c, d = (bcg[col].to_numpy(float) for col in ("tpos", "tneg", "cpos", "cneg"))
        yi = np.log(a / (a + b)) - np.log(c / (c + d))
        vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
        print(pool(yi, vi, labels=bcg.author + " " + bcg.year.astype(str)).summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
