"""The redactor's fast path (``processors/_screen.py``): the same result as the walk, always."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wf_structlog import get_logger
from wf_structlog.processors._screen import Screen
from wf_structlog.processors._secret_rules import BUILTIN_RULES
from wf_structlog.processors.payloads import PayloadLimits
from wf_structlog.processors.redaction import Redactor
from wf_structlog.render.safe import MAX_NODES
from wf_structlog.testing import Capture


def _same(text: str) -> str:
    return text


def _unchanged(text: str, found: list[int]) -> str:
    return text


def _pair() -> tuple[Redactor, Redactor]:
    """A redactor, and one that always walks (functions of yours turn the fast path off; this
    one changes nothing), with limits small enough for the events below to meet them."""
    limits = PayloadLimits(max_value_chars=300, max_event_chars=900)
    return Redactor(limits=limits), Redactor(functions=[_same], limits=limits)


# What JSON escapes, what is not ASCII, and what the rules look for, to put next to each other.
PIECES = [
    *(rule.example for rule in BUILTIN_RULES),
    *(needle for rule in BUILTIN_RULES for needle in rule.needles),
    '"',
    "\\",
    "\\n",
    "\n",
    "\t",
    "\x1b",
    "\u2028",
    "é",
    "东京",
    " ",
    ".",
    "0.5",
    "Bearer\t",
    "password=",
    "://user:",
    "@host",
]
TEXTS = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=6).map("".join)
KEYS = (
    st.sampled_from(
        [
            "password",
            "api_key",
            "accessToken",
            "clientSecret",
            "input_tokens",
            "model",
            "x-api-key",
            "Authorization",
            "note",
            'a"b',
            "k\\",
            "url",
            "level",
            "timestamp",
        ]
    )
    | TEXTS
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXTS
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(st.sampled_from(["authorization", "accept", "x-api-key"]), inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)
EVENTS = st.dictionaries(KEYS, VALUES, max_size=6)


class TestSameAsTheWalk:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(EVENTS)
    @example({"note": 'say "Bearer\tmF_9.B5f-4.1JqMaB3dE5fG7hJ9" now', "n": 0.5})
    @example({"args": {"url": "postgres://app:hunter2\\horse@db/x", "x": [1.5, "sk-"]}})
    @example({"k\\": "a\\", 'q"': {'"': ["authorization", "Bearer\\nabcdefghijklmnop"]}})
    @example({"prompt": "filler " * 120, "more": "x" * 280})
    @example({"a": ["x" * 270], "b": {"c": "y" * 270}, "d": "z" * 280, "e": ["w" * 270]})
    def test_any_event(self, event: dict[str, Any]) -> None:
        """Whatever an event holds (secrets of every kind beside quotes, backslashes, control
        and non-ASCII characters; secret and plain key names; pairs; numbers of every kind;
        strings at the payload limits), the redactor gives what its walk gives, the first time
        and once its keys are known: the fast path is exactly as strict."""
        fast, walk = _pair()
        expected = walk(None, "info", copy.deepcopy(event))
        assert fast(None, "info", copy.deepcopy(event)) == expected
        assert fast(None, "info", copy.deepcopy(event)) == expected


class TestScreen:
    def _screen(self, needles: list[str]) -> Screen:
        return Screen(
            [(needle, 0) for needle in needles],
            lambda key: key == "secret",
            _same,
            lambda text, found: text.upper(),
            max_chars=None,
        )

    def test_needles_are_found_in_their_escaped_form(self) -> None:
        """A needle holding what JSON escapes (a quote, a backslash, a newline, an escape
        character) is found in a string that holds it, and that string alone is redacted."""
        screen = self._screen(['a"b', "c\\d", "e\nf", "\x1bg"])
        value = {"one": 'x a"b', "two": ["c\\d y", "e\nf"], "four": "\x1bg", "n": "ab"}
        passed = screen.container(value, MAX_NODES)
        assert passed is not None
        assert passed[0] == {"one": 'X A"B', "two": ["C\\D Y", "E\nF"], "four": "\x1bG", "n": "ab"}

    def test_an_ordinary_container_is_passed_without_the_walk(self) -> None:
        """Tool arguments with nothing to redact come back equal, as a copy, with their JSON
        size and the containers left for the rest of the event."""
        needles = [(needle, i) for i, rule in enumerate(BUILTIN_RULES) for needle in rule.needles]
        screen = Screen(needles, lambda key: False, _same, _unchanged, max_chars=None)
        arguments = {"query": {"regions": ["north", "south"], "weight": 0.5}, "limit": 20}
        passed = screen.container(arguments, MAX_NODES)
        assert passed is not None
        shown, size, nodes = passed
        assert shown == arguments
        assert shown is not arguments
        assert size == len(orjson.dumps(arguments))
        assert nodes == MAX_NODES - 3

    def test_what_the_walk_must_see_is_left_to_it(self) -> None:
        """A secret key, a value of another type, a non-finite float, a cycle, an int past
        64 bits, a string the limits may cut, more containers than the walk may visit: the
        screen answers None."""
        cyclic: list[Any] = []
        cyclic.append(cyclic)
        screen = Screen([], lambda key: key == "secret", _same, _unchanged, max_chars=50)
        for value in ({"secret": 1}, {1, 2}, float("nan"), cyclic, 2**64, "x" * 60):
            assert screen.container([value], MAX_NODES) is None
        assert screen.container([[1], [2]], 3) is None
        assert screen.container(["short"], MAX_NODES) == (["short"], 9, MAX_NODES - 1)


class TestCopies:
    def test_a_container_changed_after_the_call_is_logged_as_it_was(self, logs: Capture) -> None:
        """A dict logged, then given a secret, is kept as it was at the call: sinks get a copy
        (a queue or a document written later never sees the change)."""
        arguments: dict[str, Any] = {"query": "households", "filters": {"region": "north"}}
        get_logger().info("tool_call", arguments=arguments)
        arguments["filters"]["api_key"] = "sk-proj-" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz"
        (event,) = logs.events
        assert event["arguments"] == {"query": "households", "filters": {"region": "north"}}
        assert b"sk-proj" not in orjson.dumps(event)


class TestWholeEvents:
    def test_an_ordinary_event_is_its_own_redaction(self) -> None:
        """An event of known keys with nothing to redact comes back equal, its containers
        copies, so nothing a sink keeps can change afterwards."""
        redactor = Redactor()
        arguments = {"query": {"regions": ["north", "south"], "weight": 0.5}, "limit": 20}
        event = {"prompt": "Plan the next step. Cite sources.", "arguments": arguments}
        redactor(None, "info", copy.deepcopy(event))  # learns the keys
        shown = redactor(None, "info", copy.deepcopy(event))
        assert shown == event
        assert shown["arguments"] is not arguments

    def test_a_token_without_a_needle_of_its_own_is_found(self) -> None:
        """A Discord token (whose rule is screened by a regex, not by its needle ".") is
        redacted in a top-level string and inside a container, once the keys are known."""
        token = "MTA5ODc2NTQzMjEwOTg3NjU0.GxY2zA." + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz"[:27]
        redactor = Redactor()
        event = {"note": "ok. fine.", "args": {"text": "ok."}}
        redactor(None, "info", copy.deepcopy(event))
        shown = redactor(None, "info", {"note": f"bot {token}", "args": {"text": f"x {token}"}})
        assert token not in orjson.dumps(shown).decode()
        assert "[REDACTED:discord_bot_token]" in shown["note"]
        assert "[REDACTED:discord_bot_token]" in shown["args"]["text"]
