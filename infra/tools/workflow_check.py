#!/usr/bin/env python3
"""Structural and security check of GitHub Actions workflow files, offline.

actionlint is not installable here (its PyPI wrapper downloads the binary from GitHub at build
time), so this covers the mistakes that matter most for our two workflows:
  - the file is valid YAML with `on` and `jobs`; each job has `runs-on` and `steps` (or `uses`);
    each step has exactly one of `uses` / `run`;
  - `permissions` is declared at the top and grants no write scope other than `id-token`
    (jobs may add only the scopes listed in ALLOWED_JOB_WRITE_SCOPES);
  - every `uses:` is pinned to a tag or commit (`owner/repo@ref`);
  - no untrusted event data (`github.event.*`, `github.head_ref`) is expanded inside `run:`
    scripts, where it would be shell-injected; pass it through `env:` instead;
  - `${{ ... }}` expressions are closed.
Prints `file:line: message` per problem and exits 1 when there are any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ALLOWED_JOB_WRITE_SCOPES = {"id-token"}
UNTRUSTED = re.compile(r"\$\{\{[^}]*\b(github\.event\.|github\.head_ref)[^}]*\}\}")
USES_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[\w.-]+$|^\./|^docker://")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps `on` as a string key (YAML 1.1 would read it as True)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def check_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []

    def report(line: int, message: str) -> None:
        problems.append(f"{path}:{line}: {message}")

    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        report(mark.line + 1 if mark else 0, f"invalid YAML: {getattr(err, 'problem', err)}")
        return problems
    if not isinstance(root, yaml.MappingNode):
        report(1, "a workflow must be a mapping")
        return problems

    top = _mapping(root)
    for key in ("on", "jobs"):
        if key not in top:
            report(1, f"missing top-level `{key}`")
    if "permissions" not in top:
        report(1, "missing top-level `permissions` (default token permissions are too broad)")
    else:
        _check_permissions(top["permissions"], set(), report)

    jobs = top.get("jobs")
    if isinstance(jobs, yaml.MappingNode):
        for job_key, job in jobs.value:
            _check_job(job_key.value, job, report)
    elif jobs is not None:
        report(jobs.start_mark.line + 1, "`jobs` must be a mapping")

    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.count("${{") != line.count("}}"):
            report(lineno, "unbalanced ${{ ... }} expression")
    return problems


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _check_permissions(node: yaml.Node, allowed_writes: set[str], report) -> None:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        if node.value not in ("read-all", "{}", ""):
            report(line, f"permissions: `{node.value}` is too broad; list scopes explicitly")
        return
    if not isinstance(node, yaml.MappingNode):
        report(line, "permissions must be a mapping of scope: level")
        return
    for scope, level in _mapping(node).items():
        value = getattr(level, "value", None)
        if value not in ("read", "write", "none"):
            report(level.start_mark.line + 1, f"permissions: `{scope}: {value}` is not read, write or none")
        elif value == "write" and scope not in allowed_writes | {"id-token"}:
            report(level.start_mark.line + 1, f"permissions: `{scope}: write` is not needed by these workflows")


def _check_job(name: str, job: yaml.Node, report) -> None:
    line = job.start_mark.line + 1
    if not isinstance(job, yaml.MappingNode):
        report(line, f"job `{name}` must be a mapping")
        return
    fields = _mapping(job)
    if "permissions" in fields:
        _check_permissions(fields["permissions"], ALLOWED_JOB_WRITE_SCOPES, report)
    if "uses" in fields:  # reusable workflow call
        return
    if "runs-on" not in fields:
        report(line, f"job `{name}` has no `runs-on`")
    steps = fields.get("steps")
    if not isinstance(steps, yaml.SequenceNode) or not steps.value:
        report(line, f"job `{name}` has no steps")
        return
    for step in steps.value:
        _check_step(name, step, report)


def _check_step(job: str, step: yaml.Node, report) -> None:
    line = step.start_mark.line + 1
    if not isinstance(step, yaml.MappingNode):
        report(line, f"job `{job}`: a step must be a mapping")
        return
    fields = _mapping(step)
    if ("uses" in fields) == ("run" in fields):
        report(line, f"job `{job}`: a step needs exactly one of `uses` or `run`")
    uses = fields.get("uses")
    if uses is not None and not USES_PINNED.match(str(uses.value)):
        report(uses.start_mark.line + 1, f"`uses: {uses.value}` must be pinned as owner/repo@version")
    run = fields.get("run")
    if run is not None:
        for offset, text in enumerate(str(run.value).splitlines()):
            if UNTRUSTED.search(text):
                # Block scalars start on the line after `run: |`.
                report(run.start_mark.line + 1 + offset + (1 if run.style in ("|", ">") else 0),
                       "untrusted event data expanded in a run script; pass it through env:")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: workflow_check.py WORKFLOW.yml...", file=sys.stderr)
        return 2
    problems: list[str] = []
    for arg in argv:
        path = Path(arg)
        if not path.is_file():
            problems.append(f"{path}:0: file not found")
            continue
        problems.extend(check_file(path))
    for problem in problems:
        print(problem)
    print(f"workflow_check: {len(argv)} file(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
