"""The runner's catalog: one function's slow refresh holds up no other, and shared code unpacks once."""

from __future__ import annotations

import threading
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from localcloud.runner import catalog as catalog_module
from localcloud.runner.catalog import Catalog

CODE = "def handler(event, context):\n    return 1\n"


@pytest.fixture
def zip_url(tmp_path: Path) -> str:
    """A function's zip, served as Lambda's GetFunction Code.Location would be, from a file:// URL."""
    path = tmp_path / "function.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.py", CODE)
    return path.as_uri()


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    code_root = tmp_path / "code"
    code_root.mkdir()
    return Catalog("http://localhost:1", "us-east-1", code_root)


class HeldLambda:
    """GetFunction for any name; for `held` it waits until `release` is set, after saying it has `entered`."""

    def __init__(self, location: str, held: str) -> None:
        self.location = location
        self.held = held
        self.entered = threading.Event()
        self.release = threading.Event()

    def get_function(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName == self.held:
            self.entered.set()
            self.release.wait(timeout=30)
        config = {
            "FunctionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{FunctionName}",
            "RevisionId": "r1",
            "Handler": "app.handler",
            "Role": "arn:aws:iam::000000000000:role/probe",
            "CodeSha256": f"sha-of-{FunctionName}",
        }
        return {"Configuration": config, "Code": {"Location": self.location}}


def test_a_slow_refresh_of_one_function_holds_up_no_other(catalog: Catalog, zip_url: str) -> None:
    # GIVEN a function whose configuration is being read, slowly
    lambda_api = HeldLambda(zip_url, held="slow")
    catalog.lambda_client = lambda_api
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(catalog.function, "slow")
        assert lambda_api.entered.wait(timeout=5)
        # WHEN another function is looked up meanwhile
        try:
            fast = pool.submit(catalog.function, "fast").result(timeout=5)
        finally:
            lambda_api.release.set()
        # THEN it is answered, code unpacked, without waiting for the slow one, which ends too
        assert (fast.name, (fast.code_dir / "app.py").read_text()) == ("fast", CODE)
        assert slow.result(timeout=5).name == "slow"


def test_code_unpacked_meanwhile_by_another_function_is_used(
    catalog: Catalog, zip_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two functions with the same code: while one downloads it, the other unpacks it first
    real_urlopen = urllib.request.urlopen

    def the_other_unpacks_first(url: str, timeout: float) -> Any:
        monkeypatch.setattr(catalog_module.urllib.request, "urlopen", real_urlopen)
        catalog.extract("same-sha", url)
        return real_urlopen(url, timeout=timeout)

    monkeypatch.setattr(catalog_module.urllib.request, "urlopen", the_other_unpacks_first)
    # WHEN the first one unpacks it
    target = catalog.extract("same-sha", zip_url)
    # THEN it uses the other's copy: one folder holding the code, no staging left behind
    assert [path.name for path in catalog.code_root.iterdir()] == ["same-sha"]
    assert (target / "app.py").read_text() == CODE
