"""docs/fidelity.md's generator: grouping, counts, the hand-written prose kept, the staleness check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import fidelity_table


def entry(location: int, outcome: str, variant: str | None = None, difference: str | None = None) -> dict:
    return {
        "section": "SQS",
        "behaviour": f"behaviour {location}.",
        "variant": variant,
        "aws": f"AWS does {location}",
        "difference": difference,
        "handling": "worked around" if difference else None,
        "location": ["tests/contract/test_sqs.py", location],
        "outcome": outcome,
    }


REPORT = {
    "rows": [
        entry(10, "same"),
        entry(20, "same", variant="a"),
        entry(20, "same", variant="b"),
        entry(20, "differs", variant="c", difference="c | is odd"),
        entry(30, "differs", difference="missing"),
    ]
}
HANDLED = {"difference": [{"behaviour": "b", "aws": "a", "local": "l", "handling": "h"}]}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    handled = tmp_path / "handled.toml"
    handled.write_text('[[difference]]\nbehaviour = "b"\naws = "a"\nlocal = "l"\nhandling = "h"\n')
    document = tmp_path / "fidelity.md"
    document.write_text(
        f"# Title\n\nprose before\n\n{fidelity_table.BEGIN_TAG} -->\n<!-- fidelity:end -->\n\nprose after\n"
    )
    return report, handled, document


def run(files: tuple[Path, Path, Path], *extra: str) -> int:
    report, handled, document = files
    requirements = report.with_name("requirements.txt")
    requirements.write_text("ministack==9.9.9\n")
    return fidelity_table.main(
        [str(report), str(document), "--handled", str(handled), "--requirements", str(requirements), *extra]
    )


def test_variants_that_fared_alike_share_a_row() -> None:
    rows = fidelity_table.contract_rows(REPORT)

    assert [r.behaviour for r in rows] == [
        "behaviour 10.",
        "behaviour 20 (variants: a, b).",
        "behaviour 20 (variants: c).",
        "behaviour 30.",
    ]
    assert [r.differs for r in rows] == [False, False, True, True]


def test_the_counts_open_the_generated_part() -> None:
    generated = fidelity_table.render(REPORT, HANDLED, "MiniStack 9.9.9")

    assert "**4 behaviours checked** on the local cloud (MiniStack 9.9.9 with our Lambda runner): " in generated
    assert "**2 match AWS**, **2 differ**; **1 further differences handled**" in generated
    assert "c \\| is odd" in generated


def test_regenerating_keeps_the_prose_around_the_markers(files: tuple[Path, Path, Path]) -> None:
    assert run(files) == 0
    text = files[2].read_text()

    assert text.startswith("# Title\n\nprose before\n\n<!-- fidelity:begin: generated")
    assert text.endswith("<!-- fidelity:end -->\n\nprose after\n")
    assert "| behaviour 30. | AWS does 30 | **differs**: missing | worked around |" in text


def test_check_fails_until_the_document_is_regenerated(files: tuple[Path, Path, Path]) -> None:
    assert run(files, "--check") == 1
    assert run(files) == 0
    assert run(files, "--check") == 0
