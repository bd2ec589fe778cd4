# A complete deployment: VPC, internet-facing ALB restricted to allowed CIDRs, ACM + Route53,
# ECR, ECS Fargate running the unchanged Streamlit image, and the gate in front of it.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first two zone names are used (slice below); a zone added later sorts after them and moves nothing.
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"] # regular zones only, no Local Zones
  }
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 2)

  # cargo lambda build --release --arm64 --output-format zip, run at the repository root.
  repo_root           = "${path.root}/../../.."
  callback_zip_path   = coalesce(var.callback_zip_path, "${local.repo_root}/target/lambda/callback/bootstrap.zip")
  authorizer_zip_path = coalesce(var.authorizer_zip_path, "${local.repo_root}/target/lambda/authorizer/bootstrap.zip")

  streamlit_port = 8501
}

module "gate" {
  source = "../../modules/gate"

  name                     = "${var.name}-gate"
  callback_zip_path        = local.callback_zip_path
  authorizer_zip_path      = local.authorizer_zip_path
  google_client_id         = var.google_client_id
  google_client_param_name = var.google_client_param_name
  allowed_domains          = var.allowed_domains
  allowed_emails           = var.allowed_emails
  allowed_hosts            = [var.domain_name]
  host_headers             = [var.domain_name]
  listener_arn             = aws_lb_listener.https.arn
  target_group_arn         = aws_lb_target_group.streamlit.arn
  session_seconds          = var.session_seconds
  log_retention_days       = var.log_retention_days
}
