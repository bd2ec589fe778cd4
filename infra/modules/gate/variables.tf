variable "name" {
  description = "Prefix for every resource name (Lambda functions `<name>-callback` / `<name>-authorizer`, roles, log groups, target group)."
  type        = string
  default     = "gate"

  validation {
    # Target group names are limited to 32 characters and we append "-authorizer" (11).
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,19}[a-z0-9]$", var.name))
    error_message = "name must be 2-21 characters of lowercase letters, digits and '-', not starting or ending with '-'."
  }
}

variable "callback_zip_path" {
  description = "Path of the callback Lambda package built by `cargo lambda build --release --arm64 --output-format zip` (target/lambda/callback/bootstrap.zip)."
  type        = string

  validation {
    condition     = endswith(var.callback_zip_path, ".zip")
    error_message = "callback_zip_path must point to a .zip file (target/lambda/callback/bootstrap.zip)."
  }
}

variable "authorizer_zip_path" {
  description = "Path of the authorizer Lambda package built by `cargo lambda build --release --arm64 --output-format zip` (target/lambda/authorizer/bootstrap.zip)."
  type        = string

  validation {
    condition     = endswith(var.authorizer_zip_path, ".zip")
    error_message = "authorizer_zip_path must point to a .zip file (target/lambda/authorizer/bootstrap.zip)."
  }
}

variable "google_client_id" {
  description = "Google OAuth client ID (not secret). The ALB sends it to Google; the authorizer checks it as the ID token audience."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z_-]+\\.apps\\.googleusercontent\\.com$", var.google_client_id))
    error_message = "google_client_id must look like '<id>.apps.googleusercontent.com'."
  }
}

variable "google_client_param_name" {
  description = "SSM parameter (String or SecureString) holding the Google client JSON exactly as downloaded from the Google console. Created by you out of band, so the Google client secret never enters Terraform state. Only the callback function may read it."
  type        = string
  default     = "/streamlit/oauth"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]+$", var.google_client_param_name))
    error_message = "google_client_param_name must be an SSM parameter path starting with '/' (e.g. /streamlit/oauth)."
  }
}

variable "gate_client_secret_param_name" {
  description = "SSM SecureString name for the generated gate client secret shared by the ALB and the callback function. Defaults to `/<name>/gate-client-secret`."
  type        = string
  default     = null

  validation {
    condition     = var.gate_client_secret_param_name == null || can(regex("^/[A-Za-z0-9_./-]+$", var.gate_client_secret_param_name))
    error_message = "gate_client_secret_param_name must be an SSM parameter path starting with '/'."
  }
}

variable "policy_param_name" {
  description = "Optional SSM parameter with the JSON policy (per-host rules). Passed as GATE_POLICY_PARAM to both functions, which may then read it."
  type        = string
  default     = null

  validation {
    condition     = var.policy_param_name == null || can(regex("^/[A-Za-z0-9_./-]+$", var.policy_param_name))
    error_message = "policy_param_name must be an SSM parameter path starting with '/'."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN that encrypts the SecureString parameters. Null means the AWS managed key `alias/aws/ssm`. The functions may use it for kms:Decrypt only through SSM."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "allowed_domains" {
  description = "Google Workspace domains (the ID token `hd` claim) allowed in, lowercase, without '@', e.g. [\"example.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.allowed_domains : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", d))])
    error_message = "allowed_domains entries must be lowercase domain names without '@' or scheme, e.g. \"example.com\"."
  }
}

variable "allowed_emails" {
  description = "Individual Google accounts allowed in regardless of domain (external users), lowercase, e.g. [\"partner@gmail.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.allowed_emails : can(regex("^[^@\\s,]+@[a-z0-9.-]+\\.[a-z0-9-]+$", e)) && lower(e) == e])
    error_message = "allowed_emails entries must be lowercase email addresses containing '@', e.g. \"partner@gmail.com\"."
  }
}

variable "allowed_hosts" {
  description = "Host names users reach the app on (no scheme, no path). Each gives a redirect URI https://<host>/oauth2/idpresponse accepted by the callback."
  type        = list(string)

  validation {
    condition     = length(var.allowed_hosts) > 0 && alltrue([for h in var.allowed_hosts : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$", h))])
    error_message = "allowed_hosts must be a non-empty list of lowercase host names without scheme or path, e.g. \"app.example.com\"."
  }
}

variable "listener_arn" {
  description = "ARN of the ALB HTTPS listener the gate rules are added to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/", var.listener_arn))
    error_message = "listener_arn must be an Application Load Balancer listener ARN."
  }
}

variable "target_group_arn" {
  description = "ARN of the Streamlit target group that signed-in requests are forwarded to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/", var.target_group_arn))
    error_message = "target_group_arn must be an ALB target group ARN."
  }
}

variable "rule_priority" {
  description = "Priority P of the first listener rule: P = /_auth/* (authorizer), P+1 = /_stcore/* (authenticate, deny when signed out), P+2 = everything else (authenticate)."
  type        = number
  default     = 100

  validation {
    condition     = var.rule_priority >= 1 && var.rule_priority <= 49998 && floor(var.rule_priority) == var.rule_priority
    error_message = "rule_priority must be a whole number from 1 to 49998 (the module uses P, P+1 and P+2)."
  }
}

variable "host_headers" {
  description = "Optional host-header condition added to all three listener rules (e.g. the app's domain). Empty means any host."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.host_headers) <= 4 && alltrue([for h in var.host_headers : can(regex("^[a-z0-9*?]([a-z0-9*?.-]*[a-z0-9*?])?$", h))])
    error_message = "host_headers takes at most 4 lowercase host names (wildcards * and ? allowed), without scheme or port."
  }
}

variable "path_patterns" {
  description = "Path patterns of the catch-all rule that signs users in and forwards to Streamlit."
  type        = list(string)
  default     = ["/*"]

  validation {
    condition     = length(var.path_patterns) >= 1 && length(var.path_patterns) <= 4 && alltrue([for p in var.path_patterns : startswith(p, "/")])
    error_message = "path_patterns needs 1 to 4 patterns, each starting with '/'."
  }
}

variable "session_seconds" {
  description = "Sign-in session length in seconds: the ALB session timeout and GATE_SESSION_SECONDS (the token lifetime the callback reports). Default 12 h, not the ALB default of 7 days."
  type        = number
  default     = 43200

  validation {
    condition     = var.session_seconds >= 1 && var.session_seconds <= 604800 && floor(var.session_seconds) == var.session_seconds
    error_message = "session_seconds must be a whole number from 1 to 604800 (7 days), the range the ALB accepts."
  }
}

variable "authentication_extra_params" {
  description = "Query parameters the ALB adds to the Google authorization request. Null means { prompt = \"select_account\" } plus hd = <domain> when exactly one domain is allowed."
  type        = map(string)
  default     = null

  validation {
    condition     = try(length(var.authentication_extra_params), 0) <= 10
    error_message = "authentication_extra_params takes at most 10 parameters (ALB limit)."
  }
}

variable "session_cookie_name" {
  description = "Name of the ALB session cookie (GATE_SESSION_COOKIE; the authorizer's /_auth/logout expires its -0..-3 shards)."
  type        = string
  default     = "AWSELBAuthSessionCookie"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.session_cookie_name))
    error_message = "session_cookie_name must be 1-64 characters of letters, digits, '_' or '-'."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for both functions' log groups (the audit trail of every sign-in decision)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "memory_size" {
  description = "Memory (MB) of each function. The gate is small; 128 MB is plenty."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "callback_reserved_concurrency" {
  description = "Reserved concurrency of the callback function. Its function URL is public, so this caps what a flood of requests can cost (and keeps it from starving other functions)."
  type        = number
  default     = 20

  validation {
    condition     = var.callback_reserved_concurrency >= 1 && var.callback_reserved_concurrency <= 1000
    error_message = "callback_reserved_concurrency must be between 1 and 1000."
  }
}

variable "authorizer_reserved_concurrency" {
  description = "Reserved concurrency of the authorizer function. Its function URL is public, so this caps what a flood of requests can cost."
  type        = number
  default     = 20

  validation {
    condition     = var.authorizer_reserved_concurrency >= 1 && var.authorizer_reserved_concurrency <= 1000
    error_message = "authorizer_reserved_concurrency must be between 1 and 1000."
  }
}

variable "log_level" {
  description = "RUST_LOG of both functions."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be one of error, warn, info, debug (trace could log request details)."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
