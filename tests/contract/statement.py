"""What a contract test states in its docstring, paragraph by paragraph.

    <the behaviour checked, one sentence>

    AWS: <what AWS documents>

    Local cloud: <how the local cloud differs, with the MiniStack source behind it>
    Handling: <how the pipeline and our layer live with that>

The last two are required with the local_differs mark, and name the difference
in the strict expected failure and in docs/fidelity.md.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest

PREFIXES = {"aws": "AWS:", "local": "Local cloud:", "handling": "Handling:"}


@dataclass(frozen=True)
class Statement:
    behaviour: str
    aws: str
    local: str | None
    handling: str | None

    @classmethod
    def of(cls, item: pytest.Function) -> Statement:
        """The test's statement; a usage error when its docstring lacks a part it needs."""
        paragraphs = [" ".join(p.split()) for p in (inspect.getdoc(item.function) or "").split("\n\n")]
        parts = {
            key: next((p.removeprefix(prefix).strip() for p in paragraphs if p.startswith(prefix)), None)
            for key, prefix in PREFIXES.items()
        }
        statement = cls(behaviour=paragraphs[0], **parts)
        needed = ["aws", *(["local", "handling"] if item.get_closest_marker("local_differs") else [])]
        missing = [PREFIXES[key] for key in needed if not getattr(statement, key)]
        if not statement.behaviour or missing:
            raise pytest.UsageError(
                f"{item.nodeid}: a contract test's docstring states its behaviour first, then paragraphs "
                f"starting {', '.join(PREFIXES.values())} (the last two with local_differs); missing: "
                f"{', '.join(missing) or 'the behaviour'}"
            )
        return statement
