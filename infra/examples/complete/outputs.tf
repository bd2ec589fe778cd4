output "app_url" {
  description = "URL users open."
  value       = "https://${var.domain_name}/"
}

output "redirect_uris" {
  description = "Authorized redirect URIs to register on the Google OAuth client."
  value       = module.gate.redirect_uris
}

output "alb_dns_name" {
  description = "DNS name of the ALB (the custom domain is an alias to it)."
  value       = aws_lb.this.dns_name
}

output "ecr_repository_url" {
  description = "ECR repository for the Streamlit image (used by app-image.yml)."
  value       = aws_ecr_repository.streamlit.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster name (used by app-image.yml)."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "ECS service name (used by app-image.yml)."
  value       = aws_ecs_service.streamlit.name
}

output "gate_function_urls" {
  description = "Function URLs of the gate's callback and authorizer."
  value = {
    callback   = module.gate.callback_function_url
    authorizer = module.gate.authorizer_function_url
  }
}

output "gate_log_group_names" {
  description = "CloudWatch log groups with the gate's audit lines."
  value = {
    callback   = module.gate.callback_log_group_name
    authorizer = module.gate.authorizer_log_group_name
  }
}
