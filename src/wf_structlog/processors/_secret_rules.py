"""The built-in rules that find secrets inside text, and the quick test that skips most text.

Each rule is a compiled regex plus the literal *needles* one of which every match contains.
Checking ``needle in text`` (a C substring search) is far cheaper than running a regex, so a
string is only searched by the rules whose needles it holds. Needles are grouped under a
*gate* character that every one of them contains (``-``, ``_``, ...): one ``memchr`` for the
gate skips the whole group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class Rule:
    """A kind of secret found inside text.

    Args:
        name: shown in the replacement (``[REDACTED:<name>]``) and used to turn the rule off.
        pattern: the regex. When it has a group named ``secret`` only that group is replaced
            (``Bearer [REDACTED:bearer_token]``), otherwise the whole match is.
        needles: literal strings, one of which every match contains; with none, the rule runs
            on every string.
        example: a made-up text holding a secret of this kind, for the docs and the tests.
    """

    name: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    example: str = ""
    marker: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "marker", f"[REDACTED:{self.name}]")

    def redact(self, text: str) -> str:
        """*text* with every match of this rule replaced by its marker."""
        if "secret" in self.pattern.groupindex:
            return self.pattern.sub(self._replace_group, text)
        return self.pattern.sub(self.marker, text)

    def _replace_group(self, match: re.Match[str]) -> str:
        start, end = match.span("secret")
        if start < 0:
            return self.marker
        whole = match.group(0)
        offset = match.start()
        return f"{whole[: start - offset]}{self.marker}{whole[end - offset :]}"


def _rule(name: str, pattern: str, needles: tuple[str, ...], example: str) -> Rule:
    return Rule(name, re.compile(pattern), needles, example)


# Each pattern starts with a literal, so the regex engine skips ahead to it instead of trying
# every position (a 50 MB prompt takes some 30 ms per rule); conditions on the characters
# before it are lookbehinds placed after it.
# Made-up secrets are assembled from parts so that secret scanners do not flag this file.
_B62 = "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz"
_JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dBjftJeZ4CVPmB92K27uhbUJU1p1r"

BUILTIN_RULES: Final[tuple[Rule, ...]] = (
    _rule(
        "url_password",
        # Greedy up to the last "@" of the authority, so a password holding "@" is all replaced.
        r"://[^\s:/@?#\[\]]{0,256}:(?P<secret>[^\s/?#]{1,1024})@",
        ("://",),
        "postgres://app:" + "hunter2-correct-horse@db.internal:5432/app",
    ),
    _rule(
        "anthropic_key",
        r"sk-ant-(?<![A-Za-z0-9]sk-ant-)[A-Za-z0-9_-]{20,}",
        ("sk-ant-",),
        "ANTHROPIC_API_KEY=sk-ant-api03-" + _B62,
    ),
    _rule(
        "openai_key",
        # Kebab-case words ("ask-the-user-...") are all lower case; keys are not.
        r"sk-(?<![A-Za-z0-9]sk-)(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{20,}",
        ("sk-",),
        "client = OpenAI(api_key='sk-proj-" + _B62 + "')",
    ),
    _rule(
        "aws_access_key_id",
        r"A[KS]IA(?<![A-Za-z0-9]A[KS]IA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        ("AKIA", "ASIA"),
        "aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLE",
    ),
    _rule(
        "github_token",
        r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        "git clone https://" + "ghp_" + _B62 + "abc@github.com/o/r",
    ),
    _rule(
        "slack_token",
        r"xox[abposr]-[A-Za-z0-9-]{10,}",
        ("xox",),
        "SLACK_BOT_TOKEN=" + "xoxb-" + "1234567890-0987654321-" + _B62[:24],
    ),
    _rule(
        "huggingface_token",
        r"hf_(?=[A-Za-z]*[A-Z])[A-Za-z]{30,}",
        ("hf_",),
        "login(token='" + "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH')",
    ),
    _rule(
        "stripe_live_key",
        r"k_live_(?<=[sr]k_live_)(?P<secret>[A-Za-z0-9]{16,})",
        ("k_live_",),
        "stripe.api_key = '" + "sk_live_" + _B62[:24] + "'",
    ),
    _rule(
        "google_api_key",
        r"AIza[A-Za-z0-9_-]{35,}",
        ("AIza",),
        "https://maps.example.com/api?key=" + "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    ),
    _rule(
        "json_web_token",
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        ("eyJ",),
        "session cookie: " + _JWT,
    ),
    _rule(
        "pem_private_key",
        # An unterminated block (a cut message) is redacted to the end of the text.
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
        ("-----BEGIN ",),
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + _B62 + "\n-----END RSA "
        "PRIVATE KEY-----",
    ),
    _rule(
        "bearer_token",
        r"earer(?<=[Bb]earer)(?:\s+|%20)(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)",
        ("earer",),
        "Authorization: Bearer " + "mF_9.B5f-4.1JqM" + _B62[:12],
    ),
)
"""The built-in value rules, in the order they run: URL passwords first (the user name may
itself be a token another rule would replace, hiding the password from this one), then the
more specific before the more general."""

MIN_SECRET_CHARS: Final = 6
"""No built-in rule matches text shorter than this (``://:x@`` is the shortest match)."""


@dataclass(frozen=True)
class Scanner:
    """Runs a set of rules over text, each only where one of its needles occurs.

    Args:
        rules: the rules, in the order they run.
    """

    rules: Sequence[Rule]
    _gates: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = field(
        init=False, repr=False, compare=False
    )
    _always: tuple[Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        groups: dict[str, list[tuple[str, int]]] = {}
        for index, rule in enumerate(self.rules):
            for needle in rule.needles:
                groups.setdefault(_gate(needle), []).append((needle, index))
        gates = tuple((gate, tuple(members)) for gate, members in groups.items())
        object.__setattr__(self, "_gates", gates)
        object.__setattr__(self, "_always", tuple(r for r in self.rules if not r.needles))

    def redact(self, text: str) -> str:
        """*text* with every secret the rules find replaced by its rule's marker."""
        if len(text) >= MIN_SECRET_CHARS:
            found: list[int] | None = None
            for gate, members in self._gates:
                if gate in text:
                    for needle, index in members:
                        if needle in text:
                            found = [index] if found is None else [*found, index]
            if found is not None:
                for index in sorted(set(found)):  # rule order, each rule once
                    text = self.rules[index].redact(text)
        for rule in self._always:
            text = rule.redact(text)
        return text


# Characters rare in prose come first: the gate of a needle is its first character in this
# order, so "sk-" waits behind "-" and prose without "-" never looks for it.
_GATE_ORDER: Final = "-_:JIx"


def _gate(needle: str) -> str:
    for char in _GATE_ORDER:
        if char in needle:
            return char
    return ""  # "" is in every text: such needles are always searched for


def rule_names(rules: Iterable[Rule] = BUILTIN_RULES) -> list[str]:
    """The names of *rules*."""
    return [rule.name for rule in rules]
