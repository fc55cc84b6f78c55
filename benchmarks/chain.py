"""Targets 1 and 2 of issue 7: the speed of the ``prod`` chain, and of a call that writes nothing.

1. Events per second of the full ``prod`` chain into an NDJSON file, inside an open workflow /
   iteration / interaction, next to peers writing the same event into a file in the same run:
   structlog's recommended production configuration (target: at least 1.0x), the standard
   library with python-json-logger (2x) and loguru with ``serialize=True`` (4x). The same on
   issue 18's realistic agent event (a 300-character prompt, a 500-character response, token
   counts, nested tool arguments: about 1.5 KB a line): 1.0x structlog, 3x python-json-logger,
   5x loguru, and for information the OpenTelemetry SDK and the limit (orjson and os.write).
   Also the cost of redaction on that event (the ``prod`` redactor against the walk that only
   makes values safe; at most 3x), to tell where the chain's time goes.
2. The cost of a call when nothing is written (logging off, or below the level), next to a
   plain no-op function called with the same arguments: at most 1.1x.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import os
import statistics
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any, Final

import peers
import structlog
from common import (
    PROMPT,
    RESPONSE,
    LoggerLike,
    Plan,
    Result,
    check_lines,
    log_agent_events,
    log_events,
    rounds,
    structlog_prod_logger,
)

import wf_structlog
from wf_structlog.config import build_chain, resolve
from wf_structlog.processors import RedactThenStamp
from wf_structlog.render.safe import safe_values
from wf_structlog.typing import EventDict, Processor


def noop(event: str, **kw: Any) -> None:
    """The floor a filtered-out call is compared with: a function that does nothing."""
    return None


# -- timed loops ---------------------------------------------------------------------------
# Each loop has its call written out, as a user writes it, so the measurement includes the
# attribute lookup and argument passing a real call pays. itertools.repeat is the cheapest loop.


def _info_calls(log: LoggerLike, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _debug_calls(log: LoggerLike, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.debug("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _noop_calls(fn: Callable[..., None], n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        fn("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _empty_loop(n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        pass
    return perf_counter_ns() - start


# -- 1. events per second into a file ------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """An event of target 1, as each logger's user writes it."""

    name: str
    log: Callable[[LoggerLike, int], int]
    """The loop for wf_structlog, structlog and loguru (:func:`common.log_events`)."""
    stdlib: Callable[[logging.Logger, int], int]
    """The same loop for the standard library (the keys in ``extra``)."""


SHORT: Final = Workload("short event", log_events, peers.stdlib_events)
AGENT: Final = Workload("agent event", log_agent_events, peers.stdlib_agent_events)
"""Issue 18's realistic event: prompt, response, token counts, nested tool arguments."""

Factory = Callable[[Path, dict[str, Any], ExitStack, Workload], Callable[[int], int]]
"""Makes a peer's timed run from its file, the scope's keys, the stack and the workload."""


def _ours(
    path: Path, stack: ExitStack, workload: Workload
) -> tuple[Callable[[int], int], dict[str, Any]]:
    """The ``prod`` preset writing *path*, inside a workflow / iteration / interaction left
    open on *stack*; and the keys the interaction stamps."""
    wf_structlog.configure(preset="prod", stdout=False, file=path)
    stack.callback(wf_structlog.reset)
    log = wf_structlog.get_logger().bind(agent="planner")
    stack.enter_context(wf_structlog.workflow("bench"))
    stack.enter_context(wf_structlog.iteration())
    turn = stack.enter_context(wf_structlog.interaction("planner"))

    def run(n: int) -> int:
        os.truncate(path, 0)  # O_APPEND: the next write lands at the new end
        took = workload.log(log, n)
        check_lines(path, n, "wf_structlog")
        return took

    return run, dict(turn.stamp)


def _structlog(
    path: Path, stamp: dict[str, Any], stack: ExitStack, workload: Workload
) -> Callable[[int], int]:
    """structlog's production setup; it binds the keys our interaction stamps with
    ``bind_contextvars``, structlog's own way to carry context, so both write the same keys
    (ours adds ``seq`` and ``pid``).

    It binds them in a copy of the context: structlog unbinds a variable by setting it to
    ``...``, which stays in the context, and every later ``merge_contextvars`` (ours included)
    would walk it.
    """
    file = stack.enter_context(path.open("wb"))
    stack.callback(structlog.reset_defaults)
    log = structlog_prod_logger(file)

    def bound(n: int) -> int:
        structlog.contextvars.bind_contextvars(**stamp)
        return workload.log(log, n)

    def run(n: int) -> int:
        file.seek(0)
        file.truncate()
        took = contextvars.copy_context().run(bound, n)
        check_lines(path, n, "structlog")
        return took

    return run


def _stdlib(
    path: Path, stamp: dict[str, Any], stack: ExitStack, workload: Workload
) -> Callable[[int], int]:
    """The standard library with python-json-logger, the stamp added by a filter."""
    log, handler = peers.stdlib_json_logger(path, {**stamp, "agent": "planner"})
    stack.callback(log.removeHandler, handler)
    stack.callback(handler.close)
    stream = handler.stream
    assert stream is not None  # opened at once: the handler was not made with delay=True

    def run(n: int) -> int:
        stream.seek(0)
        stream.truncate()
        took = workload.stdlib(log, n)
        check_lines(path, n, "stdlib + python-json-logger")
        return took

    return run


def _loguru(
    path: Path, stamp: dict[str, Any], stack: ExitStack, workload: Workload
) -> Callable[[int], int]:
    """loguru with ``serialize=True``, the stamp bound."""
    log, sink = peers.loguru_file_logger(path, {**stamp, "agent": "planner"})
    stack.callback(peers.remove_loguru_sink, sink)

    def run(n: int) -> int:
        os.truncate(path, 0)  # loguru appends: the next write lands at the new end
        took = workload.log(log, n)
        check_lines(path, n, "loguru")
        return took

    return run


def _otel(
    path: Path, stamp: dict[str, Any], stack: ExitStack, workload: Workload
) -> Callable[[int], int]:
    """The OpenTelemetry SDK: a span per interaction, a span event per action, exported by a
    ``BatchSpanProcessor`` to a file; each round ends when every span is in the file."""
    file = stack.enter_context(path.open("w", encoding="utf-8"))
    tracer, provider = peers.otel_tracer(file, queue_size=1_000_000)
    stack.callback(provider.shutdown)
    attributes = {**stamp, "agent": "planner"}

    def run(n: int) -> int:
        file.seek(0)
        file.truncate()
        start = perf_counter_ns()
        peers.otel_agent_events(tracer, attributes, n)
        provider.force_flush()
        took = perf_counter_ns() - start
        file.flush()
        check_lines(path, n // peers.ACTIONS_PER_INTERACTION, "OpenTelemetry SDK")
        return took

    return run


def _limit(
    path: Path, stamp: dict[str, Any], stack: ExitStack, workload: Workload
) -> Callable[[int], int]:
    """``orjson.dumps`` and one ``os.write`` per event: what no logger can beat."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    stack.callback(os.close, fd)
    fields = {**stamp, "agent": "planner"}

    def run(n: int) -> int:
        os.truncate(path, 0)
        took = peers.limit_agent_events(fd, fields, n)
        check_lines(path, n, "orjson + os.write")
        return took

    return run


PEERS: Final[tuple[tuple[str, Factory, float | None], ...]] = (
    ("structlog prod config", _structlog, 1.0),
    ("stdlib + python-json-logger", _stdlib, 2.0),
    ("loguru serialize=True", _loguru, 4.0),
)
"""Each peer of target 1 on the short event: its name, its factory, the least ratio of ours
to it."""

AGENT_PEERS: Final[tuple[tuple[str, Factory, float | None], ...]] = (
    ("structlog prod config", _structlog, 1.0),
    ("stdlib + python-json-logger", _stdlib, 3.0),
    ("loguru serialize=True", _loguru, 5.0),
    ("OTel SDK span+events", _otel, None),
    ("orjson+os.write, the limit", _limit, None),
)
"""Each peer of target 1 on the agent event (issue 18); OpenTelemetry and the limit are
information, not targets."""


def bench_file(
    plan: Plan,
    tmp: Path,
    workload: Workload = SHORT,
    peer_table: tuple[tuple[str, Factory, float | None], ...] = PEERS,
) -> list[Result]:
    """Events per second of the ``prod`` chain into a file, and of each peer, taking turns."""
    with ExitStack() as stack:
        ours, stamp = _ours(tmp / "ours.ndjson", stack, workload)
        peer_runs = [
            make(tmp / f"peer-{i}.log", stamp, stack, workload)
            for i, (_, make, _) in enumerate(peer_table)
        ]
        runs = [ours, *peer_runs]
        # Warm up: caches fill, files exist, structlog caches its logger on first use.
        rounds([functools.partial(run, 100) for run in runs], 1)
        samples = rounds([functools.partial(run, plan.events) for run in runs], plan.rounds)
    # Median, not best: writing to a file has real variance, and it is part of the cost.
    ours_rate, *peer_rates = (plan.events * 1e9 / statistics.median(ns) for ns in samples)
    label = "1. prod chain -> file" if workload is SHORT else f"1. {workload.name} -> file"
    return [
        Result(f"{label} (vs {name})", ours_rate, rate, "ev/s", target, True)
        for (name, _, target), rate in zip(peer_table, peer_rates, strict=True)
    ]


def bench_agent_file(plan: Plan, tmp: Path) -> list[Result]:
    """:func:`bench_file` on issue 18's realistic agent event, against :data:`AGENT_PEERS`."""
    return bench_file(plan, tmp, AGENT, AGENT_PEERS)


# -- 2. the cost of redaction ---------------------------------------------------------------


def _process(processor: Processor, event: EventDict, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        processor(None, "info", dict(event))
    return perf_counter_ns() - start


def bench_redaction(plan: Plan) -> Result:
    """Nanoseconds per event of the ``prod`` redactor, and of ``safe_values`` alone.

    The event is the one :func:`bench_file` writes, as it reaches the last processor: no
    secret in it, so this is what every ordinary event pays. Best of the rounds, as for calls.
    """
    last = build_chain(resolve("prod", {}))[-1]
    # Without processors of the user's the chain ends in RedactThenStamp; measure its redactor.
    redactor = last.redactor if isinstance(last, RedactThenStamp) else last
    event: EventDict = {
        "agent": "planner",
        "model": "m-1",
        "prompt": PROMPT,
        "response": RESPONSE,
        "input_tokens": 12,
        "output_tokens": 40,
        "event": "llm_call",
        "workflow": "bench",
        "workflow_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "iteration": 1,
        "iteration_id": "00f067aa0ba902b7",
        "interaction_id": "b9c7c989f97918e1",
        "span_id": "b9c7c989f97918e1",
        "timestamp": "2026-11-25T06:41:52.123456Z",
        "level": "info",
        "seq": 1,
        "pid": 4242,
    }
    assert redactor(None, "info", dict(event)) == event  # nothing to redact, nothing lost
    ours, peer = rounds(
        [
            lambda: _process(redactor, event, plan.events),
            lambda: _process(safe_values, event, plan.events),
        ],
        plan.rounds,
    )
    return Result(
        name="1. prod redactor per event (vs safe_values)",
        ours=min(ours) / plan.events,
        peer=min(peer) / plan.events,
        unit="ns",
        target=3.0,
        higher_is_better=False,
    )


# -- 3. the cost of a call that writes nothing ---------------------------------------------


def _per_call(name: str, call: Callable[[int], int], plan: Plan) -> Result:
    """Nanoseconds per *call* and per no-op call, net of the loop itself.

    Subtracting the empty loop makes the ratio compare the calls alone (a loop's overhead would
    flatter the ratio). Best of the rounds: with no I/O, slower rounds are interference.
    """
    calls, noops, empty = rounds(
        [
            lambda: call(plan.calls),
            lambda: _noop_calls(noop, plan.calls),
            lambda: _empty_loop(plan.calls),
        ],
        plan.rounds,
    )
    loop = min(empty)
    return Result(
        name=name,
        ours=max(min(calls) - loop, 0) / plan.calls,
        peer=max(min(noops) - loop, 0) / plan.calls,
        unit="ns",
        target=1.1,
        higher_is_better=False,
    )


def bench_off(plan: Plan) -> Result:
    """``log.info`` with ``WORKFLOW_LOGGING=false``, against the no-op function."""
    os.environ["WORKFLOW_LOGGING"] = "false"
    try:
        wf_structlog.configure(preset="prod", stdout=False)
    finally:
        del os.environ["WORKFLOW_LOGGING"]
    log = wf_structlog.get_logger().bind(agent="planner")
    try:
        return _per_call("2. logging off: log.info (vs no-op)", lambda n: _info_calls(log, n), plan)
    finally:
        wf_structlog.reset()


def bench_below_level(plan: Plan) -> Result:
    """``log.debug`` under the ``prod`` preset (level info), against the no-op function."""
    wf_structlog.configure(preset="prod", stdout=False)
    log = wf_structlog.get_logger().bind(agent="planner")
    try:
        return _per_call(
            "2. below level: log.debug (vs no-op)", lambda n: _debug_calls(log, n), plan
        )
    finally:
        wf_structlog.reset()
