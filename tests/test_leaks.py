"""Tests that try to leak: secrets of every built-in kind, hidden everywhere a program puts
text, logged through every preset and sink; no byte written anywhere may hold one."""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from fake_llm_server import FakeLLMServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from otlp_receiver import OTLPReceiver
from secret_kinds import KINDS, WINDOW, Secret, every_kind
from test_secret_rules import FOUND
from test_stdlib import without_pytest_capture

import wf_structlog as wfl
from wf_structlog import get_logger, testing
from wf_structlog.processors._secret_rules import BUILTIN_RULES
from wf_structlog.reading.report import render


def test_every_built_in_kind_is_generated() -> None:
    """The leak test generates secrets of every built-in kind."""
    assert set(KINDS) == {rule.name for rule in BUILTIN_RULES}


VOCABULARY = ["please", "summarise", "the", "report", "über", "东京", "line\nbreak", "tab\t"]
# What may stand right next to a secret: never a letter or digit, which would make it part of
# a longer word (and so, by design, not a secret the rules recognise).
SEPARATORS = [" ", "\n", "\r\n", "'", '"', "=", ": ", "(", ")", ",", "\t", "`"]


def hidden_text(rng: random.Random, secret: Secret) -> str:
    """*secret* inside some prose."""
    before = " ".join(rng.choices(VOCABULARY, k=rng.randint(0, 4)))
    after = " ".join(rng.choices(VOCABULARY, k=rng.randint(0, 4)))
    return before + rng.choice(SEPARATORS) + secret.text + rng.choice(SEPARATORS) + after


@dataclasses.dataclass
class Payload:
    """A value a program passes along, holding a secret somewhere inside."""

    note: str
    items: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Case:
    secrets: list[Secret]
    texts: list[str]
    limit: int
    offsets: list[int]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """One fresh secret of every kind, and a few more of some kinds, each hidden in text."""
    rng = random.Random(draw(st.integers(0, 2**64)))  # cheap: one number drives the draws
    secrets = every_kind(rng) + [rng.choice(list(KINDS.values()))(rng) for _ in range(3)]
    texts = [hidden_text(rng, secret) for secret in secrets]
    limit = draw(st.integers(64, 400))
    offsets = [rng.randint(0, len(text)) for text in texts]
    return Case(secrets, texts, limit, offsets)


def log_everywhere(case: Case) -> None:
    """Put every text everywhere a program puts text: prompts, nested values, event names,
    keys, exception messages, bound context, scope metadata, inputs, outputs, resources,
    across the cut of a long value, and the arguments of stdlib records, with a good format
    string and a bad one."""
    log = get_logger()
    library = logging.getLogger("leaky.library")
    for i, text in enumerate(case.texts):
        # Filler of the right length puts the secret across the max_value_chars cut.
        straddling = ("filler " * case.limit)[: case.limit - case.offsets[i]] + text
        with wfl.workflow("leak", meta=text), wfl.iteration():
            with wfl.interaction("agent", input={"prompt": text}) as turn:
                bound = log.bind(context=text)
                bound.info(
                    "llm_call",
                    prompt=text,
                    nested={"a": [{"b": (text,)}], text: 1},
                    payload=Payload(text, (text, [text])),
                    long=straddling,
                )
                bound.info(text)
                wfl.add_resource(text, details={"url": text})
                wfl.add_metadata(result=text)
                try:
                    raise ValueError(f"the model said: {text}")
                except ValueError:
                    bound.exception("failed")
                with without_pytest_capture("leaky.library"):
                    library.warning("calling with %s", text)
                    library.warning("token %s %s", text)  # one argument short
                    library.warning("%(url)s", {"link": text})  # no such key
                turn.output = [text]


def leaks(written: bytes, secrets: list[Secret], ordinary: bytes = b"") -> list[tuple[str, str]]:
    """(kind, fragment) for every piece of a secret found in *written*, except pieces that are
    also in *ordinary*: what the same run writes without any secret (key names, words), where
    a generated secret may occur by chance ("interactio" is a fine Slack token body)."""
    found = []
    for secret in secrets:
        for part in secret.hidden:
            size = min(WINDOW, len(part))
            for start in range(len(part) - size + 1):
                fragment = part[start : start + size].encode()
                if fragment in written and fragment not in ordinary:
                    found.append((secret.kind, fragment.decode()))
                    break
    return found


def report_text(documents: list[dict[str, Any]]) -> bytes:
    """The HTML report of *documents*, its JSON escapes undone (so a secret holding "<" or
    "&" is still seen)."""
    html = render(documents)
    for escape, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        html = html.replace(escape, char)
    return html.encode()


def files_under(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


@pytest.fixture
def written(capfd: pytest.CaptureFixture[str]) -> Callable[[Case], bytes]:
    """Log a case through every preset and sink; return every byte written anywhere."""

    def run(case: Case) -> bytes:
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            limits: dict[str, Any] = {
                "max_value_chars": case.limit,
                "max_event_chars": case.limit * 3,
            }
            for preset in ("dev", "prod"):
                wfl.configure(
                    preset,
                    file=root / preset / "run.ndjson",
                    doc_dir=root / preset / "docs",
                    payload_files=True,
                    stdlib=True,
                    **limits,
                )
                log_everywhere(case)
                wfl.reset()
            with testing.capture(file=root / "test.ndjson", stdlib=True, **limits) as logs:
                log_everywhere(case)
                documents = logs.documents
            captured = capfd.readouterr()
            out = [
                report_text(documents),
                files_under(root),
                captured.out.encode(),
                captured.err.encode(),
                orjson.dumps([logs.events, documents]),
                repr([logs.events, documents]).encode(),
            ]
        return b"".join(out)

    return run


_ORDINARY: list[bytes] = []
MARKERS = " ".join(f"[REDACTED:{rule.name}]" for rule in BUILTIN_RULES).encode()


def visible_parts(case: Case) -> bytes:
    """What a case's texts hold besides the secrets (``Authorization: Bearer``, prose)."""
    texts = []
    for secret, text in zip(case.secrets, case.texts, strict=True):
        for part in secret.hidden:
            text = text.replace(part, "\n")
        texts.append(text)
    return "\n".join(texts).encode()


class TestNothingLeaks:
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(case=cases())
    def test_no_secret_reaches_any_output(
        self, written: Callable[[Case], bytes], case: Case
    ) -> None:
        """Fresh secrets of every kind, hidden anywhere, appear in no byte of any file (NDJSON,
        documents, payload files), of the console on stdout or stderr, of the HTML report or
        of the in-memory capture."""
        if not _ORDINARY:
            _ORDINARY.append(written(Case([], [" ".join(VOCABULARY)], case.limit, [0])))
        output = written(case)
        assert b"[REDACTED:" in output
        ordinary = _ORDINARY[0] + visible_parts(case) + MARKERS
        assert leaks(output, case.secrets, ordinary) == []

    def test_the_check_sees_a_leak(self, written: Callable[[Case], bytes]) -> None:
        """A secret no rule knows goes through the same run and check, and is found: the
        check can fail."""
        secret = Secret("unknown", "my password is Tr0ub4dor-and-3", ("Tr0ub4dor-and-3",))
        output = written(Case([secret], [secret.text], 200, [0]))
        assert ("unknown", "Tr0ub4dor-an") in leaks(output, [secret])


def removed_parts(text: str, expected: str) -> tuple[str, ...]:
    """What redaction took out of *text* to give *expected*: the text each marker stands
    for (the words between two markers are no secret)."""
    pattern = re.sub(r"\\\[REDACTED:[a-z_]+\\\]", "(.+?)", re.escape(expected))
    match = re.fullmatch(pattern, text, re.DOTALL)
    assert match is not None, (text, expected)
    return match.groups()


_CHILD = textwrap.dedent(
    """
    import json, sys
    import wf_structlog as wfl
    texts = json.loads(sys.argv[3])
    wfl.configure(sys.argv[1], file=sys.argv[2] + "/run.ndjson", doc_dir=sys.argv[2] + "/docs",
                  payload_files=True, max_value_chars=100)
    log = wfl.get_logger().bind(bound=texts)
    with wfl.workflow("w", meta=texts):
        with wfl.interaction("a", input=texts) as turn:
            for text in texts:
                log.info("call", prompt=text, long="x " * 45 + text)
                log.info(text)
            turn.output = texts
        try:
            raise ValueError(" ".join(texts))
        except ValueError:
            log.exception("failed")
    """
)


@pytest.mark.parametrize("preset", ["dev", "prod"])
def test_a_real_process_writes_no_secret(tmp_path: Path, preset: str) -> None:
    """A separate process logging every kind through the console, stdout, files, documents and
    side files writes no secret to any of them."""
    texts = [text for _, text, _ in FOUND]
    secrets = [Secret(rule, text, removed_parts(text, expected)) for rule, text, expected in FOUND]
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, preset, str(tmp_path), orjson.dumps(texts).decode()],
        capture_output=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("WF_LOG")},
    )
    assert child.returncode == 0, child.stderr
    output = child.stdout + child.stderr + files_under(tmp_path)
    assert output.count(b"[REDACTED:") >= len(FOUND)
    assert (tmp_path / "run.ndjson").stat().st_size > 0
    assert leaks(output, secrets) == []


def sdk_calls(server: FakeLLMServer, prompt: str, arguments: str, keys: list[Secret]) -> None:
    """The calls a program makes through the real SDKs, with the API keys given to the
    clients, *prompt* in messages and instructions, and a tool call (scripted by the prompt)
    whose arguments are *arguments*."""
    openai_key, anthropic_key = (k.text for k in keys)
    oai = openai.OpenAI(base_url=server.openai_url, api_key=openai_key, max_retries=0)
    claude = anthropic.Anthropic(base_url=server.url, api_key=anthropic_key)
    user: Any = [{"role": "user", "content": prompt}]
    tools: Any = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    with wfl.workflow("w"), wfl.interaction("a", input=prompt):
        oai.chat.completions.create(model="gpt-4o-mini", messages=user)
        list(oai.chat.completions.create(model="m", messages=user, stream=True))
        oai.responses.create(model="m", input=prompt, instructions=anthropic_key)
        oai.responses.create(model="m", input=f"use lookup {arguments}", tools=tools)
        claude.messages.create(model="m", max_tokens=9, messages=user, system=prompt)


def test_instrumented_calls_and_otlp_export_carry_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Keys given to the SDK clients, fresh secrets of every kind in prompts (so in the
    echoed replies too) and in a tool call's arguments reach neither the NDJSON file, nor the
    OTLP payload the collector decodes, nor stdout or stderr."""
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    keys = [KINDS["openai_key"](rng), KINDS["anthropic_key"](rng)]
    secrets = every_kind(rng)
    prompt = " | ".join(secret.text for secret in secrets)
    # Braces would end the scripted tool call: those secrets go in the prompt only.
    plain = " | ".join(s.text for s in secrets if "{" not in s.text and "}" not in s.text)
    arguments = orjson.dumps({"query": plain}).decode()
    # The anthropic SDK's own spans (2.x) ignore the suppression key: the README says to turn
    # them off when ours are on.
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        wfl.configure("prod", stdout=False, file=tmp_path / "run.ndjson", otlp=True)
        wfl.instrument()
        try:
            sdk_calls(server, prompt, arguments, keys)
        finally:
            wfl.uninstrument()
            wfl.reset()  # exports what is left
        spans = receiver.wait_for(8)
    # 3 scopes and 5 calls (what httpx logs with logging is span events, not spans)
    assert sorted(s.name for s in spans) == [
        *["chat gpt-4o-mini", "chat m", "chat m", "chat m", "chat m"],
        *["invoke_agent a", "invoke_workflow w", "iteration 1"],
    ]
    headers = {k.lower(): v for k, v in server.requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {keys[0].text}"  # the key did go through
    assert "lookup" in str(server.requests[3]["body"])  # the tool call was made
    written = (tmp_path / "run.ndjson").read_bytes()
    exported = b"".join(receiver.bodies)
    captured = capfd.readouterr()
    assert written.count(b"llm_call") == 5
    assert b"[REDACTED:openai_key]" in written
    assert b"[REDACTED:openai_key]" in exported
    every = [*keys, *secrets]
    assert leaks(written, every) == [], f"seed {seed}"
    assert leaks(exported, every) == [], f"seed {seed}"
    assert leaks((captured.out + captured.err).encode(), every) == [], f"seed {seed}"
