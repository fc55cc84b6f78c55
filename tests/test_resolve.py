"""The merge order, and errors that say where a bad value came from."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

import wf_structlog
from wf_structlog import ConfigError, configure
from wf_structlog.config import SETTINGS

BAD_VALUES = {
    "WF_LOG_PRESET": ("staging", "unknown preset 'staging'"),
    "WORKFLOW_LOGGING": ("maybe", "true, 1, on, yes .* false, 0, off, no .*'maybe'"),
    "WF_LOG_LEVEL": ("loud", "unknown level 'loud': choose one of debug, info"),
    "WF_LOG_THREADS": ("sometimes", "threads must be one of auto, explicit"),
    "WF_LOG_FSYNC": ("always", "fsync must be one of never, scope, event"),
    "WF_LOG_INSTRUMENT": ("cohere", "cannot instrument 'cohere'"),
    "WF_LOG_PRICES": ("/no/such/prices.toml", "prices"),
    "WF_LOG_OTLP": ("yes please", "got 'yes please'"),
}
"""A bad value for every variable whose check can refuse it (paths are refused when opened)."""


class TestEnvironmentErrors:
    def test_every_checked_variable_has_a_case(self) -> None:
        """A setting that gains a variable gains a case here (the paths fail at opening)."""
        variables = {row.env for row in SETTINGS if row.env is not None}
        assert variables - set(BAD_VALUES) == {"WF_LOG_FILE", "WF_LOG_DOC_DIR"}

    @pytest.mark.parametrize("variable", sorted(BAD_VALUES))
    def test_a_bad_variable_is_named(self, variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """configure() raises a ConfigError that starts with the variable's name, then says
        what is wrong and what would work."""
        value, message = BAD_VALUES[variable]
        monkeypatch.setenv(variable, value)
        with pytest.raises(ConfigError, match=f"^{variable}: .*{message}"):
            configure()

    def test_level_of_prod(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """WF_LOG_LEVEL=loud with configure("prod") names WF_LOG_LEVEL and the levels."""
        monkeypatch.setenv("WF_LOG_LEVEL", "loud")
        with pytest.raises(ConfigError) as raised:
            configure("prod")
        assert str(raised.value) == (
            "WF_LOG_LEVEL: unknown level 'loud': choose one of debug, info, warning, error, "
            "critical"
        )

    def test_an_argument_is_not_blamed_on_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bad argument is named as the setting; the variable it beats is not read."""
        monkeypatch.setenv("WF_LOG_LEVEL", "loud")
        assert configure("test", level="info").level == "info"
        with pytest.raises(ConfigError, match=r"^unknown level 'verbose'"):
            configure("test", level="verbose")


class TestWorkflowLogging:
    @pytest.mark.parametrize("word", ["false", "0", "OFF", "no"])
    def test_an_off_word_turns_logging_off_whatever_else_says(
        self, word: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WORKFLOW_LOGGING=false beats the preset and the arguments."""
        monkeypatch.setenv("WORKFLOW_LOGGING", word)
        assert configure("prod", enabled=True).enabled is False

    @pytest.mark.parametrize("word", ["true", "1", "on", "Yes"])
    def test_an_on_word_leaves_the_preset_alone(
        self, word: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WORKFLOW_LOGGING=1 keeps logging on, and does not turn the off preset on."""
        monkeypatch.setenv("WORKFLOW_LOGGING", word)
        assert configure("prod").enabled is True
        assert configure("off").enabled is False

    def test_enabled_argument(self) -> None:
        """configure(enabled=False) turns logging off under any preset."""
        assert configure("prod", enabled=False).enabled is False


def run_unconfigured(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A program that logs without calling configure(), under *env*."""
    code = (
        "import wf_structlog as wfl\n"
        "log = wfl.get_logger()\n"
        "log.info('first')\n"
        "log.info('second')\n"
        "print('still running')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "WF_LOG_PRESET": "prod", **env},
        check=True,
        timeout=60,
    )


class TestFirstUseFallback:
    def test_an_unknown_switch_is_said_once_and_logging_stays_on(self) -> None:
        """WORKFLOW_LOGGING=maybe is not silently taken as on: stderr names the variable and
        the accepted words, once, and the program logs on."""
        done = run_unconfigured({"WORKFLOW_LOGGING": "maybe"})
        lines = done.stdout.splitlines()
        assert lines[-1] == "still running"
        assert [orjson.loads(line)["event"] for line in lines[:-1]] == ["first", "second"]
        (message,) = done.stderr.splitlines()
        assert message.startswith("wf_structlog: WORKFLOW_LOGGING: must be one of true, 1, on")
        assert "false, 0, off, no" in message
        assert "ignoring WORKFLOW_LOGGING" in message

    def test_a_bad_level_falls_back_and_names_the_variable(self) -> None:
        """WF_LOG_LEVEL=loud at first use: said once, naming the variable; the preset's level
        is used."""
        done = run_unconfigured({"WF_LOG_LEVEL": "loud"})
        (message,) = done.stderr.splitlines()
        assert "WF_LOG_LEVEL: unknown level 'loud'" in message
        assert message.count("ignoring WF_LOG_LEVEL") == 1
        assert len(done.stdout.splitlines()) == 3


class TestChangeLevel:
    def test_set_global_verbosity_changes_the_settings(self) -> None:
        """set_global_verbosity goes through the configuration: current_settings() says the
        new level, and loggers follow it."""
        configure("test")
        wf_structlog.set_global_verbosity("WARN")
        assert wf_structlog.current_settings().level == "warning"
        log = wf_structlog.get_logger()
        log.info("hidden")
        log.warning("shown")
        assert [e["event"] for e in wf_structlog.testing.events()] == ["shown"]

    def test_an_unknown_level_changes_nothing(self) -> None:
        """A bad level is a ConfigError, and the level in force stays."""
        configure("test", level="info")
        with pytest.raises(ConfigError, match="unknown level 'loud'"):
            wf_structlog.set_global_verbosity("loud")
        assert wf_structlog.current_settings().level == "info"
