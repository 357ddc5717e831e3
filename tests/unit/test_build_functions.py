"""The zip builder: byte-identical output, nothing but the function's files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tools import build_functions


@pytest.fixture
def functions_dir(tmp_path: Path) -> Path:
    function = tmp_path / "functions" / "hello"
    (function / "pkg" / "__pycache__").mkdir(parents=True)
    (function / "app.py").write_text("def handler(event, context):\n    return event\n")
    (function / "pkg" / "util.py").write_text("X = 1\n")
    (function / "pkg" / "__pycache__" / "util.cpython-312.pyc").write_bytes(b"cache")
    (function / "stale.pyc").write_bytes(b"cache")
    return tmp_path / "functions"


def build(functions_dir: Path, build_dir: Path) -> bytes:
    assert build_functions.main(["--functions", str(functions_dir), "--build", str(build_dir)]) == 0
    return (build_dir / "hello.zip").read_bytes()


def test_building_twice_gives_identical_bytes(functions_dir: Path, tmp_path: Path) -> None:
    first = build(functions_dir, tmp_path / "a")
    # touching files and changing modes must not change the package
    for path in functions_dir.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        path.chmod(0o755)
    assert build(functions_dir, tmp_path / "b") == first


def test_zip_holds_sorted_sources_without_caches(functions_dir: Path, tmp_path: Path) -> None:
    build(functions_dir, tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out" / "hello.zip") as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["app.py", "pkg/util.py"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_a_folder_without_python_is_refused(tmp_path: Path) -> None:
    (tmp_path / "functions" / "empty").mkdir(parents=True)
    with pytest.raises(SystemExit, match="no Python file"):
        build_functions.main(["--functions", str(tmp_path / "functions"), "--build", str(tmp_path / "b")])


def test_the_repository_functions_build(tmp_path: Path) -> None:
    from tests.conftest import REPO_ROOT

    assert build_functions.main(["--functions", str(REPO_ROOT / "functions"), "--build", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.zip")) == ["check_output_queue.zip", "process_input_queue.zip"]
