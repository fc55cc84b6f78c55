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
from typing import Final, NamedTuple


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
        screen: for a rule whose needles are common in prose (the "." of Discord's tokens):
            a regex of JSON bytes that matches wherever a match of the rule stands in a JSON
            string, which the redactor's screen searches for instead of the needles.
    """

    name: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    example: str = ""
    screen: re.Pattern[bytes] | None = None
    marker: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "marker", f"[REDACTED:{self.name}]")

    def redact(self, text: str) -> str:
        """*text* with every match of this rule replaced by its marker."""
        if self.pattern.search(text) is None:  # most texts a rule runs on hold no secret
            return text
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


def _rule(
    name: str, pattern: str, needles: tuple[str, ...], example: str, screen: bytes | None = None
) -> Rule:
    return Rule(
        name, re.compile(pattern), needles, example, None if screen is None else re.compile(screen)
    )


# Each pattern starts with a literal, so the regex engine skips ahead to it instead of trying
# every position (a 50 MB prompt takes some 30 ms per rule); conditions on the characters
# before it are lookbehinds placed after it. Every rule has needles rare in prose: a common
# needle (".", "key") would make most texts run its regex.
# Made-up secrets are assembled from parts so that secret scanners do not flag this file.
_B62 = "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz"
_HEX = "3f9a1c7e5b2d8f4a6c0e9b1d7a3f5c8e"
_JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dBjftJeZ4CVPmB92K27uhbUJU1p1r"
# What may stand between a name and its value: `KEY=v`, `"key": "v"`, `key => 'v'`, `key: v`.
_IS = r"""\\*["']?[ \t]*(?:=>|:=|[:=])[ \t]*\\*["']?"""  # \" in JSON inside JSON
# Not inside a longer word: after no letter or digit, or after an escape ("\\n", "\\t": a secret
# at the start of a line of JSON or of a repr()).
_WORD_START = r"(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))"


def _word_start(literal: str) -> str:
    """The lookbehinds, placed after *literal* (a regex), that say it starts a word."""
    return f"(?:(?<![A-Za-z0-9]{literal})|(?<=\\\\[nrt]{literal}))"


# A random-looking run: not a word ("a" to "z" only), holding a digit or a capital.
_MIXED = r"(?=[A-Za-z0-9+/_-]*[A-Z0-9])"
_NOT_B64 = r"(?![A-Za-z0-9+/])"  # a "=" may follow: padding, or the "=" of "k=v"
# A token, not a word: a digit or symbol, or both cases (of the characters {c}).
_TOKENISH = r"(?:(?=[{c}]*(?:[0-9_~+/-]|\.[A-Za-z0-9]))|(?=[{c}]*[a-z])(?=[{c}]*[A-Z]))"
# A real line break, or an escaped one ("\\n"; "\\\\n" once more in JSON of a repr).
_NEWLINE = r"[ \t]*(?:\r?\n|\\+r\\+n|\\+n)[ \t]*"
_LINE_END = r"(?=[ \t]*(?:\r|\n|\\+r|\\+n|$))"
_PEM_BEGIN = r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
# Armor headers (Proc-Type:, Version:), then base64 lines; the first holds a capital or digit
# (and, in a block cut before its END line, 12 characters or more: there, a line is base64
# only if it is all base64, and a blank line ends the body).
_PEM_BODY = (
    r"(?:{sep}[A-Za-z-]{{2,30}}: [^\r\n\\]*)*(?:(?:{sep})+| )"
    r"[A-Za-z0-9+/=](?=[A-Za-z0-9+/=]*[A-Z0-9+/])[A-Za-z0-9+/=]{{{least},}}"
    r"(?:{sep}[A-Za-z0-9+/=]+{line_end})*"
)

BUILTIN_RULES: Final[tuple[Rule, ...]] = (
    _rule(
        "connection_string_password",
        # JDBC/ODBC/ADO.NET `Password=...;`, `PWD={...}`, `?user=u&password=...`, `DB_PASSWORD=`
        # (before url_password, which would take an "@" in the password for the end of URL
        # credentials). "&" ends it before a next `name=`. Not a variable passed on in code
        # (`password=password,`) nor a path (`PWD=/home/me`, the shell's working directory).
        _WORD_START + r"(?i:password|passwd|pwd)=[ \t]*(?![a-z_][a-z0-9_.]*[,)]|\[REDACTED|/)"
        r"(?P<secret>\{[^}\n]{1,256}\}|\"[^\"\n]{1,256}\"|'[^'\n]{1,256}'"
        r"|(?:[^;&\s'\"]|&(?![A-Za-z_][\w.-]*=)){1,512})",
        ("wd=", "WD=", "ord=", "ORD="),
        "jdbc:sqlserver://db:1433;user=app;password=" + "Tr0ub4dor&3x;encrypt=true",
    ),
    _rule(
        "url_password",
        # The user may be an e-mail address; the password may hold "@", "/" and "#" (greedy up
        # to the last "@" before a "?", a quote or a space), but is not a port and a path.
        r"://[^\s:/?#\[\]\"]{0,256}:(?!\d{1,5}(?:[/;]|$))(?P<secret>[^\s?\"]{1,1024})@",
        ("://",),
        "postgres://app:" + "hunter2-correct-horse@db.internal:5432/app",
    ),
    _rule(
        "aws_secret_access_key",
        # 40 characters under an AWS-looking name, or right after an access key id (before
        # aws_access_key_id, which would hide the id).
        r"(?:(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)" + _IS + "|"
        r"A[KS]IA[A-Z0-9]{16}[^A-Za-z0-9/+]{1,5}(?:[\w.-]{0,30}" + _IS + ")?)"
        r"(?P<secret>(?=[A-Za-z0-9/+]*[0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
        r"[A-Za-z0-9/+]{40})" + _NOT_B64,
        ("ecret_", "ECRET_", "ecretAccessKey", "ecretKey", "AKIA", "ASIA"),
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + _B62[:10],
    ),
    _rule(
        "named_api_key",
        # Providers whose keys have no prefix, found by the name they are given.
        _WORD_START + r"(?i:(?:mistral|cohere|together|twilio|azure)_[\w.-]{0,30}?"
        r"(?:key|token|secret)|co_api_key)"
        + _IS
        + r"(?P<secret>"
        + _MIXED
        + r"[A-Za-z0-9+/_-]{32,100}"
        r"={0,2})" + _NOT_B64,
        (
            "istral_",
            "ISTRAL_",
            "ohere_",
            "OHERE_",
            "CO_API_",
            "co_api_",
            "ogether_",
            "OGETHER_",
            "wilio_",
            "WILIO_",
            "zure_",
            "ZURE_",
        ),
        "MISTRAL_API_KEY=" + _B62[:32],
    ),
    _rule(
        "azure_storage_key",
        # Connection strings (`AccountKey=`, `SharedAccessKey=`) and SAS signatures (`sig=`).
        r"(?:AccountKey=|SharedAccessKey=|(?<=[?&])sig=)(?P<secret>[A-Za-z0-9+/%]{20,}=*)",
        ("ountKey=", "ccessKey=", "sig="),
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + _B62 * 2 + "==;",
    ),
    _rule(
        "webhook_url",
        # The needle of url_password: no search of its own.
        r"://(?:hooks\.slack\.com/(?:services|workflows|triggers)"
        r"|(?:discord|discordapp)\.com/api/webhooks)/(?P<secret>[A-Za-z0-9+/_-]{20,})",
        ("://",),
        "https://hooks.slack.com/services/" + "T0123ABCD/B0456EFGH/" + _B62[:24],
    ),
    _rule(
        "anthropic_key",
        "sk-ant-" + _word_start("sk-ant-") + "[A-Za-z0-9_-]{20,}",
        ("sk-",),
        "ANTHROPIC_API_KEY=sk-ant-api03-" + _B62,
    ),
    _rule(
        "openai_key",
        # Also the sk- keys of DeepSeek and OpenRouter. Kebab-case words ("ask-the-user-...")
        # are all lower case; keys are not.
        "sk-" + _word_start("sk-") + r"(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{20,}",
        ("sk-",),
        "client = OpenAI(api_key='sk-proj-" + _B62 + "')",
    ),
    _rule(
        "aws_access_key_id",
        "A[KS]IA" + _word_start("A[KS]IA") + "[A-Z0-9]{16}(?![A-Za-z0-9])",
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
        "gitlab_token",
        r"gl(?:pat|dt|ft|rt|soat|ptt|cbt|imt|agent|oas)-[A-Za-z0-9_-]{20,}",
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glrt-",
            "glsoat-",
            "glptt-",
            "glcbt-",
            "glimt-",
            "glagent-",
            "gloas-",
        ),
        "GITLAB_TOKEN=" + "glpat-" + _B62[:20],
    ),
    _rule(
        "slack_token",
        # Real tokens go on with digits (`xoxb-123-456-...`); "xoxo-love" in a letter does not.
        r"xox[abeoprs]-\d+-[A-Za-z0-9-]{8,}|xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]{16,}",
        ("xox", "xapp-"),
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
        r"AIza(?<![+/]AIza)" + _word_start("AIza") + "[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])",
        ("AIza",),
        "https://maps.example.com/api?key=" + "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    ),
    _rule(
        "package_registry_token",
        # npm (`npm_` and 36 characters, not `npm_config_...`) and PyPI upload tokens.
        "npm_" + _word_start("npm_") + "(?=[a-z]*[A-Z0-9])[A-Za-z0-9]{36}(?![A-Za-z0-9_])"
        r"|pypi-Ag[A-Za-z0-9_-]{50,}",
        ("npm_", "pypi-Ag"),
        "//registry.npmjs.org/:_authToken=" + "npm_" + _B62 + "abc",
    ),
    _rule(
        "sendgrid_key",
        r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}",
        ("SG.",),
        "SENDGRID_API_KEY=" + "SG." + _B62[:22] + "." + _B62 + _B62[:10],
    ),
    _rule(
        "twilio_api_key",
        "SK" + _word_start("SK") + r"(?=[a-fA-F0-9]*[0-9])(?=[a-fA-F0-9]*[a-fA-F])[a-fA-F0-9]{32}"
        r"(?![A-Za-z0-9])",
        ("SK",),
        "api key sid: " + "SK" + _HEX,
    ),
    _rule(
        "discord_bot_token",
        # id.timestamp.hmac, the id (base64 of digits) starting M, N or O. Anchored on the
        # first "." followed by the 6-character timestamp and a second "." (rare in prose).
        r"\.(?=[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27})(?:(?<=[MNO][A-Za-z0-9_-]{23}\.)"
        r"|(?<=[MNO][A-Za-z0-9_-]{24}\.)|(?<=[MNO][A-Za-z0-9_-]{25}\.))"
        r"(?P<secret>[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40})(?![A-Za-z0-9_-])",
        (".",),
        "DISCORD_TOKEN=" + "MTA5ODc2NTQzMjEwOTg3NjU0.GxY2zA." + _B62[:27],
        # What every match holds, written as it is in JSON (these characters are not escaped):
        # far rarer in the bytes of an event than a ".".
        rb"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}",
    ),
    _rule(
        "telegram_bot_token",
        r":(?<=\d{5}:)(?P<secret>A(?=[A-Za-z0-9_-]{0,33}[0-9_-])[A-Za-z0-9_-]{34})(?![A-Za-z0-9_-])",
        (":A",),
        "https://api.telegram.org/bot" + "123456789:AA" + _B62[:33] + "/getMe",
    ),
    _rule(
        "ai_platform_key",
        # Databricks (dapi + 32 hex), Groq (gsk_), Replicate (r8_), Together (tgp_v1_), xAI.
        "dapi" + _word_start("dapi") + r"(?=[a-f0-9]*[a-f])[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])"
        "|gsk_[A-Za-z0-9]{40,}|r8_" + _word_start("r8_") + "[A-Za-z0-9]{30,}"
        "|tgp_v1_[A-Za-z0-9_-]{30,}|xai-" + _word_start("xai-") + _MIXED + "[A-Za-z0-9]{50,}",
        ("dapi", "gsk_", "r8_", "tgp_v1_", "xai-"),
        "GROQ_API_KEY=" + "gsk_" + _B62 + _B62[:19],
    ),
    _rule(
        "json_web_token",
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        ("eyJ",),
        "session cookie: " + _JWT,
    ),
    _rule(
        "pem_private_key",
        # A block with a base64 body; a cut block (no END line) is redacted to the end of its
        # body. A header alone, as named in prose or code, is not a key.
        _PEM_BEGIN
        + r"(?:"
        + _PEM_BODY.format(sep=r"(?:\s|\\+[rn])+", least=0, line_end="")
        + r"(?:\s|\\+[rn])*"
        + _PEM_END
        + "|"
        + _PEM_BODY.format(sep=_NEWLINE, least=11, line_end=_LINE_END)
        + ")",
        ("-----BEGIN ",),
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + _B62 + "\n-----END RSA "
        "PRIVATE KEY-----",
    ),
    _rule(
        "bearer_token",
        # Any length, but a token, not a word: "Bearer authentication" is prose.
        r"(?:earer(?<=[Bb]earer)|BEARER)(?:[ \t]+|%20|\\+t)"
        r"(?P<secret>[A-Za-z0-9._~+/-]"
        + _TOKENISH.format(c="A-Za-z0-9._~+/-")
        + r"[A-Za-z0-9._~+/-]{5,}=*)",
        ("earer", "BEARER"),
        "Authorization: Bearer " + "mF_9.B5f-4.1JqM" + _B62[:12],
    ),
    _rule(
        "basic_auth",
        # base64 of user:password, padded to a multiple of 4; not "Basic Instructions".
        r"(?:Basic|BASIC) "
        r"(?P<secret>(?=(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
        + _NOT_B64
        + r")[A-Za-z0-9+/]"
        + _TOKENISH.format(c="A-Za-z0-9+/")
        + r"[A-Za-z0-9+/]{7,}={0,2})",
        ("Basic ", "BASIC "),
        "Authorization: Basic " + "dXNlcjpodW50ZXIy" + "LWNvcnJlY3Q=",
    ),
)
MIN_SECRET_CHARS: Final = 6
"""No built-in rule matches text shorter than this (``://:x@`` is the shortest match)."""


class _Gate(NamedTuple):
    """The needles that share a gate character."""

    char: str
    needles: tuple[tuple[str, tuple[int, ...]], ...]  # each with the rules it starts
    any_needle: re.Pattern[str] | None  # many needles: one search tells if the text holds any


@dataclass(frozen=True)
class Scanner:
    """Runs a set of rules over text, each only where one of its needles occurs.

    Args:
        rules: the rules, in the order they run.
    """

    rules: Sequence[Rule]
    _gates: tuple[_Gate, ...] = field(init=False, repr=False, compare=False)
    _always: tuple[Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts: dict[str, set[int]] = {}
        for index, rule in enumerate(self.rules):
            for needle in rule.needles:
                starts.setdefault(needle, set()).add(index)
        groups: dict[str, list[str]] = {}
        for needle in starts:
            groups.setdefault(_gate(needle), []).append(needle)
        gates = []
        for char, needles in sorted(groups.items(), key=lambda group: _gate_rank(group[0])):
            # A needle starts the rules of the needles inside it too ("sk-" in "sk-ant-").
            members = tuple(
                (needle, tuple(sorted(set().union(*(starts[n] for n in starts if n in needle)))))
                for needle in needles
            )
            finder = _any_needle(char, needles) if char and len(needles) > _FEW else None
            gates.append(_Gate(char, members, finder))
        object.__setattr__(self, "_gates", tuple(gates))
        object.__setattr__(self, "_always", tuple(r for r in self.rules if not r.needles))

    def redact(self, text: str) -> str:
        """*text* with every secret the rules find replaced by its rule's marker."""
        if len(text) >= MIN_SECRET_CHARS:
            found: list[int] | None = None
            for char, needles, any_needle in self._gates:
                if char in text and (any_needle is None or any_needle.search(text)):
                    for needle, indexes in needles:
                        if needle in text:
                            found = [*indexes] if found is None else [*found, *indexes]
            if found is not None:
                for index in sorted(set(found)):  # rule order, each rule once
                    text = self.rules[index].redact(text)
        for rule in self._always:
            text = rule.redact(text)
        return text


# Characters rare in prose come first: the gate of a needle is its first character in this
# order, so "sk-" waits behind "-" and prose without "-" never looks for it. Costs, for a
# text of 500 characters: a gate some 50 ns (one memchr), a needle of 2 to 6 characters some
# 300 ns, a regex search some 300 ns; a rule must not add a needle every text is searched for.
_GATE_ORDER: Final = "K=_/JGBI-x:."
_FEW: Final = 2
"""A gate with more needles than this first asks one regex whether the text holds any."""


def _gate(needle: str) -> str:
    for char in _GATE_ORDER:
        if char in needle:
            return char
    return ""  # "" is in every text: such needles are always searched for


def _gate_rank(char: str) -> int:
    return _GATE_ORDER.index(char) if char else len(_GATE_ORDER)


def _any_needle(char: str, needles: list[str]) -> re.Pattern[str]:
    """A regex that stops only at each *char* of a text (a literal, found fast) and matches
    where one of *needles* holds it: `-(?<=[kt]-)(?:(?<=sk-)|(?<=glpat-)|...)`. The class of
    the characters just before *char* rules out most places at once ("---" in a table)."""
    before, branches = set(), []
    for needle in needles:
        at = needle.index(char)
        head, tail = needle[: at + 1], needle[at + 1 :]
        before.add(needle[at - 1] if at else "")
        behind = f"(?<={re.escape(head)})" if at else ""
        branches.append(behind + (f"(?={re.escape(tail)})" if tail else ""))
    first = ""
    if "" not in before:
        first = f"(?<=[{''.join(re.escape(c) for c in sorted(before))}]{re.escape(char)})"
    return re.compile(f"{re.escape(char)}{first}(?:{'|'.join(branches)})")


def rule_names(rules: Iterable[Rule] = BUILTIN_RULES) -> list[str]:
    """The names of *rules*."""
    return [rule.name for rule in rules]
