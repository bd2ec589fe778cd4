"""Shared helpers: import the tools, read the real .tf files, reach the provider schema."""

from __future__ import annotations

import copy
import sys
from functools import lru_cache
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[1]
REPO = INFRA.parent
sys.path.insert(0, str(INFRA / "tools"))

import hcl2  # noqa: E402
import tf_schema_check  # noqa: E402

MODULE = INFRA / "modules" / "gate"
EXAMPLE = INFRA / "examples" / "complete"
_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)


@lru_cache(maxsize=None)
def _parse(text: str) -> dict:
    return hcl2.loads(text, serialization_options=_OPTIONS)


def load_tf(text: str) -> dict:
    """A .tf text as python-hcl2's dict (expressions stay as "${...}" strings); parsed once."""
    return copy.deepcopy(_parse(text))


def resources(directory: Path, tf_type: str, kind: str = "resource") -> dict[str, dict]:
    """name -> body of every `kind "tf_type"` block in a directory's .tf files."""
    found: dict[str, dict] = {}
    for tf in sorted(directory.glob("*.tf")):
        for entry in load_tf(tf.read_text(encoding="utf-8")).get(kind, []):
            for body in entry.get(tf_type, {}).items() if isinstance(entry.get(tf_type), dict) else []:
                found[body[0]] = body[1]
    return found


def blocks(directory: Path, kind: str) -> dict[str, dict]:
    """name -> body of every top-level `kind "name"` block (variable, output, module)."""
    found: dict[str, dict] = {}
    for tf in sorted(directory.glob("*.tf")):
        for entry in load_tf(tf.read_text(encoding="utf-8")).get(kind, []):
            found.update(entry)
    return found


@pytest.fixture(scope="session")
def provider_schema() -> tf_schema_check.ProviderSchema:
    # Downloads and unpacks the pinned npm package on first use (cached under .cache/).
    return tf_schema_check.ProviderSchema(tf_schema_check.ensure_provider_package())
