# One role per function, each allowed exactly what it reads and writes.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "callback" {
  name               = local.callback_name
  description        = "Runs ${local.callback_name}: reads the Google client JSON and the gate client secret."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

resource "aws_iam_role" "authorizer" {
  name               = local.authorizer_name
  description        = "Runs ${local.authorizer_name}: verifies ID tokens; reads only the optional policy parameter."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "callback" {
  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParameter"]
    resources = concat([local.google_client_param_arn, local.gate_secret_param_arn], local.policy_param_arns)
  }

  statement {
    sid       = "DecryptThroughSsmOnly"
    actions   = ["kms:Decrypt"]
    resources = [local.ssm_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${data.aws_region.current.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.callback.arn}:*"]
  }
}

data "aws_iam_policy_document" "authorizer" {
  dynamic "statement" {
    for_each = length(local.policy_param_arns) > 0 ? [1] : []
    content {
      sid       = "ReadPolicyParameter"
      actions   = ["ssm:GetParameter"]
      resources = local.policy_param_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.policy_param_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptThroughSsmOnly"
      actions   = ["kms:Decrypt"]
      resources = [local.ssm_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.authorizer.arn}:*"]
  }
}

resource "aws_iam_role_policy" "callback" {
  name   = "${local.callback_name}-least-privilege"
  role   = aws_iam_role.callback.id
  policy = data.aws_iam_policy_document.callback.json
}

resource "aws_iam_role_policy" "authorizer" {
  name   = "${local.authorizer_name}-least-privilege"
  role   = aws_iam_role.authorizer.id
  policy = data.aws_iam_policy_document.authorizer.json
}
