"""The workflow checker accepts our two workflows and reports broken ones with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from workflow_check import check_file

WORKFLOWS = [REPO / ".github" / "workflows" / "deploy.yml", REPO / ".github" / "workflows" / "app-image.yml"]

GOOD = """\
name: t
on: push
permissions:
  id-token: write
  contents: read
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo hi
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "wf.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return [p.split("wf.yml:", 1)[1] for p in check_file(path)]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_project_workflows_pass(workflow):
    assert check_file(workflow) == []


def test_deploy_workflow_gates_apply_and_uses_oidc():
    wf = yaml.safe_load(WORKFLOWS[0].read_text(encoding="utf-8"))
    assert wf["permissions"] == {"id-token": "write", "contents": "read"}
    apply = wf["jobs"]["apply"]
    assert apply["environment"] == "production" and "refs/heads/main" in apply["if"]
    assert "pull_request" in wf["jobs"]["plan"]["if"]
    steps = [s.get("run", "") + s.get("uses", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any("cargo lambda build --release --arm64 --output-format zip" in s for s in steps)
    assert any("aws-actions/configure-aws-credentials@" in s for s in steps)
    assert any("apply" in s and "tfplan" in s for s in steps)


def test_app_image_workflow_pushes_and_redeploys():
    text = WORKFLOWS[1].read_text(encoding="utf-8")
    assert "-f local/streamlit/Dockerfile local/streamlit" in text
    assert "aws ecs update-service" in text and "--force-new-deployment" in text


def test_good_sample_passes(tmp_path):
    assert problems(tmp_path, GOOD) == []


def test_invalid_yaml_is_reported_with_line(tmp_path):
    found = problems(tmp_path, GOOD.replace("    runs-on: ubuntu-latest", "    runs-on: [ubuntu"))
    assert len(found) == 1 and "invalid YAML" in found[0]


def test_unpinned_action_is_reported(tmp_path):
    assert problems(tmp_path, GOOD.replace("actions/checkout@v4", "actions/checkout")) == [
        "10: `uses: actions/checkout` must be pinned as owner/repo@version"
    ]


def test_broad_permissions_are_reported(tmp_path):
    assert problems(tmp_path, GOOD.replace("contents: read", "contents: write")) == [
        "5: permissions: `contents: write` is not needed by these workflows"
    ]
    assert problems(tmp_path, GOOD.replace("permissions:\n  id-token: write\n  contents: read\n", "")) == [
        "1: missing top-level `permissions` (default token permissions are too broad)"
    ]


def test_script_injection_is_reported(tmp_path):
    text = GOOD.replace("run: echo hi", "run: |\n          echo start\n          echo ${{ github.event.pull_request.title }}")
    assert problems(tmp_path, text) == ["13: untrusted event data expanded in a run script; pass it through env:"]


def test_step_without_uses_or_run_and_job_without_runs_on(tmp_path):
    text = GOOD.replace("    runs-on: ubuntu-latest\n", "").replace("- run: echo hi", "- name: nothing")
    assert problems(tmp_path, text) == [
        "8: job `a` has no `runs-on`",
        "10: job `a`: a step needs exactly one of `uses` or `run`",
    ]
