"""python -m tools.terraform_docs: the inputs and outputs tables of our Terraform modules, from their .tf files.

The tables in docs/terraform.md (the root module) and modules/<name>/README.md
are generated, so they cannot drift from the code: `make docs` rewrites the
text between the markers, `make docs-check` (run by `make lint`) fails when
it is stale. The .tf files are read with python-hcl2, so any valid
configuration parses (validation blocks, optional() types, heredocs); the
output depends only on the .tf files (inputs sorted as terraform-docs sorts
them: required first, then by name).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError

REPO_ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
# Strings as Python strings ("text", not '"text"'), objects and tuples as Python values.
PARSE_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


class DocsError(Exception):
    """A module or document the generator cannot handle; the message is the one line the user sees."""


@dataclass(frozen=True)
class Input:
    name: str
    type: str
    description: str
    default: Any
    required: bool


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool


def text(value: Any) -> str:
    """A string attribute's text; a heredoc (<<EOT ... EOT) without its marker lines."""
    value = str(value)
    if value.startswith("<<"):
        return "\n".join(value.splitlines()[1:-1])
    return value


def type_expression(value: str) -> str:
    """A variable's type as written: `string` stays a keyword, `${list(string)}` loses its wrapper."""
    return expression(value) if value.startswith("${") else value


def expression(value: Any) -> str:
    """HCL's text for a parsed value: `${...}` expressions unwrapped, literals as HCL writes them."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value, ensure_ascii=False, separators=(", ", " = ") if isinstance(value, dict) else (", ", ": "))


def parse_module(directory: Path, root: Path = REPO_ROOT) -> tuple[list[Input], list[Output]]:
    """Every variable and output declared in the module's .tf files (all of them: not only variables.tf)."""
    inputs: list[Input] = []
    outputs: list[Output] = []
    for path in sorted(directory.glob("*.tf")):
        try:
            with path.open(encoding="utf-8") as handle:
                parsed = hcl2.load(handle, serialization_options=PARSE_OPTIONS)
        except (LarkError, ValueError) as err:  # lark is python-hcl2's parser
            raise DocsError(f"{path.relative_to(root)}: cannot parse: {str(err).splitlines()[0]}") from err
        for block in parsed.get("variable", []):
            for name, body in block.items():
                inputs.append(
                    Input(
                        name=name,
                        type=type_expression(body["type"]) if "type" in body else "any",
                        description=text(body.get("description", "")),
                        default=body.get("default"),
                        required="default" not in body,
                    )
                )
        for block in parsed.get("output", []):
            for name, body in block.items():
                outputs.append(Output(name, text(body.get("description", "")), body.get("sensitive") is True))
    inputs.sort(key=lambda i: (not i.required, i.name))
    outputs.sort(key=lambda o: o.name)
    return inputs, outputs


def cell(text: str) -> str:
    """Text safe inside one Markdown table cell: one line, `|` escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def prose(text: str) -> str:
    """A description in a cell; `<name>` would render as an HTML tag and vanish, so it is escaped."""
    return cell(text).replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """Inline code that survives a `|` or a backtick in the value."""
    text = cell(text)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def render(inputs: list[Input], outputs: list[Output]) -> str:
    lines = ["## Inputs", ""]
    if inputs:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for i in inputs:
            default = "n/a" if i.required else code(expression(i.default))
            required = "yes" if i.required else "no"
            lines.append(f"| `{i.name}` | {prose(i.description)} | {code(i.type)} | {default} | {required} |")
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
        for o in outputs:
            note = " (sensitive)" if o.sensitive else ""
            lines.append(f"| `{o.name}` | {prose(o.description)}{note} |")
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def splice(document: str, tables: str, where: Path) -> str:
    """The document with the text between its markers replaced by the tables."""
    if document.count(BEGIN) != 1 or document.count(END) != 1 or document.index(BEGIN) > document.index(END):
        raise DocsError(f"{where}: needs one {BEGIN} line and one {END} line after it, around the generated tables")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def targets(root: Path) -> dict[Path, Path]:
    """Module folder -> the document holding its tables: the root's in docs/terraform.md, each module's README."""
    found = {root: root / "docs" / "terraform.md"}
    for module in sorted(p for p in (root / "modules").iterdir() if p.is_dir() and any(p.glob("*.tf"))):
        found[module] = module / "README.md"
    return found


def run(root: Path, check: bool) -> list[Path]:
    """Regenerate (or with check, only compare) every document; returns those that were (or are) stale."""
    stale = []
    for module, document_path in targets(root).items():
        where = document_path.relative_to(root)
        if not document_path.is_file():
            owner = "the root module" if module == root else module.relative_to(root)
            raise DocsError(f"{where} is missing: it holds the tables of {owner}")
        document = document_path.read_text(encoding="utf-8")
        updated = splice(document, render(*parse_module(module, root)), where)
        if updated != document:
            stale.append(where)
            if not check:
                document_path.write_text(updated, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.terraform_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail when a table is stale")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        stale = run(args.root.resolve(), args.check)
    except DocsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    names = ", ".join(str(p) for p in stale)
    if args.check and stale:
        print(f"error: generated Terraform docs are stale in {names}: run make docs", file=sys.stderr)
        return 1
    print(f"updated {names}" if stale else "Terraform docs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
