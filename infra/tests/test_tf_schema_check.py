"""The schema checker reports misspelt and unknown names with file and line, and missing
required arguments, against the real hashicorp/aws 6.25.0 schema from @cdktf/provider-aws."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import INFRA
from tf_schema_check import Checker, ProviderSchema

LAMBDA_OK = """\
resource "aws_lambda_function" "fn" {
  function_name = "demo"
  role          = "arn:aws:iam::123456789012:role/demo"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = "bootstrap.zip"

  environment {
    variables = { A = "b" }
  }
}
"""


def check(tmp_path: Path, schema: ProviderSchema, text: str, name: str = "main.tf") -> list[str]:
    tf = tmp_path / name
    tf.write_text(textwrap.dedent(text), encoding="utf-8")
    return [f"{Path(f.path).name}:{f.line}: {f.message}" for f in Checker(schema).check_paths([tf])]


def test_valid_resource_has_no_findings(tmp_path, provider_schema):
    assert check(tmp_path, provider_schema, LAMBDA_OK) == []


def test_misspelt_argument_is_reported_with_file_and_line(tmp_path, provider_schema):
    findings = check(tmp_path, provider_schema, LAMBDA_OK.replace("  runtime ", "  runtimee"))
    assert findings == [
        'main.tf:4: aws_lambda_function.fn: unknown argument "runtimee" (did you mean "runtime"?)'
    ]


def test_unknown_block_is_reported_with_line(tmp_path, provider_schema):
    findings = check(tmp_path, provider_schema, LAMBDA_OK.replace("environment {", "environmentt {"))
    assert findings == [
        'main.tf:8: aws_lambda_function.fn: unknown block "environmentt" (did you mean "environment"?)'
    ]


def test_missing_required_argument_is_reported_at_the_block(tmp_path, provider_schema):
    text = LAMBDA_OK.replace('  role          = "arn:aws:iam::123456789012:role/demo"\n', "")
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:1: aws_lambda_function.fn: missing required argument "role"'
    ]


def test_nested_block_arguments_and_required_blocks(tmp_path, provider_schema):
    text = """\
    resource "aws_lb_listener_rule" "r" {
      listener_arn = "arn"
      action {
        type = "authenticate-oidc"
        authenticate_oidc {
          issuer                 = "https://accounts.google.com"
          authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth"
          token_endpoint         = "https://x/token"
          user_info_endpoint     = "https://x/userinfo"
          client_id              = "id"
          session_timeoutt       = 60
        }
      }
    }
    """
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:1: aws_lb_listener_rule.r: missing required block "condition"',
        'main.tf:5: aws_lb_listener_rule.r.action.authenticate_oidc: missing required argument "client_secret"',
        'main.tf:11: aws_lb_listener_rule.r.action.authenticate_oidc: unknown argument "session_timeoutt" (did you mean "session_timeout"?)',
    ]


def test_dynamic_block_content_is_checked(tmp_path, provider_schema):
    text = """\
    data "aws_iam_policy_document" "p" {
      dynamic "statement" {
        for_each = [1]
        content {
          actionz = ["s3:GetObject"]
        }
      }
      dynamic "statment" {
        for_each = [1]
        content {}
      }
    }
    """
    findings = check(tmp_path, provider_schema, text)
    assert findings == [
        'main.tf:5: data.aws_iam_policy_document.p.statement: unknown argument "actionz" (did you mean "actions"?)',
        'main.tf:8: data.aws_iam_policy_document.p: unknown block (in dynamic) "statment" (did you mean "statement"?)',
    ]


def test_unknown_types_and_providers_are_reported(tmp_path, provider_schema):
    text = """\
    resource "aws_lamda_function" "a" {}
    data "aws_regionn" "b" {}
    resource "google_project" "c" {}
    """
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:1: unknown resource type "aws_lamda_function"',
        'main.tf:2: unknown data type "aws_regionn"',
        'main.tf:3: no schema for the provider of "google_project"',
    ]


def test_computed_only_attribute_cannot_be_set(tmp_path, provider_schema):
    text = LAMBDA_OK.replace('  handler ', '  arn           = "x"\n  handler ')
    assert check(tmp_path, provider_schema, text) == ['main.tf:5: aws_lambda_function.fn: unknown argument "arn"']


def test_block_written_as_argument_and_argument_as_block(tmp_path, provider_schema):
    text = LAMBDA_OK.replace("  environment {\n    variables = { A = \"b\" }\n  }\n", "  environment = {}\n  runtime {}\n")
    text = text.replace('  runtime       = "provided.al2023"\n', "")
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:7: aws_lambda_function.fn: "environment" is a block, write environment { ... }',
        'main.tf:8: aws_lambda_function.fn: "runtime" is an argument, write runtime = ...',
    ]


def test_random_provider_allowlist(tmp_path, provider_schema):
    text = """\
    resource "random_password" "ok" {
      length  = 32
      special = false
    }
    resource "random_password" "bad" {
      lenght = 32
    }
    """
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:5: random_password.bad: missing required argument "length"',
        'main.tf:6: random_password.bad: unknown argument "lenght" (did you mean "length"?)',
    ]


def test_meta_arguments_and_lifecycle_are_accepted(tmp_path, provider_schema):
    text = LAMBDA_OK.replace(
        "  environment {",
        "  count      = 1\n  depends_on = []\n  lifecycle {\n    ignore_changes = [tags]\n  }\n  environment {",
    )
    assert check(tmp_path, provider_schema, text) == []


def test_local_module_inputs_are_checked(tmp_path, provider_schema):
    module = tmp_path / "mod"
    module.mkdir()
    (module / "variables.tf").write_text(
        'variable "needed" {\n  type = string\n}\nvariable "optional" {\n  default = 1\n}\n', encoding="utf-8"
    )
    text = """\
    module "m" {
      source   = "./mod"
      optionl  = 2
    }
    """
    assert check(tmp_path, provider_schema, text) == [
        'main.tf:1: module.m: missing required variable "needed"',
        'main.tf:3: module.m: "optionl" is not a variable of ./mod (did you mean "optional"?)',
    ]


def test_syntax_error_is_reported_with_line(tmp_path, provider_schema):
    findings = check(tmp_path, provider_schema, 'resource "aws_vpc" "v" {\n  cidr_block = \n}\n')
    assert len(findings) == 1 and findings[0].startswith("main.tf:") and "HCL syntax error" in findings[0]


def test_the_project_infra_passes(provider_schema):
    checker = Checker(provider_schema)
    assert [str(f) for f in checker.check_paths([INFRA])] == []
    assert checker.checked_types >= 50  # the module and the example were really read


def test_schema_reader_marks_required_and_blocks(provider_schema):
    rule = provider_schema.get("resource", "aws_lb_listener_rule")
    assert rule.arguments["listener_arn"] is True and rule.arguments["priority"] is False
    oidc = rule.blocks["action"][0].blocks["authenticate_oidc"][0]
    assert oidc.arguments["client_secret"] is True and oidc.arguments["session_timeout"] is False
    sg = provider_schema.get("resource", "aws_security_group")
    assert "self" in sg.blocks["ingress"][0].arguments  # renamed selfAttribute in cdktf
    assert provider_schema.get("data", "aws_kms_alias").arguments["name"] is True
