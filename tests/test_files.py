"""Every file and directory wf_structlog creates is private, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from wf_structlog._files import dir_mode, make_dirs, open_private, replace_privately, write_all

# One program that drives every writer of the library: the NDJSON file (in directories it
# creates), the documents, the side files of cut values and the old WorkflowLogger's file.
WRITERS = textwrap.dedent(
    """
    import sys
    import wf_structlog as wfl

    mode = int(sys.argv[1], 8)
    wfl.configure(
        "prod", stdout=False, file="lib/a/b/run.ndjson", doc_dir="lib/docs/deep",
        payload_files=True, max_value_chars=100, file_mode=mode,
    )
    with wfl.workflow("w"), wfl.interaction("planner"):
        wfl.get_logger().info("llm_call", prompt="q" * 500)
    old = wfl.WorkflowLogger("legacy", log_dir="lib/logs/deep")
    old.start_iteration(1)
    old.end_iteration()  # writes the document a first time ...
    old.finalize()  # ... and replaces it
    """
)


def modes(root: Path) -> dict[str, int]:
    """The permission bits of everything under *root*, by relative path."""
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in sorted(root.rglob("*"))
    }


def run(args: list[str], cwd: Path, umask: int) -> None:
    done = subprocess.run(
        args, cwd=cwd, umask=umask, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


class TestEveryWriter:
    @pytest.mark.parametrize(
        ("umask", "file_mode"),
        [(0o022, 0o600), (0o000, 0o600), (0o077, 0o640)],
        ids=["umask022", "umask000", "umask077-mode640"],
    )
    def test_library_files_and_directories(
        self, tmp_path: Path, umask: int, file_mode: int
    ) -> None:
        """Under any umask, every file the library writes has file_mode exactly and every
        directory it creates the same bits plus search, with no .partial file left behind."""
        script = tmp_path / "writers.py"
        script.write_text(WRITERS, encoding="utf-8")
        run([sys.executable, str(script), oct(file_mode)], tmp_path, umask)
        found = modes(tmp_path / "lib")
        directories = {p for p in found if (tmp_path / "lib" / p).is_dir()}
        assert directories == {
            "a", "a/b", "a/b/run.payloads", "docs", "docs/deep", "logs", "logs/deep"
        }  # fmt: skip
        files = set(found) - directories
        assert len(files) == 5  # NDJSON, a side file, both runs' documents, the legacy file
        assert not [p for p in files if p.endswith(".partial")]
        assert {found[p] for p in directories} == {dir_mode(file_mode)}
        assert {found[p] for p in files} == {file_mode}

    def test_cli_outputs(self, tmp_path: Path) -> None:
        """wf-log reduce -o and wf-log report -o create their file readable by its owner
        only under umask 022, and an output that exists keeps its mode."""
        ndjson = tmp_path / "lib" / "a" / "b" / "run.ndjson"
        script = tmp_path / "writers.py"
        script.write_text(WRITERS, encoding="utf-8")
        run([sys.executable, str(script), "0o600"], tmp_path, 0o022)
        kept = tmp_path / "kept.json"
        kept.touch(mode=0o644)
        cli = [sys.executable, "-m", "wf_structlog.reading.cli"]
        for command, output in [("reduce", "out.json"), ("report", "report.html")]:
            run([*cli, command, str(ndjson), "-o", output], tmp_path, 0o022)
            assert stat.S_IMODE((tmp_path / output).stat().st_mode) == 0o600
        run([*cli, "reduce", str(ndjson), "-o", str(kept)], tmp_path, 0o022)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o644
        assert kept.stat().st_size > 0


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("umask_022")
class TestHelpers:
    def test_dir_mode(self) -> None:
        """A directory may be searched by whoever may read its files."""
        assert [dir_mode(m) for m in (0o600, 0o640, 0o644)] == [0o700, 0o750, 0o755]

    def test_make_dirs_leaves_existing_directories_alone(self, tmp_path: Path) -> None:
        """Only the directories make_dirs creates get its mode; one that exists keeps its own."""
        (tmp_path / "shared").mkdir(mode=0o755)
        make_dirs(tmp_path / "shared" / "x" / "y")
        make_dirs(tmp_path / "shared" / "x")  # already there: nothing to do
        assert modes(tmp_path) == {"shared": 0o755, "shared/x": 0o700, "shared/x/y": 0o700}

    def test_open_private_creates_exactly_or_keeps(self, tmp_path: Path) -> None:
        """A new file gets the mode asked for, bits the umask would drop included; an existing
        file is opened as it is."""
        fd = open_private(tmp_path / "new", os.O_WRONLY, 0o660)
        os.close(fd)
        (tmp_path / "old").write_bytes(b"x")
        os.chmod(tmp_path / "old", 0o604)
        os.close(open_private(tmp_path / "old", os.O_WRONLY | os.O_APPEND))
        assert modes(tmp_path) == {"new": 0o660, "old": 0o604}
        assert (tmp_path / "old").read_bytes() == b"x"

    def test_replace_privately_leaves_nothing_on_failure(self, tmp_path: Path) -> None:
        """A write that fails leaves the old file as it was and no .partial file."""
        target = tmp_path / "doc.json"
        target.write_bytes(b"old")

        def fail(fd: int) -> None:
            os.write(fd, b"half")
            raise OSError(28, "No space left on device")

        with pytest.raises(OSError, match="No space"):
            replace_privately(target, fail)
        assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
        assert target.read_bytes() == b"old"

    def test_replace_privately_leaves_nothing_when_the_rename_fails(self, tmp_path: Path) -> None:
        """The last step failing (here a directory where the file should go: the kernel refuses
        the rename) leaves no .partial file either, not even one fully written."""
        target = tmp_path / "doc.json"
        (target / "inside").mkdir(parents=True)
        with pytest.raises(IsADirectoryError):
            replace_privately(target, lambda fd: write_all(fd, b"{}"))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]
        assert target.is_dir()
