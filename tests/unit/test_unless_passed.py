"""tools/unless_passed: a static check runs again exactly when something it reads changed since it passed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.unless_passed import main, matching_files, run_unless_passed

PATTERNS = ("*.tf", "build/app.zip")


def check(exit_code: int = 0) -> list[str]:
    """A check that notes each run in the file runs (it runs in the repository) and exits with exit_code."""
    script = f"open('runs', 'a').write('run\\n'); raise SystemExit({exit_code})"
    return [sys.executable, "-c", script]


def runs(root: Path) -> int:
    path = root / "runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FRESH", raising=False)
    (tmp_path / "modules" / "queue").mkdir(parents=True)
    (tmp_path / "main.tf").write_text("# root\n")
    (tmp_path / "modules" / "queue" / "main.tf").write_text("# module\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.zip").write_bytes(b"zip")
    return tmp_path


def test_a_pass_on_the_same_inputs_is_not_run_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_unless_passed("tf", PATTERNS, [], check(), repo) == 0
    assert run_unless_passed("tf", PATTERNS, [], check(), repo) == 0
    assert runs(repo) == 1
    assert "tf: passed on these inputs before; not run again (FRESH=1 runs it)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: (r / "modules/queue/main.tf").write_text("# changed\n"), id="a file edited"),
        pytest.param(lambda r: (r / "modules/queue/main.tf").unlink(), id="a file deleted"),
        pytest.param(lambda r: (r / "modules/extra.tf").write_text("# new\n"), id="a file added"),
        pytest.param(lambda r: (r / "build/app.zip").write_bytes(b"other"), id="a named file changed"),
    ],
)
def test_any_change_to_the_inputs_runs_it_again(repo: Path, change: Callable[[Path], object]) -> None:
    run_unless_passed("tf", PATTERNS, [], check(), repo)
    change(repo)
    run_unless_passed("tf", PATTERNS, [], check(), repo)
    assert runs(repo) == 2


def test_another_tool_version_or_command_runs_it_again(repo: Path) -> None:
    run_unless_passed("tf", PATTERNS, ["1.11.4"], check(), repo)
    run_unless_passed("tf", PATTERNS, ["1.12.0"], check(), repo)
    run_unless_passed("tf", PATTERNS, ["1.12.0"], [*check(), "--flag"], repo)
    assert runs(repo) == 3


def test_a_failure_is_run_again_and_its_exit_code_kept(repo: Path) -> None:
    assert run_unless_passed("tf", PATTERNS, [], check(exit_code=3), repo) == 3
    assert run_unless_passed("tf", PATTERNS, [], check(exit_code=3), repo) == 3
    assert runs(repo) == 2


def test_fresh_runs_it_whatever_passed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_unless_passed("tf", PATTERNS, [], check(), repo)
    monkeypatch.setenv("FRESH", "1")
    run_unless_passed("tf", PATTERNS, [], check(), repo)
    assert runs(repo) == 2


def test_ignored_folders_and_virtualenvs_are_never_inputs(repo: Path) -> None:
    for folder in (".terraform/modules", ".venv-checkov/lib", "build/terraform-static"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "x.tf").write_text("")
    assert [p.relative_to(repo).as_posix() for p in matching_files(PATTERNS, repo)] == [
        "build/app.zip",
        "main.tf",
        "modules/queue/main.tf",
    ]


def test_a_missing_command_is_one_line_not_a_traceback(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_unless_passed("tf", PATTERNS, [], ["no-such-tool-here"], repo) == 127
    assert capsys.readouterr().err == "error: tf: no-such-tool-here is not installed\n"


def test_the_command_comes_after_a_double_dash(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["tf", "--inputs", "*.tf"])
    assert "give the check's command after --" in capsys.readouterr().err
