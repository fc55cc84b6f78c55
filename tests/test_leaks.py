"""Tests that try to leak: secrets of every built-in kind, hidden everywhere a program puts
text, logged through every preset and sink; no byte written anywhere may hold one."""

from __future__ import annotations

import dataclasses
import itertools
import os
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
from test_secret_rules import FOUND

import wf_structlog as wfl
from wf_structlog import get_logger, testing
from wf_structlog.processors._secret_rules import BUILTIN_RULES

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"
URL_PASSWORD = ALNUM + "!$&'()*+,;=%._~-@:"  # what a URL password may hold, "@" and ":" too
WINDOW = 12
"""No run of this many characters of a secret may appear: a cut secret is a leak too."""


@dataclasses.dataclass(frozen=True)
class Secret:
    """A secret as it is written into text, and the parts of it that must never appear."""

    kind: str
    text: str
    hidden: tuple[str, ...]


def _body(alphabet: str, low: int, high: int, *, needs: str = "") -> st.SearchStrategy[str]:
    """Random-looking text: at least four distinct characters (secrets are random, and a
    degenerate one like "aaaa" could occur elsewhere by chance), holding one of *needs*.
    Every part checked is at least WINDOW long, for the same reason."""
    return st.text(alphabet, min_size=low, max_size=high).filter(
        lambda s: len(set(s)) >= 4 and (not needs or any(c in needs for c in s))
    )


def _plain(kind: str, prefix: st.SearchStrategy[str], body: st.SearchStrategy[str]) -> Any:
    return st.builds(lambda p, b: Secret(kind, p + b, (b,)), prefix, body)


def _jwt(header: str, payload: str, signature: str) -> Secret:
    token = f"eyJ{header}.{payload}.{signature}"
    return Secret("json_web_token", token, (header, payload, *((signature,) if signature else ())))


def _pem(label: str, lines: list[str]) -> Secret:
    block = f"-----BEGIN {label}PRIVATE KEY-----\n" + "\n".join(lines)
    return Secret("pem_private_key", block + f"\n-----END {label}PRIVATE KEY-----", tuple(lines))


def _url(scheme: str, user: str, password: str, host: str) -> Secret:
    return Secret("url_password", f"{scheme}://{user}:{password}@{host}/db", (password,))


def _bearer(word: str, token: str, padding: str) -> Secret:
    return Secret("bearer_token", f"{word} {token}{padding}", (token,))


SECRETS: dict[str, st.SearchStrategy[Secret]] = {
    "openai_key": _plain(
        "openai_key",
        st.sampled_from(["sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"]),
        _body(URLSAFE, 20, 80, needs=UPPER_DIGITS),
    ),
    "anthropic_key": _plain(
        "anthropic_key",
        st.sampled_from(["sk-ant-api03-", "sk-ant-admin01-"]),
        _body(URLSAFE, 20, 95),
    ),
    "aws_access_key_id": _plain(
        "aws_access_key_id", st.sampled_from(["AKIA", "ASIA"]), _body(UPPER_DIGITS, 16, 16)
    ),
    "github_token": st.one_of(
        _plain(
            "github_token",
            st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
            _body(ALNUM, 36, 40),
        ),
        _plain("github_token", st.just("github_pat_"), _body(ALNUM + "_", 22, 82)),
    ),
    "slack_token": _plain(
        "slack_token",
        st.sampled_from(["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"]),
        _body(ALNUM + "-", WINDOW, 60),
    ),
    "huggingface_token": _plain(
        "huggingface_token",
        st.just("hf_"),
        _body(ALNUM[:52], 30, 40, needs=UPPER_DIGITS[:26]),
    ),
    "stripe_live_key": _plain(
        "stripe_live_key", st.sampled_from(["sk_live_", "rk_live_"]), _body(ALNUM, 16, 99)
    ),
    "google_api_key": _plain("google_api_key", st.just("AIza"), _body(URLSAFE, 35, 35)),
    "json_web_token": st.builds(
        _jwt,
        _body(URLSAFE, WINDOW, 40),
        _body(URLSAFE, WINDOW, 80),
        _body(URLSAFE, WINDOW, 43) | st.just(""),
    ),
    "bearer_token": st.builds(
        _bearer,
        st.sampled_from(["Bearer", "bearer", "Authorization: Bearer"]),
        _body(ALNUM + "-._~+/", 12, 80),
        st.sampled_from(["", "=", "=="]),
    ),
    "pem_private_key": st.builds(
        _pem,
        st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]),
        st.lists(_body(B64, WINDOW, 64), min_size=1, max_size=4),
    ),
    "url_password": st.builds(
        _url,
        st.sampled_from(["https", "postgres", "redis", "amqp+ssl"]),
        st.text(ALNUM + "._-", max_size=12),
        _body(URL_PASSWORD, WINDOW, 40),
        st.sampled_from(["db.internal:5432", "example.com", "10.0.0.7"]),
    ),
}


def test_every_built_in_kind_is_generated() -> None:
    """The leak test generates secrets of every built-in kind."""
    assert set(SECRETS) == {rule.name for rule in BUILTIN_RULES}


VOCABULARY = ["please", "summarise", "the", "report", "über", "东京", "line\nbreak", "tab\t"]
WORDS = st.lists(st.sampled_from(VOCABULARY), max_size=6).map(" ".join)
# What may stand right next to a secret: never a letter or digit, which would make it part of
# a longer word (and so, by design, not a secret the rules recognise).
SEPARATORS = st.sampled_from([" ", "\n", "\r\n", "'", '"', "=", ": ", "(", ")", ",", "\t", "`"])


@st.composite
def hidden_text(draw: st.DrawFn, secret: Secret) -> str:
    """*secret* inside some prose."""
    return draw(WORDS) + draw(SEPARATORS) + secret.text + draw(SEPARATORS) + draw(WORDS)


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
    """One secret of every kind, or several of some kinds, each hidden in text."""
    kinds = draw(st.lists(st.sampled_from(sorted(SECRETS)), min_size=len(SECRETS), max_size=16))
    secrets = [draw(SECRETS[kind]) for kind in sorted(SECRETS) + kinds[len(SECRETS) :]]
    texts = [draw(hidden_text(secret)) for secret in secrets]
    limit = draw(st.integers(64, 400))
    offsets = [draw(st.integers(0, len(text))) for text in texts]
    return Case(secrets, texts, limit, offsets)


def log_everywhere(case: Case) -> None:
    """Put every text everywhere a program puts text: prompts, nested values, event names,
    keys, exception messages, bound context, scope metadata, inputs, outputs, resources, and
    across the cut of a long value."""
    log = get_logger()
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
                    **limits,
                )
                log_everywhere(case)
                wfl.reset()
            with testing.capture(file=root / "test.ndjson", **limits) as logs:
                log_everywhere(case)
                documents = logs.documents
            captured = capfd.readouterr()
            out = [
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
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(case=cases())
    def test_no_secret_reaches_any_output(
        self, written: Callable[[Case], bytes], case: Case
    ) -> None:
        """Secrets of every kind, hidden anywhere, appear in no byte of any file, of stdout or
        stderr, of the documents or of the in-memory capture."""
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


def removed_part(text: str, expected: str) -> str:
    """What redaction took out of *text* to give *expected*."""

    def common(a: str, b: str) -> int:
        same = itertools.takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False))
        return sum(1 for _ in same)

    start = common(text, expected)
    return text[start : len(text) - common(text[start:][::-1], expected[start:][::-1])]


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
                log.info("call", prompt=text, long="x" * 90 + text)
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
    secrets = [
        Secret(rule, text, (removed_part(text, expected),)) for rule, text, expected in FOUND
    ]
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


def test_instrumented_calls_and_otlp_export_carry_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys given to the SDK clients and secrets inside prompts (so inside the echoed replies
    too) reach neither the NDJSON file nor the OTLP payload the collector decodes."""
    openai_key = "sk-proj-" + "Qx7vR2mZ9kLp4TnW8yBc3HdF6gJs1AeU5oXi0Ml"
    anthropic_key = "sk-ant-api03-" + "Zr8Kq2Wm5Xn7Bv4Tc9Ly3Hs6Jd1Pf0Ga"
    bearer = "Kd93mQz7Rt2Xw8Ln5Vb1Yc6Hs4Jf0Pa"
    prompt = f"deploy with {openai_key} and Authorization: Bearer {bearer}"
    # The anthropic SDK's own spans (2.x) ignore the suppression key: the README says to turn
    # them off when ours are on.
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        wfl.configure("prod", stdout=False, file=tmp_path / "run.ndjson", otlp=True)
        wfl.instrument()
        try:
            oai = openai.OpenAI(base_url=server.openai_url, api_key=openai_key, max_retries=0)
            claude = anthropic.Anthropic(base_url=server.url, api_key=anthropic_key)
            user: Any = [{"role": "user", "content": prompt}]
            with wfl.workflow("w"), wfl.interaction("a", input=prompt):
                oai.chat.completions.create(model="gpt-4o-mini", messages=user)
                list(oai.chat.completions.create(model="m", messages=user, stream=True))
                oai.responses.create(model="m", input=prompt, instructions=anthropic_key)
                claude.messages.create(model="m", max_tokens=9, messages=user, system=prompt)
        finally:
            wfl.uninstrument()
            wfl.reset()  # exports what is left
        spans = receiver.wait_for(7)
    # 3 scopes and 4 calls (what httpx logs with logging is span events, not spans)
    assert sorted(s.name for s in spans) == [
        *["chat gpt-4o-mini", "chat m", "chat m", "chat m"],
        *["invoke_agent a", "invoke_workflow w", "iteration 1"],
    ]
    headers = {k.lower(): v for k, v in server.requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {openai_key}"  # the key did go through
    secrets = [
        Secret("openai_key", openai_key, (openai_key[3:],)),
        Secret("anthropic_key", anthropic_key, (anthropic_key[7:],)),
        Secret("bearer_token", bearer, (bearer,)),
    ]
    written = (tmp_path / "run.ndjson").read_bytes()
    assert written.count(b"llm_call") == 4
    assert b"[REDACTED:openai_key]" in written
    assert b"[REDACTED:openai_key]" in b"".join(receiver.bodies)
    assert leaks(written, secrets) == []
    assert leaks(b"".join(receiver.bodies), secrets) == []
