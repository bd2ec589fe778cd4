output "redirect_uris" {
  description = "Authorized redirect URIs to register on the Google OAuth client (one per allowed host)."
  value       = local.redirect_uris
}

output "callback_function_url" {
  description = "Function URL of the callback (token endpoint); the ALB posts to <url>token."
  value       = aws_lambda_function_url.callback.function_url
}

output "authorizer_function_url" {
  description = "Function URL of the authorizer (userinfo endpoint); the ALB calls <url>userinfo."
  value       = aws_lambda_function_url.authorizer.function_url
}

output "token_endpoint" {
  description = "Token endpoint configured in the ALB authenticate-oidc actions."
  value       = local.oidc.token_endpoint
}

output "user_info_endpoint" {
  description = "User info endpoint configured in the ALB authenticate-oidc actions."
  value       = local.oidc.user_info_endpoint
}

output "callback_function_name" {
  description = "Name of the callback Lambda function."
  value       = aws_lambda_function.callback.function_name
}

output "authorizer_function_name" {
  description = "Name of the authorizer Lambda function."
  value       = aws_lambda_function.authorizer.function_name
}

output "callback_log_group_name" {
  description = "CloudWatch log group of the callback function (one audit line per sign-in decision)."
  value       = aws_cloudwatch_log_group.callback.name
}

output "authorizer_log_group_name" {
  description = "CloudWatch log group of the authorizer function."
  value       = aws_cloudwatch_log_group.authorizer.name
}

output "authorizer_target_group_arn" {
  description = "ARN of the Lambda target group serving /_auth/*."
  value       = aws_lb_target_group.authorizer.arn
}

output "gate_client_secret_parameter_name" {
  description = "Name (not value) of the SSM SecureString holding the gate client secret."
  value       = aws_ssm_parameter.gate_client_secret.name
}

output "listener_rule_arns" {
  description = "ARNs of the listener rules, in evaluation order: /_auth/*, /_stcore/*, catch-all."
  value       = [aws_lb_listener_rule.auth_routes.arn, aws_lb_listener_rule.streamlit_internal.arn, aws_lb_listener_rule.app.arn]
}
