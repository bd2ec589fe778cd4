variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name prefix for all resources."
  type        = string
  default     = "streamlit"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,14}[a-z0-9]$", var.name))
    error_message = "name must be 2-16 characters of lowercase letters, digits and '-'."
  }
}

variable "domain_name" {
  description = "Custom domain users open, e.g. app.example.com. Gets an ACM certificate and a Route53 alias to the ALB."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name without scheme, e.g. app.example.com."
  }
}

variable "route53_zone_name" {
  description = "Public Route53 hosted zone that contains domain_name, e.g. example.com."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.route53_zone_name))
    error_message = "route53_zone_name must be a lowercase DNS name, e.g. example.com."
  }
}

variable "allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the ALB (ports 80 and 443), e.g. the office and VPN egress ranges."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0)) && can(cidrnetmask(c))])
    error_message = "allowed_cidrs must be a non-empty list of valid IPv4 CIDRs, e.g. \"203.0.113.0/24\"."
  }
}

variable "allow_public_internet" {
  description = "Set to true to allow 0.0.0.0/0 in allowed_cidrs (the whole internet reaches the Google sign-in page)."
  type        = bool
  default     = false
}

variable "google_client_id" {
  description = "Google OAuth client ID (not secret)."
  type        = string
}

variable "google_client_param_name" {
  description = "SSM parameter with the Google client JSON, created before apply (see README)."
  type        = string
  default     = "/streamlit/oauth"
}

variable "allowed_domains" {
  description = "Google Workspace domains allowed to sign in."
  type        = list(string)
  default     = []
}

variable "allowed_emails" {
  description = "Individual Google accounts allowed to sign in (external users)."
  type        = list(string)
  default     = []
}

variable "session_seconds" {
  description = "Sign-in session length in seconds (default 12 h)."
  type        = number
  default     = 43200
}

variable "callback_zip_path" {
  description = "Callback Lambda package. Null means <repo>/target/lambda/callback/bootstrap.zip."
  type        = string
  default     = null
}

variable "authorizer_zip_path" {
  description = "Authorizer Lambda package. Null means <repo>/target/lambda/authorizer/bootstrap.zip."
  type        = string
  default     = null
}

variable "vpc_cidr" {
  description = "CIDR of the new VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR of /20 or larger (it is split into four /24+ subnets)."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.3 family)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "ssl_policy must be one of the ELBSecurityPolicy-TLS13-* policies."
  }
}

variable "alb_access_logs_bucket" {
  description = "Existing S3 bucket for ALB access logs (with the ELB log delivery policy). Null disables access logs."
  type        = string
  default     = null
}

variable "alb_deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = false
}

variable "image_tag" {
  description = "Tag of the Streamlit image in ECR that the service runs (app-image.yml pushes :latest and forces a new deployment)."
  type        = string
  default     = "latest"
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Number of Streamlit tasks."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 0 && var.desired_count <= 10
    error_message = "desired_count must be between 0 and 10."
  }
}

variable "log_retention_days" {
  description = "Retention of the ECS and gate log groups."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to all resources through the provider's default_tags."
  type        = map(string)
  default     = {}
}
