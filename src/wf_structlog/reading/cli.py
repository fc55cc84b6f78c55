"""The ``wf-log`` command: work with NDJSON logs from the shell.

Every command reads NDJSON files (several are merged; ``-`` reads standard input) or finished
documents. Lines that are not events are skipped and counted in one final warning.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import orjson
from rich.console import Console

from .._files import open_private, write_all
from ..render.terminal import terminal_console
from . import diff, report, sources, stats, tree, view
from ._pick import MAX_RUNS, REPORT_NODES
from .follow import follow
from .sources import Logs, read, stream, warn_skipped

DESCRIPTION: Final = (
    "Work with wf-structlog NDJSON logs from the shell. Every command reads NDJSON files "
    "(several are merged; - reads standard input) or finished documents. Lines that are "
    "not events are skipped and counted in one final warning."
)
"""The ``--help`` text: plain, where the module's docstring is reStructuredText."""

NOT_FOUND: Final = 1
"""The exit status when there is nothing to show: no events, or none the filters keep."""

BAD_USAGE: Final = 2


def _say(message: str) -> None:
    print(f"wf-log: {message}", file=sys.stderr)


def _console() -> Console:
    console = terminal_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPED_WIDTH  # not 80: a file or a pager has room for the tables
    return console


_PIPED_WIDTH = 120


def _runs(args: argparse.Namespace, logs: Logs) -> Iterator[dict[str, Any]] | None:
    """The documents of the sources as a stream, or ``None`` (said) if they hold no event."""
    documents = sources.documents(args.files, logs)
    first = next(documents, None)
    if first is None:
        if not logs.found:
            _say(f"no events found in {' '.join(args.files)}")
            return None
        return iter(())
    return itertools.chain((first,), documents)


def _reduce(args: argparse.Namespace, logs: Logs) -> int:
    documents = _runs(args, logs)
    if documents is None:
        return NOT_FOUND
    with _output(args.output) as write:
        separator = b"[\n  "
        for document in documents:
            # The layout of the whole list dumped with OPT_INDENT_2, a document at a time: a
            # list of the one document dumped so is that layout, written without its "[\n  "
            # and "\n]" through a memoryview (no copy, where re-indenting cost a pass).
            text = memoryview(orjson.dumps([document], option=orjson.OPT_INDENT_2))[4:-2]
            write(separator)
            write(text)
            separator = b",\n  "
        write(b"[]\n" if separator == b"[\n  " else b"\n]\n")
    return 0


@contextlib.contextmanager
def _output(path: str) -> Iterator[Callable[[bytes | memoryview], object]]:
    """A function writing to *path* (``-``: standard output), a new file private (see
    :func:`_write_output`)."""
    if path == "-":
        yield sys.stdout.buffer.write
        return
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    try:
        yield lambda data: write_all(fd, data)
    finally:
        os.close(fd)


def _view(args: argparse.Namespace, logs: Logs) -> int:
    keep = view.filter_from(args.agent, args.level, args.workflow, args.since, args.grep)
    if not args.follow:
        if view.view_sources(args.files, logs, sys.stdout, keep) == 0:
            if not logs.found:
                _say(f"no events found in {' '.join(args.files)}")
            else:
                _say(f"no events match the filters (of {logs.found} read)")
            return NOT_FOUND
        return 0
    # Standard input needs no tailing: it is read as it comes, to its end.
    lines = sys.stdin.buffer if args.files == ["-"] else follow(args.files)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --follow ends
        view.view(stream(lines, logs), sys.stdout, keep)
    return 0


def _tree(args: argparse.Namespace, logs: Logs) -> int:
    documents = _runs(args, logs)
    if documents is None:
        return NOT_FOUND
    if args.agent:
        documents = _from_first_with(documents, set(args.agent))
        if documents is None:
            _say(f"no interactions of agent {', '.join(map(repr, args.agent))} in these runs")
            return NOT_FOUND
    console = _console()
    if not console.is_terminal:  # no styles to write: plain lines, without rich
        write = sys.stdout.write
        for text in tree.plain_runs(documents, args.depth, args.agent):  # a run at a time
            write(text)
        return 0
    for piece in tree.render_runs(documents, args.depth, args.agent):
        console.print(piece)
    return 0


def _from_first_with(
    documents: Iterator[dict[str, Any]], agents: set[str]
) -> Iterator[dict[str, Any]] | None:
    """*documents*, read on until one has an interaction of *agents* (``None`` if none has),
    so that nothing is printed for a filter that matches nothing."""
    before: list[dict[str, Any]] = []
    for document in documents:
        before.append(document)
        if agents & _agents([document]):
            return itertools.chain(before, documents)
    return None


def _agents(documents: Iterable[dict[str, Any]]) -> set[str]:
    return {
        interaction["agent"]
        for document in documents
        for iteration in document["iterations"]
        for interaction in iteration["interactions"]
    }


def _stats(args: argparse.Namespace, logs: Logs) -> int:
    documents = _runs(args, logs)
    if documents is None:
        return NOT_FOUND
    data = stats.compute(documents)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        for table in stats.tables(data):
            _console().print(table)
    return 0


def _report(args: argparse.Namespace, logs: Logs) -> int:
    documents = _runs(args, logs)
    if documents is None:
        return NOT_FOUND
    baseline = None
    if args.baseline is not None:
        baseline = _side(args.baseline, logs)
        if baseline is None:
            return NOT_FOUND
    try:
        html = report.render(
            documents, args.title, baseline, max_runs=args.max_runs, runs=args.runs
        )
    except LookupError as exc:
        _say(str(exc))
        return NOT_FOUND
    _write_output(args.output, html.encode())
    return 0


def _side(path: str, logs: Logs) -> list[dict[str, Any]] | None:
    """The documents of one side of a comparison, its skipped lines counted in *logs*; ``None``
    (said on stderr) when it holds no events."""
    side = read([path])
    logs.skips.extend(side.skips)
    if not (side.events or side.documents):
        _say(f"no events found in {path}")
        return None
    documents = side.all_documents()
    logs.cycles += side.cycles
    return documents


def _diff(args: argparse.Namespace, logs: Logs) -> int:
    try:
        rules = [diff.parse_rule(text) for text in args.fail_on]
    except ValueError as exc:
        _say(str(exc))
        return BAD_USAGE
    a, b = _side(args.a, logs), _side(args.b, logs)
    if a is None or b is None:
        return NOT_FOUND
    data = diff.compare(a, b)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _console().print(diff.render(data))
    broken = diff.exceeded(data, rules)
    for reason in broken:
        _say(f"--fail-on: {reason}")
    return 1 if broken else 0


def _write_output(path: str, data: bytes) -> None:
    """Write *path* as ``open(path, "wb")`` would, but a new file is private: it holds every
    prompt and response of the run."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


Command = Callable[[argparse.Namespace, Logs], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wf-log", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Command, text: str, files: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        if files:
            sub.add_argument("files", nargs="+", help="NDJSON files or documents; - reads stdin")
        else:
            sub.set_defaults(files=[])
        sub.add_argument(
            "-v", "--verbose", action="store_true", help="name every line skipped, and why"
        )
        sub.set_defaults(run=run)
        return sub

    reduce_cmd = command(
        "reduce", _reduce, "rebuild workflow documents from NDJSON files (lines in any order)"
    )
    reduce_cmd.add_argument("-o", "--output", default="-", help="output JSON file (default: -)")
    view_cmd = command("view", _view, "print the events as the dev console shows them")
    _view_options(view_cmd)
    view_cmd.add_argument(
        "-f", "--follow", action="store_true", help="keep printing what is appended (Ctrl-C stops)"
    )
    follow_cmd = command("follow", _view, "view -f: print the events, then what is appended")
    _view_options(follow_cmd)
    follow_cmd.set_defaults(follow=True)
    tree_text = "the nested tree of each run, with status, time and usage"
    _tree_options(command("tree", _tree, tree_text))
    stats_cmd = command("stats", _stats, "calls, errors, tokens, cost and latency per agent/model")
    stats_cmd.add_argument("--json", action="store_true", help=f"machine output ({stats.FORMAT})")
    diff_text = "what moved from run A to run B: cost, tokens, calls, errors"
    _diff_options(command("diff", _diff, diff_text, files=False))
    report_text = "one self-contained HTML file: timeline, tree, stats"
    _report_options(command("report", _report, report_text))
    return parser


def _agent_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--agent", action="append", default=[], help="only this agent (repeatable)")


def _view_options(sub: argparse.ArgumentParser) -> None:
    _agent_option(sub)
    sub.add_argument(
        "--level", type=_checked("level", str.lower), help="only events at this level or above"
    )
    sub.add_argument("--workflow", help="only this workflow: its name or run id (prefix)")
    sub.add_argument(
        "--since",
        type=_checked("since"),
        help="only events since an ISO time, or 90s, 10m, 2h, 1d ago",
    )
    sub.add_argument(
        "--grep",
        type=_checked("grep"),
        help="only events whose line matches this regular expression",
    )


def _tree_options(sub: argparse.ArgumentParser) -> None:
    _agent_option(sub)
    sub.add_argument(
        "--depth",
        type=int,
        choices=sorted(tree.DEPTHS.values()),
        default=tree.DEPTHS["action"],
        help="1 workflows, 2 iterations, 3 interactions, 4 actions (default)",
    )


def _report_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--output", required=True, help="the HTML file to write")
    sub.add_argument("--title", help="the report's title (default: the workflow names)")
    sub.add_argument(
        "--baseline",
        metavar="BASE",
        help="earlier runs (NDJSON or documents): a section says what moved from them, "
        "as wf-log diff BASE FILE does",
    )
    sub.add_argument(
        "--max-runs",
        type=_positive,
        default=MAX_RUNS,
        metavar="N",
        help=f"show at most N runs in full (default {MAX_RUNS}; together at most "
        f"{REPORT_NODES:,} nodes): those that failed, then the dearest, then the latest; "
        "every run is listed in the page's index",
    )
    sub.add_argument(
        "--run",
        dest="runs",
        action="append",
        default=[],
        metavar="ID",
        help="show in full the runs whose id starts with ID, instead (repeatable)",
    )


def _diff_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("a", help="the baseline: an NDJSON file or documents")
    sub.add_argument("b", help="the change: an NDJSON file or documents")
    sub.add_argument("--json", action="store_true", help=f"machine output ({diff.FORMAT})")
    sub.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="RULE",
        help="exit 1 if B breaks RULE: cost+10%%, tokens+500, calls+0, errors, diverged "
        "(repeatable)",
    )


def _checked(option: str, normal: Callable[[str], str] = str) -> Callable[[str], str]:
    """An argparse ``type`` that checks a filter option as :func:`view.filter_from` will, so
    a bad value is a usage error before any file is read."""

    def check(text: str) -> str:
        text = normal(text)
        try:
            view.filter_from(**{option: text})
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return check


def _positive(text: str) -> int:
    """An argparse ``type``: a whole number of at least 1."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _version() -> str:
    try:
        return importlib.metadata.version("wf-structlog")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown"


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request, if this is one (``pip install
    'wf-structlog[completion]'``, then ``eval "$(register-python-argcomplete wf-log)"``)."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    with contextlib.suppress(ImportError):
        import argcomplete

        argcomplete.autocomplete(parser)  # exits when it has answered


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``wf-log``; returns the exit status."""
    parser = _parser()
    _complete(parser)
    args = parser.parse_args(argv)
    following = getattr(args, "follow", False)
    logs = Logs(progress=Console(stderr=True))
    try:
        for path in args.files:  # every input readable before any output is made
            if path != sources.STDIN and not (following and not os.path.lexists(path)):
                open(path, "rb").close()  # (--follow waits for a file not yet written)
    except OSError as exc:
        _say(f"cannot read {exc.filename}: {exc.strerror or exc}")
        return BAD_USAGE
    try:
        status: int = args.run(args, logs)
    except OSError as exc:  # an input that went away, or an output that cannot be written
        inputs = [*args.files, getattr(args, "baseline", None)]
        verb = "read" if exc.filename in inputs and not following else "write"
        _say(f"cannot {verb} {exc.filename}: {exc.strerror or exc}")
        return BAD_USAGE
    finally:
        warn_skipped(logs, args.verbose)
    return status


if __name__ == "__main__":
    sys.exit(main())
