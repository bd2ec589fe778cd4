"""Security and wiring invariants of infra/, checked on the parsed .tf files.

Each function returns a list of problems (empty when the invariant holds), so the tests can run
it on the real code and on a deliberately broken copy.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import blocks, resources

ALB_SG = "${aws_security_group.alb.id}"
ECS_SG = "${aws_security_group.ecs.id}"
SECRET_REFERENCES = re.compile(r"random_password\.|aws_ssm_parameter\.[\w.]*\.value|\bclient_secret\b|\.result\b|insecure_value")


def _rule_targets(directory: Path, sg_ref: str) -> dict[str, dict]:
    rules = resources(directory, "aws_vpc_security_group_ingress_rule")
    return {name: body for name, body in rules.items() if body.get("security_group_id") == sg_ref}


def alb_ingress_problems(example: Path) -> list[str]:
    """The ALB accepts connections only from var.allowed_cidrs."""
    problems = []
    sg = resources(example, "aws_security_group").get("alb")
    if sg is None:
        return ["no aws_security_group.alb"]
    if "ingress" in sg:
        problems.append("aws_security_group.alb has inline ingress rules")
    if resources(example, "aws_security_group_rule"):
        problems.append("aws_security_group_rule is used; use aws_vpc_security_group_ingress_rule")
    rules = _rule_targets(example, ALB_SG)
    if not rules:
        problems.append("no ingress rule on the ALB security group")
    for name, rule in rules.items():
        if "var.allowed_cidrs" not in str(rule.get("for_each")) or rule.get("cidr_ipv4") != "${each.value}":
            problems.append(f"ingress rule {name} is not one rule per var.allowed_cidrs entry")
        for other in ("cidr_ipv6", "prefix_list_id", "referenced_security_group_id"):
            if other in rule:
                problems.append(f"ingress rule {name} also opens {other}")
    return problems


def ecs_ingress_problems(example: Path) -> list[str]:
    """Tasks accept connections only from the ALB's security group."""
    problems = []
    sg = resources(example, "aws_security_group").get("ecs")
    if sg is None:
        return ["no aws_security_group.ecs"]
    if "ingress" in sg:
        problems.append("aws_security_group.ecs has inline ingress rules")
    rules = _rule_targets(example, ECS_SG)
    if not rules:
        problems.append("no ingress rule on the ECS security group")
    for name, rule in rules.items():
        if rule.get("referenced_security_group_id") != ALB_SG:
            problems.append(f"ECS ingress rule {name} is not from the ALB security group")
        if any(k in rule for k in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id")):
            problems.append(f"ECS ingress rule {name} opens a CIDR or prefix list")
    return problems


def priority_offset(expr: object) -> int | None:
    """0 for "${var.rule_priority}", N for "${var.rule_priority + N}", None otherwise."""
    m = re.fullmatch(r"\$\{var\.rule_priority(?: \+ (\d+))?\}", str(expr))
    return None if m is None else int(m.group(1) or 0)


def _authenticate(rule: dict) -> dict | None:
    for action in rule.get("action", []):
        if action.get("type") == "authenticate-oidc":
            return action["authenticate_oidc"][0]
    return None


def _paths(rule: dict) -> list[str]:
    return [v for c in rule.get("condition", []) for p in c.get("path_pattern", []) for v in p.get("values", [])]


def rule_order_problems(module: Path) -> list[str]:
    """/_auth/* is forwarded to the authorizer before any authenticate rule; /_stcore/* denies."""
    rules = resources(module, "aws_lb_listener_rule")
    problems = []
    offsets = {name: priority_offset(rule.get("priority")) for name, rule in rules.items()}
    if None in offsets.values():
        problems.append(f"priorities must be var.rule_priority [+ N]: {offsets}")
        return problems
    auth_routes = [n for n, r in rules.items() if "/_auth/*" in _paths(r)]
    authenticating = [n for n, r in rules.items() if _authenticate(r) is not None]
    if len(auth_routes) != 1 or _authenticate(rules[auth_routes[0]]) is not None:
        problems.append("need exactly one unauthenticated /_auth/* rule")
    elif not authenticating or offsets[auth_routes[0]] >= min(offsets[n] for n in authenticating):
        problems.append("the /_auth/* rule must come before every authenticate rule")
    if len(set(offsets.values())) != len(offsets):
        problems.append("two listener rules share a priority")
    for name in authenticating:
        expected = "deny" if "/_stcore/*" in _paths(rules[name]) else "authenticate"
        got = _authenticate(rules[name]).get("on_unauthenticated_request")
        if got != expected:
            problems.append(f"rule {name}: on_unauthenticated_request = {got}, want {expected}")
    stcore = [n for n in authenticating if "/_stcore/*" in _paths(rules[n])]
    catch_all = [n for n in authenticating if n not in stcore]
    if not stcore or not catch_all or max(offsets[n] for n in stcore) >= min(offsets[n] for n in catch_all):
        problems.append("the /_stcore/* deny rule must come before the catch-all authenticate rule")
    return problems


def output_secret_problems(*directories: Path) -> list[str]:
    problems = []
    for directory in directories:
        for name, body in blocks(directory, "output").items():
            if SECRET_REFERENCES.search(str(body.get("value"))):
                problems.append(f"{directory.name}: output {name} exposes a secret: {body.get('value')}")
            if body.get("sensitive") is True:
                problems.append(f"{directory.name}: output {name} is marked sensitive: outputs must hold no secrets")
    return problems
