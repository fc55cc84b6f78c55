"""Fresh random secrets of every kind the built-in rules know, for the leak tests.

Each kind is a function of a ``random.Random``: cheap to draw (no Hypothesis filtering), and
a seed gives the same secrets again. A :class:`Secret` says how it is written into text and
which parts of it must never appear in any output.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import string
from collections.abc import Callable

DIGITS = string.digits
LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
ALNUM = UPPER + LOWER + DIGITS
UPPER_DIGITS = UPPER + DIGITS
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
# What a URL password may hold, "@", ":", "/" and "#" too (unescaped, as people write them).
URL_PASSWORD = ALNUM + "!$&'()*+,;=%._~-@:/#"
# What a connection-string password may hold: not its separators (";", "&", "=") nor quotes.
CONN_PASSWORD = ALNUM + "!$%*+-./:<>?@^_~#"
WINDOW = 12
"""No run of this many characters of a secret may appear: a cut secret is a leak too."""


@dataclasses.dataclass(frozen=True)
class Secret:
    """A secret as it is written into text, and the parts of it that must never appear."""

    kind: str
    text: str
    hidden: tuple[str, ...]


def run(rng: random.Random, alphabet: str, low: int, high: int = 0, *needs: str) -> str:
    """Random-looking text of *low* to *high* characters of *alphabet*: at least four
    distinct ones (a degenerate "aaaa" could occur elsewhere by chance; fewer only in a
    shorter text), and one of each
    string of *needs* (what a rule asks of a token: a digit, a capital)."""
    size = rng.randint(low, max(low, high))
    while True:
        chars = [rng.choice(alphabet) for _ in range(size)]
        places = rng.sample(range(size), len(needs))
        for place, need in zip(places, needs, strict=True):
            if not any(c in need for c in chars):
                chars[place] = rng.choice(need)
        if len(set(chars)) >= min(4, size):
            return "".join(chars)


def plain(kind: str, prefix: str, body: str) -> Secret:
    return Secret(kind, prefix + body, (body,))


def openai_key(rng: random.Random) -> Secret:
    prefix = rng.choice(["sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"])
    return rng.choice(
        [
            plain("openai_key", prefix, run(rng, URLSAFE, 20, 80, UPPER_DIGITS)),
            plain("openai_key", "sk-", run(rng, HEX, 32, 32, DIGITS)),  # DeepSeek
            plain("openai_key", "sk-or-v1-", run(rng, HEX, 64, 64, DIGITS)),  # OpenRouter
        ]
    )


def anthropic_key(rng: random.Random) -> Secret:
    prefix = rng.choice(["sk-ant-api03-", "sk-ant-admin01-"])
    return plain("anthropic_key", prefix, run(rng, URLSAFE, 20, 95))


def aws_access_key_id(rng: random.Random) -> Secret:
    return plain("aws_access_key_id", rng.choice(["AKIA", "ASIA"]), run(rng, UPPER_DIGITS, 16))


def aws_secret_access_key(rng: random.Random) -> Secret:
    key = run(rng, B64, 40, 40, DIGITS + "+/", LOWER, UPPER)
    key_id = aws_access_key_id(rng)
    form = rng.choice(
        [
            "aws_secret_access_key = {}",
            '"SecretAccessKey": "{}"',
            "AWS_SECRET_ACCESS_KEY={}",
            key_id.text + ",{}",
            "access_key='" + key_id.text + "', secret_key='{}'",
        ]
    )
    return Secret("aws_secret_access_key", form.format(key), (key, *key_id.hidden))


def named_api_key(rng: random.Random) -> Secret:
    name, alphabet, size = rng.choice(
        [
            ("MISTRAL_API_KEY=", ALNUM, 32),
            ("CO_API_KEY=", ALNUM, 40),
            ("cohere_api_key: ", ALNUM, 40),
            ("TOGETHER_API_KEY=", HEX, 64),
            ("TWILIO_AUTH_TOKEN=", HEX, 32),
            ('"AZURE_OPENAI_API_KEY": "', HEX, 32),
        ]
    )
    return plain("named_api_key", name, run(rng, alphabet, size, size, DIGITS))


def azure_storage_key(rng: random.Random) -> Secret:
    key = run(rng, B64, 86)
    sas = run(rng, ALNUM, 40, 60)
    return rng.choice(
        [
            Secret(
                "azure_storage_key",
                "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
                + key
                + "==;EndpointSuffix=core.windows.net",
                (key,),
            ),
            plain(
                "azure_storage_key",
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
                "SharedAccessKey=",
                key[:43],
            ),
            plain("azure_storage_key", "https://acme.blob.core.windows.net/c/b?sp=r&sig=", sas),
        ]
    )


def webhook_url(rng: random.Random) -> Secret:
    slack = "T" + run(rng, UPPER_DIGITS, 8) + "/B" + run(rng, UPPER_DIGITS, 8) + "/"
    token = run(rng, ALNUM, 24)
    discord = run(rng, DIGITS, 18) + "/"
    long_token = run(rng, URLSAFE, 68)
    return rng.choice(
        [
            Secret("webhook_url", "https://hooks.slack.com/services/" + slack + token, (token,)),
            Secret(
                "webhook_url",
                "https://discord.com/api/webhooks/" + discord + long_token,
                (long_token,),
            ),
        ]
    )


def github_token(rng: random.Random) -> Secret:
    return rng.choice(
        [
            plain(
                "github_token",
                rng.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
                run(rng, ALNUM, 36, 40),
            ),
            plain("github_token", "github_pat_", run(rng, ALNUM + "_", 22, 82)),
        ]
    )


def gitlab_token(rng: random.Random) -> Secret:
    return plain("gitlab_token", rng.choice(["glpat-", "gldt-", "glrt-"]), run(rng, URLSAFE, 20))


def slack_token(rng: random.Random) -> Secret:
    team = run(rng, DIGITS, 10, 13) + "-" + run(rng, DIGITS, 10, 13) + "-"
    app = "A" + run(rng, UPPER_DIGITS, 10) + "-" + run(rng, DIGITS, 13) + "-"
    return rng.choice(
        [
            plain(
                "slack_token",
                rng.choice(["xoxb-", "xoxp-", "xoxe-"]) + team,
                run(rng, ALNUM, 24, 32),
            ),
            plain("slack_token", "xapp-1-" + app, run(rng, HEX, 64)),
        ]
    )


def huggingface_token(rng: random.Random) -> Secret:
    return plain("huggingface_token", "hf_", run(rng, UPPER + LOWER, 30, 40, UPPER))


def stripe_live_key(rng: random.Random) -> Secret:
    return plain("stripe_live_key", rng.choice(["sk_live_", "rk_live_"]), run(rng, ALNUM, 16, 99))


def google_api_key(rng: random.Random) -> Secret:
    return plain("google_api_key", "AIza", run(rng, URLSAFE, 35))


def package_registry_token(rng: random.Random) -> Secret:
    return rng.choice(
        [
            plain("package_registry_token", "npm_", run(rng, ALNUM, 36, 36, UPPER_DIGITS)),
            plain("package_registry_token", "pypi-AgEIcHlwaS5vcmc", run(rng, URLSAFE, 50, 100)),
        ]
    )


def sendgrid_key(rng: random.Random) -> Secret:
    first, second = run(rng, URLSAFE, 22), run(rng, URLSAFE, 43)
    return Secret("sendgrid_key", f"SG.{first}.{second}", (first, second))


def twilio_api_key(rng: random.Random) -> Secret:
    return plain("twilio_api_key", "SK", run(rng, HEX, 32, 32, DIGITS, "abcdef"))


def discord_bot_token(rng: random.Random) -> Secret:
    user = rng.choice("MNO") + run(rng, URLSAFE, 23, 25)
    rest = run(rng, URLSAFE, 6) + "." + run(rng, URLSAFE, 27, 38)
    return Secret("discord_bot_token", f"{user}.{rest}", (rest,))


def telegram_bot_token(rng: random.Random) -> Secret:
    token = "A" + run(rng, URLSAFE, 34, 34, DIGITS + "_-")
    return Secret("telegram_bot_token", run(rng, DIGITS, 8, 10) + ":" + token, (token,))


def ai_platform_key(rng: random.Random) -> Secret:
    return rng.choice(
        [
            plain("ai_platform_key", "dapi", run(rng, HEX, 32, 32, "abcdef")),  # Databricks
            plain("ai_platform_key", "gsk_", run(rng, ALNUM, 52)),  # Groq
            plain("ai_platform_key", "r8_", run(rng, ALNUM, 37)),  # Replicate
            plain("ai_platform_key", "tgp_v1_", run(rng, URLSAFE, 43)),  # Together
            plain("ai_platform_key", "xai-", run(rng, ALNUM, 80, 80, UPPER_DIGITS)),  # xAI
        ]
    )


def json_web_token(rng: random.Random) -> Secret:
    header, payload = run(rng, URLSAFE, WINDOW, 40), run(rng, URLSAFE, WINDOW, 80)
    signature = rng.choice(["", run(rng, URLSAFE, WINDOW, 43)])
    token = f"eyJ{header}.{payload}.{signature}"
    return Secret("json_web_token", token, (header, payload, *((signature,) if signature else ())))


def pem_private_key(rng: random.Random) -> Secret:
    label = rng.choice(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "])
    lines = [run(rng, B64, 16, 64, UPPER_DIGITS) for _ in range(rng.randint(1, 4))]
    block = f"-----BEGIN {label}PRIVATE KEY-----\n" + "\n".join(lines)
    return Secret("pem_private_key", block + f"\n-----END {label}PRIVATE KEY-----", tuple(lines))


def url_password(rng: random.Random) -> Secret:
    while True:
        password = run(rng, URL_PASSWORD, WINDOW, 40)
        if not password[:6].split("/")[0].split(";")[0].isdigit():  # not "port/path"
            break
    scheme = rng.choice(["https", "postgres", "redis", "amqp+ssl", "smtp"])
    user = rng.choice([run(rng, ALNUM + "._-", 1, 12), "me@mail.example.com", ""])
    host = rng.choice(["db.internal:5432", "example.com", "10.0.0.7"])
    return Secret("url_password", f"{scheme}://{user}:{password}@{host}/db", (password,))


def connection_string_password(rng: random.Random) -> Secret:
    password = rng.choice(ALNUM) + run(rng, CONN_PASSWORD, 11, 30)  # not a path: "/..."
    braced = run(rng, CONN_PASSWORD + "; =&", WINDOW, 30, UPPER_DIGITS)
    forms = [
        ("jdbc:sqlserver://db:1433;user=app;password={};encrypt=true", password),
        ("jdbc:mysql://db:3306/app?user=me@corp.example&password={}&ssl=true", password),
        ("Driver={{ODBC Driver 18}};Server=db;UID=app;PWD={{{}}};", braced),
        ("DB_PASSWORD={}", password),
    ]
    form, secret = rng.choice(forms)
    return Secret("connection_string_password", form.format(secret), (secret,))


def bearer_token(rng: random.Random) -> Secret:
    word = rng.choice(["Bearer", "bearer", "BEARER", "Authorization: Bearer"])
    token = run(rng, ALNUM + "-._~+/", 8, 80, DIGITS)
    padding = rng.choice(["", "=", "=="])
    return Secret("bearer_token", word + rng.choice([" ", "\t", "\\t"]) + token + padding, (token,))


def basic_auth(rng: random.Random) -> Secret:
    user, password = run(rng, ALNUM, 4, 10), run(rng, ALNUM + "!@#$", 8, 20)
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    word = rng.choice(["Authorization: Basic ", "Authorization=Basic ", "BASIC "])
    return Secret("basic_auth", word + encoded, (encoded.rstrip("="),))


KINDS: dict[str, Callable[[random.Random], Secret]] = {
    kind.__name__: kind
    for kind in (
        openai_key,
        anthropic_key,
        aws_access_key_id,
        aws_secret_access_key,
        named_api_key,
        azure_storage_key,
        webhook_url,
        github_token,
        gitlab_token,
        slack_token,
        huggingface_token,
        stripe_live_key,
        google_api_key,
        package_registry_token,
        sendgrid_key,
        twilio_api_key,
        discord_bot_token,
        telegram_bot_token,
        ai_platform_key,
        json_web_token,
        pem_private_key,
        url_password,
        connection_string_password,
        bearer_token,
        basic_auth,
    )
}
"""Each built-in rule's name, and how to draw a fresh secret of its kind."""


def every_kind(rng: random.Random) -> list[Secret]:
    """One fresh secret of every kind."""
    return [draw(rng) for draw in KINDS.values()]
