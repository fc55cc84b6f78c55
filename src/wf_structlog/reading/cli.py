"""The ``wf-log`` command: work with NDJSON logs from the shell.

Every command reads NDJSON files (several are merged; ``-`` reads standard input) or finished
documents. Lines that are not events are skipped and counted in one final warning.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

import orjson
from rich.console import Console

from ..render.terminal import terminal_console
from . import report, stats, tree, view
from .follow import follow
from .sources import Logs, read, stream, warn_skipped


def _console() -> Console:
    console = terminal_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPED_WIDTH  # not 80: a file or a pager has room for the tables
    return console


_PIPED_WIDTH = 120


def _reduce(args: argparse.Namespace, logs: Logs) -> int:
    data = orjson.dumps(logs.all_documents(), option=orjson.OPT_INDENT_2) + b"\n"
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(args.output, "wb") as out:
            out.write(data)
    return 0


def _view(args: argparse.Namespace, logs: Logs) -> int:
    try:
        keep = view.filter_from(args.agent, args.level, args.workflow, args.since, args.grep)
    except ValueError as exc:
        print(f"wf-log: {exc}", file=sys.stderr)
        return 2
    if not args.follow:
        view.view(logs.all_events(), sys.stdout, keep)
        return 0
    # Standard input needs no tailing: it is read as it comes, to its end.
    lines = sys.stdin.buffer if args.files == ["-"] else follow(args.files)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --follow ends
        view.view(stream(lines, logs), sys.stdout, keep)
    return 0


def _tree(args: argparse.Namespace, logs: Logs) -> int:
    _console().print(tree.render_tree(logs.all_documents(), args.depth, args.agent))
    return 0


def _stats(args: argparse.Namespace, logs: Logs) -> int:
    data = stats.compute(logs.all_documents())
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        for table in stats.tables(data):
            _console().print(table)
    return 0


def _report(args: argparse.Namespace, logs: Logs) -> int:
    html = report.render(logs.all_documents(), title=args.title)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(html)
    return 0


Command = Callable[[argparse.Namespace, Logs], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wf-log", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Command, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("files", nargs="+", help="NDJSON files or documents; - reads stdin")
        sub.set_defaults(run=run)
        return sub

    def agent_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--agent", action="append", default=[], help="only this agent (repeatable)"
        )

    reduce_cmd = command(
        "reduce", _reduce, "rebuild workflow documents from NDJSON files (lines in any order)"
    )
    reduce_cmd.add_argument("-o", "--output", default="-", help="output JSON file (default: -)")

    view_cmd = command("view", _view, "print the events as the dev console shows them")
    agent_option(view_cmd)
    view_cmd.add_argument("--level", help="only events at this level or above")
    view_cmd.add_argument("--workflow", help="only this workflow: its name or run id (prefix)")
    view_cmd.add_argument("--since", help="only events since an ISO time, or 90s, 10m, 2h, 1d ago")
    view_cmd.add_argument("--grep", help="only events whose line matches this regular expression")
    view_cmd.add_argument(
        "-f", "--follow", action="store_true", help="keep printing what is appended (Ctrl-C stops)"
    )

    tree_cmd = command("tree", _tree, "the nested tree of each run, with status, time and usage")
    agent_option(tree_cmd)
    tree_cmd.add_argument(
        "--depth",
        type=int,
        choices=sorted(tree.DEPTHS.values()),
        default=tree.DEPTHS["action"],
        help="1 workflows, 2 iterations, 3 interactions, 4 actions (default)",
    )

    stats_cmd = command("stats", _stats, "calls, errors, tokens, cost and latency per agent/model")
    stats_cmd.add_argument("--json", action="store_true", help=f"machine output ({stats.FORMAT})")

    report_cmd = command("report", _report, "one self-contained HTML file: timeline, tree, stats")
    report_cmd.add_argument("-o", "--output", required=True, help="the HTML file to write")
    report_cmd.add_argument("--title", help="the report's title (default: the workflow names)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``wf-log``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        logs = Logs() if getattr(args, "follow", False) else read(args.files)
    except OSError as exc:
        print(f"wf-log: cannot read {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        status: int = args.run(args, logs)
    finally:
        warn_skipped(logs.skipped)
    return status


if __name__ == "__main__":
    sys.exit(main())
