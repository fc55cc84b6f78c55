"""Bounded payloads: cut strings, the per-event budget, side files, and file permissions."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import ConfigError, configure, get_logger, testing
from wf_structlog.outputs.sinks import ConsoleSink
from wf_structlog.processors.payloads import SHORT_CHARS, PayloadLimits, SideFiles

MARKER = re.compile(r"…\[truncated: (\d+) chars, sha256:([0-9a-f]{64})(?:, file:([^\]]+))?\]$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


class TestCut:
    def test_long_values_keep_their_head_and_say_what_was_cut(self) -> None:
        """A value over max_value_chars keeps that many characters, then the length and hash."""
        configure("test", max_value_chars=1000)
        long = "".join(f"{i:05d}" for i in range(1000))
        get_logger().info("x", prompt=long, short="kept")
        event = testing.events()[0]
        marker = MARKER.search(event["prompt"])
        assert marker is not None
        assert event["prompt"].startswith(long[:1000] + "…[truncated")
        assert marker.groups() == (str(len(long)), sha256(long), None)
        assert event["short"] == "kept"

    def test_values_at_the_limit_are_whole(self) -> None:
        """A value exactly at the limit is not cut."""
        configure("test", max_value_chars=500)
        get_logger().info("x", prompt="y" * 500)
        assert testing.events()[0]["prompt"] == "y" * 500

    def test_default_limit(self) -> None:
        """By default a string is kept up to 64 KiB characters."""
        configure("test")
        get_logger().info("x", ok="a" * 65536, cut="b" * 65537)
        event = testing.events()[0]
        assert event["ok"] == "a" * 65536
        assert event["cut"].startswith("b" * 65536 + "…[truncated: 65537 chars")

    def test_nested_values_and_keys_are_cut(self) -> None:
        """Strings inside containers are cut as well."""
        configure("test", max_value_chars=300)
        get_logger().info("x", messages=[{"role": "user", "content": "z" * 400}])
        content = testing.events()[0]["messages"][0]["content"]
        assert content.startswith("z" * 300 + "…[truncated: 400 chars")

    def test_the_event_budget_cuts_later_long_strings(self) -> None:
        """Past max_event_chars, each further long string keeps only SHORT_CHARS characters;
        short strings and wf_structlog's own keys are untouched."""
        configure("test", max_value_chars=1000, max_event_chars=1500)
        with wfl.workflow("w"):
            get_logger().info("x", a="a" * 1000, b="b" * 1000, c="c" * 1000, d="short")
        event = testing.events()[1]
        assert len(event["a"]) == 1000
        assert event["b"].startswith("b" * 500 + "…")
        assert event["c"].startswith("c" * SHORT_CHARS + "…")
        assert (event["d"], event["workflow"]) == ("short", "w")
        assert re.fullmatch("[0-9a-f]{32}", event["workflow_id"])

    def test_a_secret_across_the_cut_is_redacted_whole(self) -> None:
        """Redaction runs on the whole value before the cut: no part of a secret survives."""
        body = "Q1w2E3r4T5y6U7i8O9p0"
        configure("test", max_value_chars=100)
        for offset in range(len(body) + 4):
            get_logger().info("x", prompt="p" * (99 - offset) + " sk-" + body + " tail" * 30)
        for event in testing.events():
            assert not [body[i : i + 4] for i in range(17) if body[i : i + 4] in event["prompt"]]
            assert event["prompt"].startswith("p" * (99 - len(body) - 3))

    def test_a_fifty_megabyte_prompt(self, tmp_path: Path) -> None:
        """A 50 MB prompt is written as one bounded line and one short console line."""
        console = io.StringIO()
        path = tmp_path / "run.ndjson"
        configure("test", file=path)
        prompt = "Please summarise this. " * (50 * 1024 * 1024 // 23)
        get_logger().info("llm_call", prompt=prompt)
        ConsoleSink(stream=console).emit("info", testing.events()[0])
        (event,) = read_ndjson(path)
        assert path.stat().st_size < 70_000
        assert event["prompt"].endswith(f"{len(prompt)} chars, sha256:{sha256(prompt)}]")
        assert len(console.getvalue()) < 1000

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_value_chars": 0}, "max_value_chars must be a whole number"),
            ({"max_event_chars": True}, "max_event_chars must be a whole number"),
            ({"max_value_chars": "64k"}, "max_value_chars must be a whole number"),
            ({"payload_files": True}, "payload_files needs file"),
            ({"payload_files": "yes"}, "payload_files must be True or False"),
        ],
    )
    def test_bad_limits_are_named(self, kwargs: dict[str, Any], message: str) -> None:
        """Limits that cannot work are ConfigErrors naming the setting."""
        with pytest.raises(ConfigError, match=message):
            configure("test", **kwargs)

    def test_limits_check_their_arguments(self) -> None:
        """PayloadLimits used directly refuses a limit below one character."""
        with pytest.raises(ValueError, match="max_value_chars"):
            PayloadLimits(max_value_chars=0)


class TestSideFiles:
    def test_cut_values_are_kept_whole_and_redacted(self, tmp_path: Path) -> None:
        """With payload_files, the whole value (redacted) is in a file the marker names."""
        path = tmp_path / "run.ndjson"
        configure("test", file=path, payload_files=True, max_value_chars=300)
        secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
        value = "w" * 500 + f" token {secret} " + "v" * 500
        get_logger().info("x", prompt=value)
        get_logger().info("y", again=value)
        events = read_ndjson(path)
        marker = MARKER.search(events[0]["prompt"])
        assert marker is not None
        side = path.parent / str(marker.group(3))
        written = side.read_text(encoding="utf-8")
        assert written == value.replace(secret, "[REDACTED:github_token]")
        assert marker.group(2) == sha256(written)
        assert secret not in written
        assert [p.name for p in side.parent.iterdir()] == [side.name]  # one file per value
        assert MARKER.search(events[1]["again"]).group(3) == marker.group(3)  # type: ignore[union-attr]

    def test_an_unwritable_side_file_keeps_the_marker(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """If the side file cannot be written, the marker has no file and stderr says so once."""
        blocked = tmp_path / "run.payloads"
        blocked.write_text("not a directory")
        side_files = SideFiles(tmp_path / "run.ndjson")
        assert side_files.store("ab" * 32, b"data") is None
        assert "cannot write payload file" in capsys.readouterr().err


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
class TestFileModes:
    def test_files_we_create_are_private(self, tmp_path: Path) -> None:
        """NDJSON files, documents and side files are created readable by their owner only."""
        path = tmp_path / "run.ndjson"
        configure("test", file=path, doc_dir=tmp_path / "docs", payload_files=True)
        with wfl.workflow("w"):
            get_logger().info("x", prompt="q" * 70_000)
        (document,) = (tmp_path / "docs").iterdir()
        (side,) = (tmp_path / "run.payloads").iterdir()
        assert [mode(p) for p in (path, document, side)] == [0o600] * 3
        assert mode(tmp_path / "run.payloads") == 0o700

    def test_file_mode_is_configurable(self, tmp_path: Path) -> None:
        """file_mode sets the permission bits of created files."""
        path = tmp_path / "run.ndjson"
        configure("test", file=path, doc_dir=tmp_path / "docs", file_mode=0o640)
        with wfl.workflow("w"):
            pass
        (document,) = (tmp_path / "docs").iterdir()
        assert (mode(path), mode(document)) == (0o640, 0o640)

    def test_an_existing_file_keeps_its_mode(self, tmp_path: Path) -> None:
        """A file that already exists is appended to without changing its permissions."""
        path = tmp_path / "run.ndjson"
        path.touch(mode=0o644)
        configure("test", file=path)
        get_logger().info("x")
        assert mode(path) == 0o644

    def test_file_mode_in_toml(self, tmp_path: Path) -> None:
        """A preset file can set file_mode as an octal number."""
        preset = tmp_path / "mine.toml"
        preset.write_text('extends = "test"\nfile_mode = 0o640\nmax_value_chars = 100\n')
        settings = configure(preset)
        assert (settings.file_mode, settings.max_value_chars) == (0o640, 100)

    @pytest.mark.parametrize("bad", [0o200, 0o1600, -1, "600", True])
    def test_bad_file_modes_are_named(self, bad: Any) -> None:
        """A mode the owner cannot read and write, or not a mode at all, is a ConfigError."""
        with pytest.raises(ConfigError, match="file_mode must be permission bits"):
            configure("test", file_mode=bad)
