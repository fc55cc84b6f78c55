"""The built-in secret rules: each finds its kind and keeps the rest of the text, and leaves
alone the near misses (prose, code, ids, hashes, base64) that look a little like it."""

from __future__ import annotations

import base64
import random
import uuid
from typing import Any

import pytest

from wf_structlog.processors._secret_rules import BUILTIN_RULES
from wf_structlog.processors.redaction import Redactor

# Secrets are assembled from parts so that secret scanners do not flag this file.
B62 = "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
HEX = "3f9a1c7e5b2d8f4a" + "6c0e9b1d7a3f5c8e"
AWS40 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + B62[:10]
AKID = "AKIA" + "Q3EGRWLS7NIOK2XQ"


def r(rule: str) -> str:
    return f"[REDACTED:{rule}]"


# (rule, text, what the text must become): only the secret is replaced.
FOUND = [
    ("openai_key", "key sk-" + B62 + " here", "key [REDACTED:openai_key] here"),
    ("openai_key", "'sk-proj-" + B62 + "_-x'", "'[REDACTED:openai_key]'"),
    ("openai_key", "DEEPSEEK_API_KEY=sk-" + HEX, "DEEPSEEK_API_KEY=" + r("openai_key")),
    ("openai_key", "OpenRouter: sk-or-v1-" + HEX + HEX, "OpenRouter: " + r("openai_key")),
    ("anthropic_key", "k=sk-ant-api03-" + B62 + ".", "k=[REDACTED:anthropic_key]."),
    ("aws_access_key_id", "id: " + AKID + ",", "id: [REDACTED:aws_access_key_id],"),
    ("aws_access_key_id", "(" + "ASIA" + "Y34FZKBOKMUTVV7A)", "([REDACTED:aws_access_key_id])"),
    (
        # A hash beside the id is no secret key: all lower case.
        "aws_access_key_id",
        AKID + " commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        r("aws_access_key_id") + " commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    ),
    (
        "aws_secret_access_key",
        "aws_secret_access_key = " + AWS40,
        "aws_secret_access_key = " + r("aws_secret_access_key"),
    ),
    (
        "aws_secret_access_key",
        '{"AccessKeyId": "' + AKID + '", "SecretAccessKey": "' + AWS40 + '"}',
        '{{"AccessKeyId": "{}", "SecretAccessKey": "{}"}}'.format(
            r("aws_access_key_id"), r("aws_secret_access_key")
        ),
    ),
    (
        "aws_secret_access_key",
        "Access key ID,Secret access key\n" + AKID + "," + AWS40,
        "Access key ID,Secret access key\n{},{}".format(
            r("aws_access_key_id"), r("aws_secret_access_key")
        ),
    ),
    (
        "aws_secret_access_key",
        "Credentials(access_key='" + AKID + "', secret_key='" + AWS40 + "')",
        "Credentials(access_key='{}', secret_key='{}')".format(
            r("aws_access_key_id"), r("aws_secret_access_key")
        ),
    ),
    ("named_api_key", "MISTRAL_API_KEY=" + B62, "MISTRAL_API_KEY=" + r("named_api_key")),
    (
        "named_api_key",
        "export CO_API_KEY=" + B62 + "abcd1234",
        "export CO_API_KEY=" + r("named_api_key"),
    ),
    (
        "named_api_key",
        '{"TOGETHER_API_KEY": "' + HEX + HEX + '"}',
        '{{"TOGETHER_API_KEY": "{}"}}'.format(r("named_api_key")),
    ),
    ("named_api_key", "TWILIO_AUTH_TOKEN=" + HEX, "TWILIO_AUTH_TOKEN=" + r("named_api_key")),
    (
        "named_api_key",
        "azure_openai_api_key: " + HEX,
        "azure_openai_api_key: " + r("named_api_key"),
    ),
    (
        "azure_storage_key",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + B62 * 2 + "==;"
        "EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={};"
        "EndpointSuffix=core.windows.net".format(r("azure_storage_key")),
    ),
    (
        "azure_storage_key",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey="
        + B62
        + "Ab=",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey="
        + r("azure_storage_key"),
    ),
    (
        "azure_storage_key",
        "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig=" + B62 + "%2B%3D",
        "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig="
        + r("azure_storage_key"),
    ),
    (
        "basic_auth",
        "Authorization: Basic " + "dXNlcjpwYXNz",
        "Authorization: Basic " + r("basic_auth"),
    ),
    (
        "basic_auth",
        "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Basic " + "cGstbGYtMTIzOnNrLWxm" + "LTQ1Ng==",
        "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Basic " + r("basic_auth"),
    ),
    (
        "connection_string_password",
        "jdbc:sqlserver://db:1433;user=app;password=" + "Tr0ub4dor&3x;encrypt=true",
        "jdbc:sqlserver://db:1433;user=app;password={};encrypt=true".format(
            r("connection_string_password")
        ),
    ),
    (
        "connection_string_password",
        "Driver={ODBC Driver 18};Server=db;UID=app;PWD=" + "{p;ss w0rd};",
        "Driver={{ODBC Driver 18}};Server=db;UID=app;PWD={};".format(
            r("connection_string_password")
        ),
    ),
    (
        # An "@" in this password is no end of URL credentials (the rule runs before those).
        "connection_string_password",
        "jdbc:mysql://db:3306/app?user=me@corp.com&password=" + "p@ss/w0rd#1&ssl=true",
        "jdbc:mysql://db:3306/app?user=me@corp.com&password={}&ssl=true".format(
            r("connection_string_password")
        ),
    ),
    (
        "connection_string_password",
        "DB_PASSWORD=" + "hunter2Xy9",
        "DB_PASSWORD=" + r("connection_string_password"),
    ),
    (
        "webhook_url",
        "post to https://hooks.slack.com/services/" + "T0123ABCD/B0456EFGH/" + B62[:24],
        "post to https://hooks.slack.com/services/" + r("webhook_url"),
    ),
    (
        "webhook_url",
        "https://discord.com/api/webhooks/" + "123456789012345678/" + B62 + B62,
        "https://discord.com/api/webhooks/" + r("webhook_url"),
    ),
    ("github_token", "push with " + "ghp_" + B62 + "1234", "push with [REDACTED:github_token]"),
    ("github_token", "github_pat_" + "11ABCDEFG0" + B62, "[REDACTED:github_token]"),
    ("gitlab_token", "GITLAB_TOKEN=" + "glpat-" + B62[:20], "GITLAB_TOKEN=" + r("gitlab_token")),
    ("slack_token", "t=" + "xoxb-" + "2134-5678-" + B62, "t=[REDACTED:slack_token]"),
    (
        "slack_token",
        "app token " + "xapp-1-A052FGTS2DL-" + "5171572773297-" + HEX + HEX,
        "app token " + r("slack_token"),
    ),
    (
        "huggingface_token",
        "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
        "[REDACTED:huggingface_token]",
    ),
    ("stripe_live_key", "sk_live_" + B62, "sk_live_[REDACTED:stripe_live_key]"),
    ("stripe_live_key", "rk_live_" + B62, "rk_live_[REDACTED:stripe_live_key]"),
    ("google_api_key", "?key=" + "AIza" + B62 + "abc", "?key=[REDACTED:google_api_key]"),
    (
        "package_registry_token",
        "//registry.npmjs.org/:_authToken=" + "npm_" + B62 + "abcd",
        "//registry.npmjs.org/:_authToken=" + r("package_registry_token"),
    ),
    (
        "package_registry_token",
        "password = " + "pypi-AgEIcHlwaS5vcmc" + B62 + B62,
        "password = " + r("package_registry_token"),
    ),
    (
        "sendgrid_key",
        "SENDGRID_API_KEY=" + "SG." + B62[:22] + "." + B62 + B62[:11],
        "SENDGRID_API_KEY=" + r("sendgrid_key"),
    ),
    ("twilio_api_key", "sid " + "SK" + HEX + ".", "sid " + r("twilio_api_key") + "."),
    (
        "discord_bot_token",
        "Authorization: Bot " + "MTA5ODc2NTQzMjEwOTg3NjU0" + ".GxY2zA." + B62[:27],
        "Authorization: Bot MTA5ODc2NTQzMjEwOTg3NjU0." + r("discord_bot_token"),
    ),
    (
        "telegram_bot_token",
        "https://api.telegram.org/bot" + "123456789:AA" + B62 + "x/getMe",
        "https://api.telegram.org/bot123456789:" + r("telegram_bot_token") + "/getMe",
    ),
    ("ai_platform_key", "token: dapi" + HEX, "token: " + r("ai_platform_key")),
    (
        "ai_platform_key",
        "GROQ_API_KEY=" + "gsk_" + B62 + B62[:20],
        "GROQ_API_KEY=" + r("ai_platform_key"),
    ),
    ("ai_platform_key", "r8_" + B62 + "abcde", r("ai_platform_key")),
    (
        "ai_platform_key",
        "key='" + "tgp_v1_" + B62 + "xyz12345678'",
        "key='" + r("ai_platform_key") + "'",
    ),
    ("ai_platform_key", "xai-" + B62 * 2 + B62[:16], r("ai_platform_key")),
    (
        "json_web_token",
        "jwt eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxIn0.c2lnbmF0dXJl end",
        "jwt [REDACTED:json_web_token] end",
    ),
    (
        "pem_private_key",
        "a\n-----BEGIN " + "PRIVATE KEY-----\nMIIEv\nQIBAD\n-----END " + "PRIVATE KEY-----\nb",
        "a\n[REDACTED:pem_private_key]\nb",
    ),
    (
        "pem_private_key",
        "cut: -----BEGIN OPENSSH " + "PRIVATE KEY-----\\nb3BlbnNzaC1rZXk",
        "cut: [REDACTED:pem_private_key]",
    ),
    (
        "pem_private_key",
        '{"private_key": "-----BEGIN ' + "PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n"
        "-----END " + 'PRIVATE KEY-----\\n"}',
        '{{"private_key": "{}\\n"}}'.format(r("pem_private_key")),
    ),
    (
        # A cut block ends where its base64 lines do: the words after it stay.
        "pem_private_key",
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAx" + B62 + "\nThanks, Bob",
        r("pem_private_key") + "\nThanks, Bob",
    ),
    (
        "url_password",
        "see https://bob:" + "s3cr%40t@example.com/x",
        "see https://bob:[REDACTED:url_password]@example.com/x",
    ),
    (
        "url_password",
        "redis://:" + "p@ss@cache:6379",
        "redis://:[REDACTED:url_password]@cache:6379",
    ),
    (
        "url_password",
        "https://bob:" + "pa/ss#w0rd@example.com/x",
        "https://bob:" + r("url_password") + "@example.com/x",
    ),
    (
        "url_password",
        "smtp://me@mail.com:" + "Hunter2pw@smtp.mail.com:587",
        "smtp://me@mail.com:" + r("url_password") + "@smtp.mail.com:587",
    ),
    (
        "bearer_token",
        "Authorization: Bearer " + "abc.DEF-123_456~x==",
        "Authorization: Bearer [REDACTED:bearer_token]",
    ),
    ("bearer_token", "Bearer " + "abc123", "Bearer " + r("bearer_token")),
    (
        "bearer_token",
        "Authorization: Bearer\t" + "Kd93mQz7",
        "Authorization: Bearer\t" + r("bearer_token"),
    ),
    (
        # How repr() and the anthropic SDK's debug logs show a tab.
        "bearer_token",
        "{'Authorization': 'Bearer\\t" + "Kd93mQz7Rt'}",
        "{'Authorization': 'Bearer\\t" + r("bearer_token") + "'}",
    ),
    (
        # The same repr, JSON-encoded (a tool call's arguments): the backslash doubled.
        "bearer_token",
        '{"q": "Bearer\\\\t' + 'Kd93mQz7Rt"}',
        '{"q": "Bearer\\\\t' + r("bearer_token") + '"}',
    ),
    (
        "bearer_token",
        "AUTHORIZATION: BEARER " + "KD93MQZ7RT",
        "AUTHORIZATION: BEARER " + r("bearer_token"),
    ),
]

# Per rule, texts that look a little like its kind and must pass unchanged.
NEAR_MISSES: dict[str, list[str]] = {
    "connection_string_password": [
        "conn = connect(host=host, user=user, password=password)",
        "db.connect(password=settings.db_password)",
        "Reset your password: it must have 12 characters.",
        "passwordless=True, min_password_length=12",
        "cd $PWD; PWD=/home/me/project",
    ],
    "url_password": [
        "https://registry.example.com:8443/@scope/pkg",
        "see https://user@example.com/x and http://[::1]:8080/",
        "ssh://git@github.com:22/owner/repo.git",
        "https://example.com:8443/path/to/page?q=search&lang=en#top",
        "mailto:someone@example.com and someone@example.com",
    ],
    "aws_secret_access_key": [
        "The secret access key is rotated every 90 days.",
        "AKIA is a prefix; commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "aws_secret_access_key = ${AWS_SECRET}",
    ],
    "named_api_key": [
        "Mistral and Cohere models work together well.",
        "MISTRAL_API_KEY is not set; set it and retry",
        "together_key_count: 12",
    ],
    "azure_storage_key": [
        "AccountName=acme;EndpointSuffix=core.windows.net",
        "a clean design=simple approach",
        "https://acct.blob.core.windows.net/c?sig=short",
    ],
    "basic_auth": [
        "Basic authentication sends the password in every request.",
        "Basic Instructions for new users",
        "BASIC usage: run it twice",
        "Authorization: Basic <credentials>",
    ],
    "webhook_url": [
        "Post to https://hooks.slack.com/ with your webhook.",
        "https://discord.com/api/webhooks are documented",
    ],
    "anthropic_key": ["sk-ant- is the prefix of Anthropic keys"],
    "openai_key": [
        "Ask-the-user-before-deleting-anything is our task-force rule.",
        "sk-learn is not a package; use scikit-learn",
    ],
    "aws_access_key_id": ["ASIAPACIFICREGIONSALES grew; AKIA is not a key on its own."],
    "github_token": ["ghp_ is the prefix of GitHub tokens, github_pat_ of the new ones"],
    "gitlab_token": ["a glpat- token looks like glpat-xxxx"],
    "slack_token": ["xoxo-love-you-all, Grandma", "Hugs and kisses, xoxo-", "xoxb- then digits"],
    "huggingface_token": ["hf_hub_download(repo_id='org/model', filename='config.json')"],
    "stripe_live_key": ["sk_live_ is the live prefix"],
    "google_api_key": ["AIza is the prefix of Google API keys"],
    "package_registry_token": [
        "npm_config_registry=https://registry.npmjs.org/",
        "npm_package_version_and_name_are_set_by_npm_itself",
        "pip install --index-url https://pypi.org/simple pypi-simple",
    ],
    "sendgrid_key": ["SG.1 is step one. SG.2 follows."],
    "twilio_api_key": ["SKU 4815162342 and TASK" + HEX],
    "discord_bot_token": [
        "Mr. Smith went to Washington. He said hi.",
        "file.tar.gz and v1.2.3-beta.4 at www.example.com/a.b.c",
    ],
    "telegram_bot_token": [
        '<xsd:element name="AgencyIdentificationCode" '
        'type="clm12345:AgencyIdentificationCodeContentType"/>',
        "At 10:30: Agenda review",
    ],
    "ai_platform_key": [
        "Lorem ipsum dolor sit amet, dapibus nec.",
        "gsk_small is a model name; r8_ a prefix; xai-explainable-methods",
    ],
    "json_web_token": ["eyJ alone is not a token, nor is a.b.c"],
    "pem_private_key": [
        "The file starts with -----BEGIN RSA PRIVATE KEY----- and then the key follows.",
        'if line.startswith("-----BEGIN PRIVATE KEY-----"):\n    in_key = True\nprint(line)',
        "-----BEGIN PRIVATE KEY-----\nThis file must be kept secret.",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb\n-----END CERTIFICATE-----",
    ],
    "bearer_token": [
        "Bearer authentication is described in RFC 6750.",
        "Use a Bearer token. BEARER TOKENS expire.",
        "The bearer of bad news arrived at 10:30: revenue fell 3% on the quarter.",
        "Use the header 'Authorization: Bearer <token>' with your token.",
        "Bearer bonds are obsolete.",
    ],
}

# Ordinary text that must pass unchanged: prose, code, ids, hashes, counts, URLs.
ORDINARY = [
    "Summarise the attached quarterly report for the finance team.",
    "def get_token_count(text: str) -> int:\n    return len(tokenizer.encode(text))\n",
    "for (i = 0; i < n; i++) { sum += a[i]; }  // C code\nx = {'a': 1, 'b': [2, 3]}",
    "input_tokens=1234 output_tokens=56 total_tokens=1290 max_tokens=4096",
    "550e8400-e29b-41d4-a716-446655440000",
    str(uuid.UUID(int=2**127 + 12345)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "d41d8cd98f00b204e9800998ecf8427e",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha512-"
    + "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
    "/home/user/.config/app/settings.toml",
    "2026-11-25T06:41:52.123456Z",
    "Der Bär lief über die Straße; 東京は晴れ。 Emoji: 🎉",
    "| metric | Q2 | Q3 |\n|---|---|---|\n| revenue | 10.2 | 11.4 |",
    *(text for texts in NEAR_MISSES.values() for text in texts),
]


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


class TestBuiltinRules:
    @pytest.mark.parametrize(("rule", "text", "expected"), FOUND)
    def test_only_the_secret_is_replaced(
        self, redactor: Redactor, rule: str, text: str, expected: str
    ) -> None:
        """Each built-in rule replaces the secret, names itself, and keeps the rest of the text."""
        assert redactor.redact_text(text) == expected

    def test_every_rule_has_a_case_and_a_near_miss(self) -> None:
        """The cases above cover every built-in rule, with a positive and a near miss."""
        names = {rule.name for rule in BUILTIN_RULES}
        assert {rule for rule, _, _ in FOUND} == names
        assert set(NEAR_MISSES) == names

    @pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: r.name)
    def test_documented_examples(self, redactor: Redactor, rule: Any) -> None:
        """Each rule's documented example is found by that rule."""
        assert f"[REDACTED:{rule.name}]" in redactor.redact_text(rule.example)

    @pytest.mark.parametrize("text", ORDINARY)
    def test_ordinary_text_passes_unchanged(self, redactor: Redactor, text: str) -> None:
        """Prose, code, UUIDs, hashes, token counts, plain URLs and near misses of every
        rule are not touched."""
        assert redactor.redact_text(text) == text

    def test_a_disabled_rule_leaves_its_secret_to_the_next(self) -> None:
        """With the Anthropic rule off, an Anthropic key is still found, by the OpenAI rule
        (a needle inside another starts both rules)."""
        text = "k=sk-ant-api03-" + B62
        assert Redactor(disable=["anthropic_key"]).redact_text(text) == "k=" + r("openai_key")


class TestNearMissCorpus:
    def test_random_base64_is_left_alone(self, redactor: Redactor) -> None:
        """4 MB of random base64 (fixed seed), as one blob and as MIME lines, hold no
        spurious secret."""
        rng = random.Random(17)
        blob = base64.b64encode(rng.randbytes(3 * 2**20)).decode()
        lines = "\n".join(blob[i : i + 76] for i in range(0, 2**20, 76))
        chunks = [blob[i : i + 65536] for i in range(0, len(blob), 65536)]
        assert [c for c in chunks if redactor.redact_text(c) != c] == []
        assert redactor.redact_text(lines) == lines

    def test_uuids_and_hashes_are_left_alone(self, redactor: Redactor) -> None:
        """Thousands of UUIDs and hex digests, in prose and as key=value, are unchanged."""
        rng = random.Random(18)
        words = []
        for i in range(2000):
            value = uuid.UUID(int=rng.getrandbits(128), version=4)
            words.append(f"id={value} sha={rng.getrandbits(256):064x} n={i}")
        text = "\n".join(words)
        assert redactor.redact_text(text) == text
