"""The one table of settings, and every view of it: defaults, TOML files, docs, configure()."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import wf_structlog
from wf_structlog import ConfigError, Settings, configure
from wf_structlog.config import SETTINGS, resolve, settings_table_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_settings_table() -> str:
    """The table of settings in the README's "Presets and environment" section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Presets and environment") :]
    match = re.search(r"^\| argument \|.*?\n(?=[^|])", section, re.DOTALL | re.MULTILINE)
    assert match is not None, "the README lost its table of settings"
    return match.group(0)


class TestTheTable:
    def test_readme_shows_the_table(self) -> None:
        """The README's settings table (names, variables, types, defaults, docs) is the one
        generated from the table of settings; print settings_table_markdown() to update it."""
        assert readme_settings_table() == settings_table_markdown()

    def test_every_setting_is_a_keyword_of_configure(self) -> None:
        """configure() takes exactly the table's settings, in the table's order."""
        assert list(inspect.signature(configure).parameters) == [row.name for row in SETTINGS]

    def test_every_setting_is_a_field_of_settings(self) -> None:
        """Settings has one field per row, whose default is the row's."""
        fields = dataclasses.fields(Settings)
        assert [(f.name, f.default) for f in fields] == [(r.name, r.default) for r in SETTINGS]

    def test_the_package_docstring_carries_the_table(self) -> None:
        """help(wf_structlog.config) shows the same table."""
        assert settings_table_markdown() in (wf_structlog.config.__doc__ or "")


class TestDefaults:
    def test_the_defaults_are_what_a_user_without_a_preset_gets(self) -> None:
        """Settings() equals the dev preset, which is what no preset means."""
        assert resolve("dev", {}) == Settings() == resolve(None, {})

    def test_threads_follow_the_caller_by_default(self) -> None:
        """Without a preset threads are "auto", as in every preset that logs."""
        assert Settings().threads == "auto"
        assert {resolve(p, {}).threads for p in ("dev", "prod", "test")} == {"auto"}

    def test_a_file_of_your_own_with_no_extends_is_dev(self, tmp_path: Path) -> None:
        """A TOML file that sets one thing differs from the defaults in that thing only."""
        path = tmp_path / "mine.toml"
        path.write_text('fsync = "scope"\n')
        assert configure(path) == dataclasses.replace(Settings(), preset=str(path), fsync="scope")


class TestPresetFiles:
    @pytest.mark.parametrize("line", ["sinks = []", 'preset = "prod"'])
    def test_objects_and_the_preset_itself_are_not_file_settings(
        self, tmp_path: Path, line: str
    ) -> None:
        """A file cannot hold sinks (objects) or name a preset (it uses extends)."""
        path = tmp_path / "bad.toml"
        path.write_text(line + "\n")
        with pytest.raises(ConfigError, match="unknown setting"):
            configure(path)

    def test_a_bad_value_in_a_file_names_the_file(self, tmp_path: Path) -> None:
        """A value a file holds that its check refuses is named with the preset it came from."""
        path = tmp_path / "mine.toml"
        path.write_text('level = "loud"\n')
        with pytest.raises(ConfigError, match=r"preset '.*mine.toml': unknown level 'loud'"):
            configure(path)


class TestUnknownSettings:
    def test_capture_refuses_a_misspelt_setting(self) -> None:
        """testing.capture(levle=...) names the unknown setting instead of ignoring it."""
        with (
            pytest.raises(ConfigError, match=r"unknown setting 'levle'; valid settings: enabled"),
            wf_structlog.testing.capture(levle="info"),
        ):
            pass
