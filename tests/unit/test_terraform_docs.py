"""tools/terraform_docs.py: tables from .tf files, written between markers, the staleness check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import terraform_docs

VARIABLES = """
variable "name" {
  description = "Name of the | thing, <kind>-<n>."
  type        = string

  validation {
    condition     = length(var.name) > 0
    error_message = "name must not be empty."
  }
}

variable "settings" {
  description = <<-EOT
    Settings, written
    over two lines.
  EOT
  type = object({
    size  = optional(number, 1)
    label = optional(string)
  })
  default = { size = 2, label = "a \\"quoted\\" label" }
}

variable "endpoint" {
  description = "Where it answers; null on AWS."
  type        = string
  default     = null
}
"""

OUTPUTS = """
output "url" {
  description = "URL of the thing."
  value       = "https://${var.name}"
}

output "secret" {
  description = "A token."
  value       = var.name
  sensitive   = true
}
"""

BEGIN, END = terraform_docs.BEGIN, terraform_docs.END
DOCUMENT = f"# A module\n\nHand-written intro.\n\n{BEGIN}\nold tables\n{END}\n\nHand-written end.\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a root module and one module, each with its document."""
    (tmp_path / "docs").mkdir()
    module = tmp_path / "modules" / "thing"
    module.mkdir(parents=True)
    for directory in (tmp_path, module):
        (directory / "variables.tf").write_text(VARIABLES)
        (directory / "outputs.tf").write_text(OUTPUTS)
    (tmp_path / "docs" / "terraform.md").write_text(DOCUMENT)
    (module / "README.md").write_text(DOCUMENT)
    return tmp_path


def test_inputs_are_required_first_then_by_name_with_types_and_defaults_as_hcl_writes_them(repo: Path) -> None:
    # GIVEN a module with a required input, an object type with optional() and a heredoc description
    inputs, _ = terraform_docs.parse_module(repo / "modules" / "thing")

    # WHEN it is rendered
    table = terraform_docs.render(inputs, [])

    # THEN every input has its row, in terraform-docs' order, escaped for Markdown
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `name` | Name of the \\| thing, &lt;kind&gt;-&lt;n&gt;. | `string` | n/a | yes |",
        "| `endpoint` | Where it answers; null on AWS. | `string` | `null` | no |",
        "| `settings` | Settings, written over two lines. "
        "| `object({size = optional(number, 1), label = optional(string)})` "
        '| `{"size" = 2, "label" = "a \\"quoted\\" label"}` | no |',
    ]


def test_outputs_are_sorted_and_sensitive_ones_say_so(repo: Path) -> None:
    _, outputs = terraform_docs.parse_module(repo)

    table = terraform_docs.render([], outputs)

    assert "No inputs." in table
    assert table.splitlines()[-2:] == ["| `secret` | A token. (sensitive) |", "| `url` | URL of the thing. |"]


def test_make_docs_rewrites_only_the_text_between_the_markers(repo: Path) -> None:
    # WHEN the documents are generated
    stale = terraform_docs.run(repo, check=False)

    # THEN both were stale, and each keeps its hand-written text around fresh tables
    assert stale == [Path("docs/terraform.md"), Path("modules/thing/README.md")]
    document = (repo / "modules" / "thing" / "README.md").read_text()
    assert document.startswith("# A module\n\nHand-written intro.\n\n<!-- BEGIN_TF_DOCS -->\n## Inputs\n")
    assert document.endswith("<!-- END_TF_DOCS -->\n\nHand-written end.\n")
    assert "old tables" not in document
    # AND a second run finds nothing to do: the output depends only on the .tf files
    assert terraform_docs.run(repo, check=False) == []


def test_the_check_fails_on_a_stale_table_and_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN generated documents, then a variable added to the module
    terraform_docs.run(repo, check=False)
    module = repo / "modules" / "thing"
    with (module / "variables.tf").open("a") as handle:
        handle.write('\nvariable "added" {\n  type    = bool\n  default = false\n}\n')
    before = (module / "README.md").read_text()

    # WHEN the check runs
    code = terraform_docs.main(["--check", "--root", str(repo)])

    # THEN it fails naming the stale document and how to fix it, and leaves the document alone
    assert code == 1
    assert (
        capsys.readouterr().err
        == "error: generated Terraform docs are stale in modules/thing/README.md: run make docs\n"
    )
    assert (module / "README.md").read_text() == before


def test_a_document_without_markers_is_a_one_line_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "docs" / "terraform.md").write_text("# No markers\n")

    assert terraform_docs.main(["--root", str(repo)]) == 1

    assert capsys.readouterr().err == (
        "error: docs/terraform.md: needs one <!-- BEGIN_TF_DOCS --> line and one <!-- END_TF_DOCS --> line "
        "after it, around the generated tables\n"
    )


def test_a_file_that_does_not_parse_is_a_one_line_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "modules" / "thing" / "broken.tf").write_text('variable "x" {\n  type = \n')

    assert terraform_docs.main(["--root", str(repo)]) == 1

    error = capsys.readouterr().err
    assert error.startswith("error: modules/thing/broken.tf: cannot parse: ")
    assert error.count("\n") == 1


def test_every_module_of_this_repository_parses_and_its_documents_are_current() -> None:
    # The real .tf files (validation blocks, optional() types, preconditions) through the real parser.
    assert terraform_docs.run(terraform_docs.REPO_ROOT, check=True) == []
