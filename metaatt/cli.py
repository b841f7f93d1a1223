"""The ``metaatt`` command line: run, lock, check and validate analyses.

Exit codes: 0 success; 1 ``check`` found drifted numbers or ``validate`` found bad cells;
2 a user error (bad spec, missing or malformed file, unwritable output; the message says
what and where, never a traceback); 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import MetaattError

__all__ = ["EXIT_DRIFT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and not args.no_progress and sys.stderr.isatty()


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


def _cmd_run(args: argparse.Namespace) -> int:
    from . import spec as ms

    spec = ms.load(args.spec)
    results = ms.run(spec, progress=_progress(args))
    folder = results.write(args.output, progress=_progress(args))
    if results.synthetic:
        _say(args, f"*** {ms.SYNTHETIC_NOTICE} ***")
    p = results.primary
    _say(
        args,
        f"{results.title}: {p.method} estimate {p.estimate:.4f} "
        f"[{p.ci_low:.4f}, {p.ci_high:.4f}], k = {p.k}",
    )
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _say(args, f"wrote {folder} (results.json, tables/, figures/, appendix.html, appendix.md)")
    return EXIT_OK


def _cmd_lock(args: argparse.Namespace) -> int:
    from . import spec as ms

    spec = ms.load(args.spec)
    path = ms.lock(spec, progress=_progress(args))
    count = len(ms.read_lock(path)["numbers"])
    _say(args, f"locked {count} numbers of {spec.path.name} in {path}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from . import spec as ms

    report = ms.check(args.spec, progress=_progress(args))
    stream = sys.stdout if report.ok else sys.stderr
    if not (args.quiet and report.ok):
        print(report.summary(), file=stream)
    return EXIT_OK if report.ok else EXIT_DRIFT


def _cmd_validate(args: argparse.Namespace) -> int:
    from .spec._sheet import validate_sheet_file

    report = validate_sheet_file(Path(args.sheet))
    text = report.summary()
    if not report.ok:
        print(text, file=sys.stderr)
        return EXIT_DRIFT
    _say(args, text if report.problems else text + "; no problems found")
    return EXIT_OK


def _cmd_datasets(args: argparse.Namespace) -> int:
    from .datasets import CATALOG

    for info in CATALOG.values():
        print(f"{info.name:20s} {info.title}")
        if args.sources:
            print(f"{'':20s} {info.source}")
    return EXIT_OK


def _cmd_spec_help(args: argparse.Namespace) -> int:
    from .spec import SCHEMA

    for section, keys in SCHEMA.items():
        header = "(top level)" if section == "" else f"[{section}]"
        if section == "bayes":
            header = "[[bayes]]  (one table per prior set)"
        print(header)
        for key, spec in keys.items():
            default = "" if spec.default in (None, [], {}) else f" (default {spec.default!r})"
            choices = f" one of {list(spec.choices)}" if spec.choices else ""
            print(f"  {key}: {spec.kind}{default}{choices}\n      {spec.doc}")
        print()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``metaatt`` command."""
    from . import __version__

    parser = _Parser(
        prog="metaatt",
        description="metaatt: meta-analysis with provenance (run, lock and check analyses)",
        epilog="Exit codes: 0 ok, 1 drift or bad cells, 2 user error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"metaatt {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    common.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(name: str, handler: Callable, help_: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_, description=help_, parents=[common])
        command.set_defaults(handler=handler)
        return command

    run = add("run", _cmd_run, "run an analysis spec and write every output to a folder")
    run.add_argument("spec", help="the analysis spec (TOML)")
    run.add_argument(
        "-o", "--output", required=True, help="output folder (new, empty, or an earlier output)"
    )
    add("lock", _cmd_lock, "run a spec and write its numbers to <spec>.lock.json").add_argument(
        "spec", help="the analysis spec (TOML)"
    )
    add(
        "check", _cmd_check, "re-run a spec; exit 1 naming every number that drifted from its lock"
    ).add_argument("spec", help="the analysis spec (TOML)")
    add(
        "validate", _cmd_validate, "check an extraction sheet and report every bad cell"
    ).add_argument("sheet", help="the extraction sheet (CSV)")
    datasets = add("datasets", _cmd_datasets, "list the bundled datasets")
    datasets.add_argument("--sources", action="store_true", help="print the citations too")
    add("spec-help", _cmd_spec_help, "list every section and key of an analysis spec")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metaatt`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except MetaattError as exc:
        print(f"metaatt {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the file system refused (permissions, disk full, ...)
        print(f"metaatt {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("metaatt: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: show where, ask for a report
        import traceback

        traceback.print_exc()
        print(
            f"metaatt {args.command}: internal error ({type(exc).__name__}: {exc}); this is a "
            "bug in metaatt, please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
