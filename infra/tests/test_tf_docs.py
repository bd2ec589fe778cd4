"""The module README's inputs/outputs tables match variables.tf / outputs.tf."""

from __future__ import annotations

import shutil

from conftest import MODULE
from tf_docs import drifted_sections, render


def test_module_readme_tables_are_in_sync():
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    assert drifted_sections(readme, MODULE) == [], "run: .venv/bin/python infra/tools/tf_docs.py infra/modules/gate --write"


def test_drift_is_detected_when_a_variable_is_added(tmp_path):
    module = tmp_path / "gate"
    shutil.copytree(MODULE, module)
    with open(module / "variables.tf", "a", encoding="utf-8") as f:
        f.write('\nvariable "brand_new" {\n  description = "x"\n  type        = string\n}\n')
    readme = (module / "README.md").read_text(encoding="utf-8")
    assert drifted_sections(readme, module) == ["INPUTS"]
    assert "| `brand_new` | x | `string` | n/a | yes |" in render(readme, module)


def test_drift_is_detected_when_an_output_description_changes(tmp_path):
    module = tmp_path / "gate"
    shutil.copytree(MODULE, module)
    outputs = (module / "outputs.tf").read_text(encoding="utf-8")
    (module / "outputs.tf").write_text(outputs.replace("Name of the callback Lambda function.", "Renamed."), encoding="utf-8")
    assert drifted_sections((module / "README.md").read_text(encoding="utf-8"), module) == ["OUTPUTS"]
