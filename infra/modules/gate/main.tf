# gate: Google sign-in with a Workspace-domain policy in front of an ALB target.
#
# The ALB keeps the browser side of OIDC (state, nonce, cookies); the two functions keep the
# trust decisions: `callback` is the OIDC token endpoint (exchanges the code with Google,
# verifies the ID token, applies the policy) and `authorizer` is the userinfo endpoint plus
# the /_auth/* routes (logout).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# The AWS managed key that encrypts SecureStrings when no key is given. It exists once any
# SecureString was created in the region (the Google client JSON is created before apply).
data "aws_kms_alias" "ssm" {
  count = var.kms_key_arn == null ? 1 : 0
  name  = "alias/aws/ssm"
}

locals {
  callback_name   = "${var.name}-callback"
  authorizer_name = "${var.name}-authorizer"

  gate_client_secret_param_name = coalesce(var.gate_client_secret_param_name, "/${var.name}/gate-client-secret")

  # Names start with "/", so the ARN is ...:parameter/<path without the leading slash>.
  ssm_arn_prefix          = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:parameter"
  google_client_param_arn = "${local.ssm_arn_prefix}${var.google_client_param_name}"
  gate_secret_param_arn   = "${local.ssm_arn_prefix}${local.gate_client_secret_param_name}"
  policy_param_arns       = var.policy_param_name == null ? [] : ["${local.ssm_arn_prefix}${var.policy_param_name}"]

  ssm_kms_key_arn = coalesce(var.kms_key_arn, one(data.aws_kms_alias.ssm[*].target_key_arn))

  # Hint Google's account chooser; with a single Workspace domain also pre-select it (hd is
  # only a hint: the functions enforce the domain on the verified ID token).
  default_extra_params = merge(
    { prompt = "select_account" },
    length(var.allowed_domains) == 1 ? { hd = var.allowed_domains[0] } : {},
  )
  extra_params = var.authentication_extra_params != null ? var.authentication_extra_params : local.default_extra_params

  policy_env = var.policy_param_name == null ? {} : { GATE_POLICY_PARAM = var.policy_param_name }

  # Settings both functions must agree on (policy, hosts, session).
  common_env = merge({
    GATE_ALLOWED_DOMAINS = join(",", var.allowed_domains)
    GATE_ALLOWED_EMAILS  = join(",", var.allowed_emails)
    GATE_ALLOWED_HOSTS   = join(",", var.allowed_hosts)
    GATE_SESSION_COOKIE  = var.session_cookie_name
    GATE_SESSION_SECONDS = tostring(var.session_seconds)
    RUST_LOG             = var.log_level
  }, local.policy_env)

  callback_env = merge(local.common_env, {
    GATE_GOOGLE_CLIENT_PARAM = var.google_client_param_name
    GATE_CLIENT_SECRET_PARAM = aws_ssm_parameter.gate_client_secret.name
  })

  # The authorizer only verifies ID tokens: it needs the client ID (audience), not the JSON.
  authorizer_env = merge(local.common_env, {
    GATE_GOOGLE_CLIENT_ID = var.google_client_id
  })

  redirect_uris = [for h in var.allowed_hosts : "https://${h}/oauth2/idpresponse"]
}

# The secret the ALB uses to authenticate to our token endpoint. The ALB takes it only as
# plain listener configuration, so it is in Terraform state; the Google client secret is not.
# Alphanumeric only: it travels in HTTP Basic auth and form bodies without escaping surprises.
resource "random_password" "gate_client_secret" {
  length  = 48
  special = false
}

resource "aws_ssm_parameter" "gate_client_secret" {
  name        = local.gate_client_secret_param_name
  description = "Client secret the ALB presents to the ${local.callback_name} token endpoint."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = random_password.gate_client_secret.result
  tags        = var.tags
}
