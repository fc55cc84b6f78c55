"""The ``wf-log`` command: work with NDJSON logs from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import orjson

from .reducer import Reducer


def _reduce(args: argparse.Namespace) -> int:
    reducer = Reducer()
    for source in args.files:
        if source == "-":
            for line in sys.stdin.buffer:
                reducer.add_line(line)
        else:
            try:
                reducer.add_file(source)
            except OSError as exc:
                print(f"wf-log: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
                return 2
    data = orjson.dumps(reducer.documents(), option=orjson.OPT_INDENT_2) + b"\n"
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(args.output, "wb") as out:
            out.write(data)
    if reducer.skipped:
        print(
            f"wf-log: skipped {reducer.skipped} line(s) that were not JSON objects", file=sys.stderr
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``wf-log``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="wf-log", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    reduce_cmd = commands.add_parser(
        "reduce", help="rebuild workflow documents from NDJSON files (lines in any order)"
    )
    reduce_cmd.add_argument("files", nargs="+", help="NDJSON files; - reads standard input")
    reduce_cmd.add_argument("-o", "--output", default="-", help="output JSON file (default: -)")
    reduce_cmd.set_defaults(run=_reduce)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
