# Both functions: Rust on provided.al2023 (arm64), short timeouts, capped concurrency.

resource "aws_cloudwatch_log_group" "callback" {
  #checkov:skip=CKV_AWS_158:Logs hold audit lines without secrets; CloudWatch encrypts them at rest with an AWS owned key.
  name              = "/aws/lambda/${local.callback_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "authorizer" {
  #checkov:skip=CKV_AWS_158:Logs hold audit lines without secrets; CloudWatch encrypts them at rest with an AWS owned key.
  name              = "/aws/lambda/${local.authorizer_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "callback" {
  #checkov:skip=CKV_AWS_116:Called synchronously by the ALB; there is no async event to dead-letter.
  #checkov:skip=CKV_AWS_117:Must reach Google on the internet; a VPC would add a NAT gateway and nothing to protect.
  #checkov:skip=CKV_AWS_173:Environment holds only non-secret settings; secrets are read from SSM SecureString at start.
  #checkov:skip=CKV_AWS_272:Artifacts come from our own CI build; code signing is left to the deployer.
  function_name                  = local.callback_name
  description                    = "OIDC token endpoint for the ALB: Google code exchange, ID token verification, sign-in policy."
  role                           = aws_iam_role.callback.arn
  runtime                        = "provided.al2023"
  architectures                  = ["arm64"]
  handler                        = "bootstrap"
  filename                       = var.callback_zip_path
  source_code_hash               = filebase64sha256(var.callback_zip_path)
  memory_size                    = var.memory_size
  timeout                        = 10 # Google's token endpoint gets a 4 s budget, plus SSM and JWKS on a cold start.
  reserved_concurrent_executions = var.callback_reserved_concurrency

  environment {
    variables = local.callback_env
  }

  logging_config {
    log_format = "Text" # the binaries already print one JSON object per line
    log_group  = aws_cloudwatch_log_group.callback.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(var.allowed_domains) + length(var.allowed_emails) > 0 || var.policy_param_name != null
      error_message = "Nobody could sign in: set allowed_domains, allowed_emails or policy_param_name."
    }
  }
}

resource "aws_lambda_function" "authorizer" {
  #checkov:skip=CKV_AWS_116:Called synchronously by the ALB; there is no async event to dead-letter.
  #checkov:skip=CKV_AWS_117:Must reach Google's JWKS on the internet; a VPC would add a NAT gateway and nothing to protect.
  #checkov:skip=CKV_AWS_173:Environment holds only non-secret settings (client ID, allowed lists).
  #checkov:skip=CKV_AWS_272:Artifacts come from our own CI build; code signing is left to the deployer.
  function_name                  = local.authorizer_name
  description                    = "OIDC userinfo endpoint for the ALB and the /_auth/* routes (logout)."
  role                           = aws_iam_role.authorizer.arn
  runtime                        = "provided.al2023"
  architectures                  = ["arm64"]
  handler                        = "bootstrap"
  filename                       = var.authorizer_zip_path
  source_code_hash               = filebase64sha256(var.authorizer_zip_path)
  memory_size                    = var.memory_size
  timeout                        = 5 # verifies a JWT against cached Google keys
  reserved_concurrent_executions = var.authorizer_reserved_concurrency

  environment {
    variables = local.authorizer_env
  }

  logging_config {
    log_format = "Text" # the binaries already print one JSON object per line
    log_group  = aws_cloudwatch_log_group.authorizer.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags
}

# The ALB calls these URLs from the internet and cannot sign requests, so they are public.
# The callback authenticates its caller with the gate client secret; the authorizer only
# answers for a valid Google ID token. Reserved concurrency above bounds abuse.
# With authorization_type NONE the provider adds both resource-policy statements the URL
# needs (lambda:InvokeFunctionUrl, and lambda:InvokeFunction restricted to URL calls).
resource "aws_lambda_function_url" "callback" {
  #checkov:skip=CKV_AWS_258:The ALB cannot sign requests (no AWS_IAM); the function authenticates the ALB itself.
  function_name      = aws_lambda_function.callback.function_name
  authorization_type = "NONE"
}

resource "aws_lambda_function_url" "authorizer" {
  #checkov:skip=CKV_AWS_258:The ALB cannot sign requests (no AWS_IAM); the function requires a valid Google ID token.
  function_name      = aws_lambda_function.authorizer.function_name
  authorization_type = "NONE"
}
