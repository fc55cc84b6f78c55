"""Presets, environment variables, overrides and the errors bad values give."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog
from wf_structlog import ConfigError, configure, get_logger, testing
from wf_structlog.config import PRESETS
from wf_structlog.typing import EventDict

ROOT = Path(__file__).resolve().parent.parent


class TestPresets:
    def test_every_preset_ships_in_the_package(self) -> None:
        """configs/ holds one TOML file per preset, and they are the packaged ones."""
        shipped = {p.stem for p in (ROOT / "configs").glob("*.toml")}
        assert shipped == set(PRESETS)
        packaged = Path(wf_structlog.__file__).parent / "configs"
        assert (ROOT / "configs").resolve() == packaged.resolve()

    def test_dev(self) -> None:
        """dev: rich console on stderr, DEBUG, strict scopes."""
        settings = configure("dev")
        assert (settings.console, settings.stdout, settings.level, settings.strict) == (
            True,
            False,
            "debug",
            True,
        )

    def test_prod_writes_ndjson_on_stdout(self, capfd: pytest.CaptureFixture[str]) -> None:
        """prod: one JSON object per line on stdout, INFO and up, nothing on stderr."""
        configure("prod")
        log = get_logger()
        log.debug("hidden")
        log.info("shown", n=1)
        out, err = capfd.readouterr()
        assert err == ""
        (line,) = out.splitlines()
        event = orjson.loads(line)
        assert event["event"] == "shown"
        assert event["n"] == 1
        assert event["level"] == "info"
        assert "\x1b" not in out

    def test_test_preset_keeps_events(self) -> None:
        """test: events kept in memory, nothing printed."""
        configure("test")
        get_logger().debug("kept")
        assert [e["event"] for e in testing.events()] == ["kept"]

    def test_off(self, capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """off: nothing is written, even where an override names an output."""
        configure("off", console=True, stdout=True, file=tmp_path / "x.ndjson")
        get_logger().critical("gone")
        assert capfd.readouterr() == ("", "")
        assert not (tmp_path / "x.ndjson").exists()

    def test_preset_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """WF_LOG_PRESET picks the preset when configure() names none."""
        monkeypatch.setenv("WF_LOG_PRESET", "test")
        get_logger().info("x")
        assert wf_structlog.current_settings().preset == "test"
        assert len(testing.events()) == 1

    def test_user_toml_file_extends_a_preset(self, tmp_path: Path) -> None:
        """A TOML file of the user's works as a preset and may extend a built-in one."""
        path = tmp_path / "mine.toml"
        path.write_text('extends = "test"\nlevel = "warning"\nredact_keys = ["ssn"]\n')
        settings = configure(str(path))
        assert settings.capture is True
        assert settings.level == "warning"
        get_logger().info("dropped")
        get_logger().warning("kept", ssn="123-45-6789")
        (event,) = testing.events()
        assert event["ssn"] == "[REDACTED]"


class TestOverrides:
    def test_explicit_arguments_beat_environment(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """configure() arguments win over WF_LOG_* variables, which win over the preset."""
        monkeypatch.setenv("WF_LOG_LEVEL", "error")
        monkeypatch.setenv("WF_LOG_FILE", str(tmp_path / "env.ndjson"))
        monkeypatch.setenv("WF_LOG_DOC_DIR", str(tmp_path / "docs"))
        assert configure("test").level == "error"
        settings = configure("test", level="info", file=tmp_path / "arg.ndjson")
        assert settings.level == "info"
        assert settings.file == str(tmp_path / "arg.ndjson")
        assert settings.doc_dir == str(tmp_path / "docs")

    def test_file_is_appended(self, tmp_path: Path) -> None:
        """file= appends NDJSON: lines already there stay."""
        path = tmp_path / "run.ndjson"
        path.write_bytes(b'{"event":"old"}\n')
        configure("test", file=path)
        get_logger().info("new")
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [e["event"] for e in events] == ["old", "new"]

    def test_console_override(self, capfd: pytest.CaptureFixture[str]) -> None:
        """console=True adds the rich console to prod's NDJSON."""
        configure("prod", console=True)
        get_logger().info("both")
        out, err = capfd.readouterr()
        assert orjson.loads(out)["event"] == "both"
        assert "both" in err

    def test_user_processor_runs_before_redaction(self) -> None:
        """A user processor sees safe values, and what it adds is still redacted."""
        seen: list[object] = []

        def add_secret(logger: object, method: str, event: EventDict) -> EventDict:
            seen.append(event["obj"])
            event["password"] = "hunter2"
            return event

        configure("test", processors=[add_secret])
        get_logger().info("e", obj={1, 2})
        assert seen == [[1, 2]]
        assert testing.events()[0]["password"] == "[REDACTED]"

    def test_processor_as_import_path(self, tmp_path: Path) -> None:
        """In TOML, processors are 'module:name' strings."""
        path = tmp_path / "p.toml"
        path.write_text('extends = "test"\nprocessors = ["wf_structlog.processors:add_sequence"]\n')
        assert configure(str(path)).processors[0].__name__ == "add_sequence"


class TestBadValues:
    def test_unknown_preset(self) -> None:
        """An unknown preset name names itself and the valid ones."""
        with pytest.raises(ConfigError, match=r"unknown preset 'staging'.*dev, prod, test, off"):
            configure("staging")

    def test_level_aliases(self) -> None:
        """level accepts structlog's method aliases: warn is warning."""
        assert configure("test", level="WARN").level == "warning"

    def test_unknown_level(self) -> None:
        """An unknown level names itself and the valid ones."""
        with pytest.raises(ConfigError, match=r"unknown level 'loud'.*debug, info, warning"):
            configure("test", level="loud")

    def test_level_from_environment_is_checked(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bad WF_LOG_LEVEL is reported by configure, not later."""
        monkeypatch.setenv("WF_LOG_LEVEL", "verbose")
        with pytest.raises(ConfigError, match="verbose"):
            configure()

    def test_unwritable_file(self, tmp_path: Path) -> None:
        """A log file that cannot be opened names the path and the reason."""
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("")
        with pytest.raises(ConfigError, match=r"cannot use file .*not-a-dir/run.ndjson"):
            configure("test", file=blocker / "run.ndjson")

    def test_unusable_doc_dir(self, tmp_path: Path) -> None:
        """A doc_dir that cannot be created names the path and the reason."""
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(ConfigError, match="cannot use doc_dir"):
            configure("test", doc_dir=blocker / "docs")

    def test_bad_config_keeps_the_previous_one(self, tmp_path: Path) -> None:
        """A failed configure() leaves the configuration in force untouched."""
        configure("test")
        with pytest.raises(ConfigError):
            configure("test", level="nope")
        get_logger().info("still")
        assert testing.events()[-1]["event"] == "still"

    def test_unknown_toml_setting(self, tmp_path: Path) -> None:
        """A misspelt key in a TOML preset names itself and the valid keys."""
        path = tmp_path / "bad.toml"
        path.write_text("levle = 'info'\n")
        with pytest.raises(ConfigError, match=r"unknown setting 'levle'; valid settings: .*level"):
            configure(str(path))

    def test_wrong_toml_type(self, tmp_path: Path) -> None:
        """A TOML value of the wrong type is named."""
        path = tmp_path / "bad.toml"
        path.write_text("console = 'yes'\n")
        with pytest.raises(ConfigError, match="console must be a bool"):
            configure(str(path))

    def test_missing_preset_file(self, tmp_path: Path) -> None:
        """A preset path that does not exist is named."""
        with pytest.raises(ConfigError, match="cannot read preset file"):
            configure(str(tmp_path / "nope.toml"))

    def test_bad_processor(self) -> None:
        """A processor that is not callable, or cannot be imported, is named."""
        with pytest.raises(ConfigError, match="not callable"):
            configure("test", processors=[42])  # type: ignore[list-item]
        with pytest.raises(ConfigError, match="cannot be imported"):
            configure("test", processors=["no.such.module:thing"])


def test_wheel_contains_presets_and_schema(tmp_path: Path) -> None:
    """An installed wheel has the presets, the document schema and the price table."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for preset in PRESETS:
        assert f"wf_structlog/configs/{preset}.toml" in names
    assert "wf_structlog/document.schema.json" in names
    assert "wf_structlog/py.typed" in names
    assert "wf_structlog/cost/prices.toml" in names


class TestZeroConfigurationFallback:
    def test_a_bad_variable_is_dropped_and_the_rest_kept(self, tmp_path: Path) -> None:
        """With no configure() call, a bad WF_LOG_* value is said once on stderr and left
        out; the valid ones (here prod, and the file) still apply, and under prod a misuse
        does not stop the program."""
        code = (
            "import wf_structlog as wfl\n"
            "log = wfl.get_logger()\n"
            "with wfl.workflow('w') as wf:\n"
            "    log.info('inside')\n"
            "wf.end()\n"
            "print('still running')\n"
        )
        env = {
            **os.environ,
            "WF_LOG_PRESET": "prod",
            "WF_LOG_LEVEL": "verbose",
            "WF_LOG_FILE": str(tmp_path / "run.ndjson"),
            "WF_LOG_DOC_DIR": "/proc/nope",
        }
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        out = done.stdout.splitlines()
        assert out[-1] == "still running"
        assert any(orjson.loads(line)["event"] == "inside" for line in out[:-1])
        assert done.stderr.count("ignoring WF_LOG_LEVEL, WF_LOG_DOC_DIR") == 1
        assert "verbose" in done.stderr
        lines = (tmp_path / "run.ndjson").read_bytes().splitlines()
        assert orjson.loads(lines[-1])["event"] == "scope_misuse"


class TestArgumentTypes:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"console": "no"}, "console must be True or False"),
            ({"strict": "false"}, "strict must be True or False"),
            ({"file": 123}, "file must be a path"),
            ({"processors": print}, "processors must be a list"),
            ({"redact_keys": [1]}, "redact_keys must be a list of strings"),
        ],
    )
    def test_wrong_types_are_named(self, kwargs: dict[str, Any], message: str) -> None:
        """A value of the wrong type is a ConfigError naming the setting, not a crash later."""
        with pytest.raises(ConfigError, match=message):
            configure("test", **kwargs)

    def test_preset_as_a_path_object(self, tmp_path: Path) -> None:
        """A pathlib.Path works as a preset; a user file without extends starts from dev."""
        path = tmp_path / "mine.toml"
        path.write_text('level = "warning"\n')
        settings = configure(path)
        assert (settings.console, settings.level, settings.strict) == (True, "warning", True)
