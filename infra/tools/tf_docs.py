#!/usr/bin/env python3
"""Inputs/outputs tables of a Terraform module's README, generated from variables.tf / outputs.tf.

The README keeps each table between markers:
    <!-- BEGIN_TF_INPUTS --> ... <!-- END_TF_INPUTS -->
    <!-- BEGIN_TF_OUTPUTS --> ... <!-- END_TF_OUTPUTS -->

    tf_docs.py MODULE_DIR --check   exit 1 and name the drifted table when the README is stale
    tf_docs.py MODULE_DIR --write   rewrite the tables in place
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import hcl2

_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
SECTIONS = ("INPUTS", "OUTPUTS")


def _blocks(module_dir: Path, kind: str) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    for tf in sorted(module_dir.glob("*.tf")):
        doc = hcl2.loads(tf.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for entry in doc.get(kind, []):
            found.extend(entry.items())
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _expr(value: object) -> str:
    """HCL expression text: python-hcl2 wraps expressions as "${...}"."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value)


def inputs_table(module_dir: Path) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "|------|-------------|------|---------|:--------:|"]
    for name, body in sorted(_blocks(module_dir, "variable")):
        type_text = _expr(body.get("type", "any")).strip('"')
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(_expr(body['default']))}`"
        rows.append(
            f"| `{name}` | {_cell(body.get('description', ''))} | `{_cell(type_text)}` | {default} | {'yes' if required else 'no'} |"
        )
    return "\n".join(rows)


def outputs_table(module_dir: Path) -> str:
    rows = ["| Name | Description |", "|------|-------------|"]
    for name, body in sorted(_blocks(module_dir, "output")):
        rows.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join(rows)


def _marked(section: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN_TF_{section} -->)(.*?)(<!-- END_TF_{section} -->)", re.S)


def render(readme: str, module_dir: Path) -> str:
    tables = {"INPUTS": inputs_table(module_dir), "OUTPUTS": outputs_table(module_dir)}
    for section in SECTIONS:
        pattern = _marked(section)
        if not pattern.search(readme):
            raise ValueError(f"README has no <!-- BEGIN_TF_{section} --> / <!-- END_TF_{section} --> markers")
        readme = pattern.sub(lambda m, t=tables[section]: m.group(1) + "\n" + t + "\n" + m.group(3), readme)
    return readme


def drifted_sections(readme: str, module_dir: Path) -> list[str]:
    """Names of the tables whose README text differs from the code."""
    fresh = render(readme, module_dir)
    return [s for s in SECTIONS if _marked(s).search(readme).group(2) != _marked(s).search(fresh).group(2)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="README inputs/outputs tables of a Terraform module")
    parser.add_argument("module_dir", type=Path)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    readme_path = args.module_dir / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    if args.write:
        readme_path.write_text(render(readme, args.module_dir), encoding="utf-8")
        return 0
    drift = drifted_sections(readme, args.module_dir)
    for section in drift:
        print(f"{readme_path}: the {section.lower()} table differs from the module; run tf_docs.py {args.module_dir} --write")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
