"""Which key names hold secrets: about a hundred secret-looking names in every casing are
redacted, and the names of counts, flags and ids that merely mention a secret word are not."""

from __future__ import annotations

import pytest

from wf_structlog import get_logger
from wf_structlog.processors._secret_keys import normal_key
from wf_structlog.processors.redaction import Redactor
from wf_structlog.testing import Capture

SECRET_NAMES = [
    # passwords
    *["password", "Password", "PASSWORD", "passwd", "pwd", "passphrase", "db_password"],
    *["dbPassword", "DB_PASSWORD", "db-password", "db.password", "adminPassword"],
    *["root_password", "newPassword", "old_password", "userPassword"],
    *["keystorePassphrase", "mysql_pwd", "RootPwd"],
    # tokens
    *["token", "Token", "access_token", "accessToken", "AccessToken", "ACCESS_TOKEN"],
    *["refresh_token", "refreshToken", "id_token", "idToken", "session_token", "sessionToken"],
    *["SessionToken", "auth_token", "authToken", "X-Auth-Token", "bearer_token", "bearerToken"],
    *["csrf_token", "csrfToken", "xsrfToken", "api_token", "apiToken", "github_token"],
    *[
        "GITHUB_TOKEN",
        "slackBotToken",
        "bot_token",
        "oauth_token",
        "OAuthToken",
        "x-amz-security-token",
    ],
    *[
        "aws_session_token",
        "AWS_SESSION_TOKEN",
        "hfToken",
        "DISCORD_BOT_TOKEN",
        "TWILIO_AUTH_TOKEN",
    ],
    # secrets
    *["secret", "client_secret", "clientSecret", "ClientSecret", "CLIENT_SECRET", "app_secret"],
    *["appSecret", "webhook_secret", "webhookSecret", "signing_secret", "jwtSecret"],
    *["consumer_secret", "totp_secret", "shared-secret"],
    # keys
    *["api_key", "apiKey", "ApiKey", "APIKey", "API_KEY", "apikey", "x-api-key", "X-API-Key"],
    *["openai_api_key", "OPENAI_API_KEY", "anthropicApiKey", "GOOGLE_API_KEY", "mistralApiKey"],
    *["secret_key", "secretKey", "SECRET_KEY", "django_secret_key", "secret_access_key"],
    *["SecretAccessKey", "secretAccessKey", "aws_secret_access_key", "AWSSecretAccessKey"],
    *["access_key", "accessKey", "private_key", "privateKey", "PrivateKey", "PRIVATE_KEY"],
    *["ssh_private_key", "signing_key", "signingKey", "encryption_key", "encryptionKey"],
    *["master_key", "masterKey", "account_key", "AccountKey", "storageAccountKey"],
    *["subscription_key", "Ocp-Apim-Subscription-Key"],
    # headers, sessions, credentials, connection strings
    *["authorization", "Authorization", "Proxy-Authorization", "auth", "bearer", "jwt"],
    *["cookie", "Cookie", "cookies", "set_cookie", "Set-Cookie", "session", "SESSION"],
    *["credential", "credentials", "Credentials", "aws_credentials", "gcpCredentials"],
    *["dsn", "sentry_dsn", "SENTRY_DSN", "connection_string", "connectionString"],
    *["db_connection_string", "conn_str"],
]

# Counts, limits, flags, ids and names that only mention a secret word: kept. A hash of a
# password is not the password; "passwordless" is a flag.
INNOCENT_NAMES = [
    *["token_count", "tokens", "input_tokens", "output_tokens", "total_tokens", "max_tokens"],
    *["maxTokens", "max_completion_tokens", "prompt_tokens", "completion_tokens"],
    *["cached_tokens", "reasoning_tokens", "tokens_per_second", "token_type", "tokenizer"],
    *["token_limit", "num_tokens", "tokenCount", "passwordless", "password_length"],
    *["passwordPolicy", "password_hash", "secret_name", "secretArn"],
    *["secret_version", "public_key", "publicKey", "key", "keys", "key_id", "api_key_id"],
    *["apiKeyName", "access_key_id", "AccessKeyId", "auth_method", "authType", "author"],
    *["authority", "authenticated", "session_id", "sessionId", "cookie_policy", "bearer_format"],
    *["credential_type", "keyboard", "monkey", "turkey_count", "model", "prompt", "keyring"],
]


class TestSecretKeyNames:
    def test_about_a_hundred_names(self) -> None:
        """The list covers about a hundred secret names and fifty innocent ones."""
        assert len(set(SECRET_NAMES)) >= 100
        assert len(set(INNOCENT_NAMES)) >= 50
        assert not set(SECRET_NAMES) & set(INNOCENT_NAMES)

    @pytest.mark.parametrize("name", SECRET_NAMES)
    def test_secret_names_are_secret(self, name: str) -> None:
        """A secret-looking name, in snake, kebab, camel, Pascal or upper case, is secret."""
        assert Redactor().is_secret(name)

    @pytest.mark.parametrize("name", INNOCENT_NAMES)
    def test_innocent_names_are_kept(self, name: str) -> None:
        """A name that only mentions a secret word (a count, a flag, an id) is not secret."""
        assert not Redactor().is_secret(name)

    @pytest.mark.parametrize(
        ("name", "normal"),
        [
            ("accessToken", "access_token"),
            ("SecretAccessKey", "secret_access_key"),
            ("APIKey", "api_key"),
            ("OAuth2Token", "o_auth2_token"),
            ("X-Api-Key", "x_api_key"),
            ("db.password", "db_password"),
            ("DB_PASSWORD", "db_password"),
        ],
    )
    def test_names_are_split_into_words(self, name: str, normal: str) -> None:
        """camelCase and PascalCase split into words, joined by "_", in lower case."""
        assert normal_key(name) == normal

    def test_values_under_camel_case_names_are_redacted(self, logs: Capture) -> None:
        """In an event, nested values under camelCase secret names are replaced."""
        get_logger().info(
            "oauth",
            response={"accessToken": "at-1", "refreshToken": "rt-1", "expiresIn": 3600},
            creds={"SecretAccessKey": "k", "AccessKeyId": "id", "SessionToken": "s"},
            clientSecret="cs",
            usage={"inputTokens": 12, "max_tokens": 40},
        )
        event = logs.events[0]
        assert event["response"] == {
            "accessToken": "[REDACTED]",
            "refreshToken": "[REDACTED]",
            "expiresIn": 3600,
        }
        assert event["creds"] == {
            "SecretAccessKey": "[REDACTED]",
            "AccessKeyId": "id",
            "SessionToken": "[REDACTED]",
        }
        assert event["clientSecret"] == "[REDACTED]"
        assert event["usage"] == {"inputTokens": 12, "max_tokens": 40}

    def test_your_extra_names_match_in_any_casing(self) -> None:
        """A name given in redact_keys matches its camelCase and kebab-case spellings."""
        redactor = Redactor(["employee_ssn"])
        assert redactor.is_secret("employeeSsn")
        assert redactor.is_secret("Employee-SSN")
