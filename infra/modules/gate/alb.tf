# ALB wiring: a Lambda target group for the authorizer's /_auth/* routes and three listener
# rules. Lower priority numbers are evaluated first.

resource "aws_lb_target_group" "authorizer" {
  name                               = local.authorizer_name
  target_type                        = "lambda"
  lambda_multi_value_headers_enabled = true # logout sends several Set-Cookie headers
  tags                               = var.tags
}

resource "aws_lambda_permission" "alb_invoke_authorizer" {
  statement_id  = "AllowInvokeFromAlbTargetGroup"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.authorizer.function_name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.authorizer.arn
}

resource "aws_lb_target_group_attachment" "authorizer" {
  target_group_arn = aws_lb_target_group.authorizer.arn
  target_id        = aws_lambda_function.authorizer.arn
  depends_on       = [aws_lambda_permission.alb_invoke_authorizer]
}

locals {
  # Same settings for both authenticate rules; only on_unauthenticated_request differs.
  oidc = {
    issuer                 = "https://accounts.google.com"
    authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth"
    # Function URLs end with "/".
    token_endpoint     = "${aws_lambda_function_url.callback.function_url}token"
    user_info_endpoint = "${aws_lambda_function_url.authorizer.function_url}userinfo"
    client_id          = var.google_client_id
    client_secret      = random_password.gate_client_secret.result
    scope              = "openid email profile"
  }
}

# P: /_auth/* (logout, signed-out page) goes to the authorizer without authentication, so a
# signed-out or denied user can still reach it.
resource "aws_lb_listener_rule" "auth_routes" {
  listener_arn = var.listener_arn
  priority     = var.rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.authorizer.arn
  }

  condition {
    path_pattern {
      values = ["/_auth/*"]
    }
  }

  dynamic "condition" {
    for_each = length(var.host_headers) > 0 ? [var.host_headers] : []
    content {
      host_header {
        values = condition.value
      }
    }
  }

  tags       = var.tags
  depends_on = [aws_lb_target_group_attachment.authorizer]
}

# P+1: Streamlit's websocket and XHRs. When the session has expired answer 401 instead of
# redirecting to Google: a redirected websocket makes Streamlit retry in a storm, while a
# 401 makes it show "connection lost" and a page reload signs in again.
resource "aws_lb_listener_rule" "streamlit_internal" {
  listener_arn = var.listener_arn
  priority     = var.rule_priority + 1

  action {
    type  = "authenticate-oidc"
    order = 1

    authenticate_oidc {
      issuer                              = local.oidc.issuer
      authorization_endpoint              = local.oidc.authorization_endpoint
      token_endpoint                      = local.oidc.token_endpoint
      user_info_endpoint                  = local.oidc.user_info_endpoint
      client_id                           = local.oidc.client_id
      client_secret                       = local.oidc.client_secret
      scope                               = local.oidc.scope
      session_cookie_name                 = var.session_cookie_name
      session_timeout                     = var.session_seconds
      authentication_request_extra_params = local.extra_params
      on_unauthenticated_request          = "deny"
    }
  }

  action {
    type             = "forward"
    order            = 2
    target_group_arn = var.target_group_arn
  }

  condition {
    path_pattern {
      values = ["/_stcore/*"]
    }
  }

  dynamic "condition" {
    for_each = length(var.host_headers) > 0 ? [var.host_headers] : []
    content {
      host_header {
        values = condition.value
      }
    }
  }

  tags = var.tags
}

# P+2: everything else: sign in with Google through our token and userinfo endpoints, then
# forward to Streamlit with the x-amzn-oidc-* headers.
resource "aws_lb_listener_rule" "app" {
  listener_arn = var.listener_arn
  priority     = var.rule_priority + 2

  action {
    type  = "authenticate-oidc"
    order = 1

    authenticate_oidc {
      issuer                              = local.oidc.issuer
      authorization_endpoint              = local.oidc.authorization_endpoint
      token_endpoint                      = local.oidc.token_endpoint
      user_info_endpoint                  = local.oidc.user_info_endpoint
      client_id                           = local.oidc.client_id
      client_secret                       = local.oidc.client_secret
      scope                               = local.oidc.scope
      session_cookie_name                 = var.session_cookie_name
      session_timeout                     = var.session_seconds
      authentication_request_extra_params = local.extra_params
      on_unauthenticated_request          = "authenticate"
    }
  }

  action {
    type             = "forward"
    order            = 2
    target_group_arn = var.target_group_arn
  }

  condition {
    path_pattern {
      values = var.path_patterns
    }
  }

  dynamic "condition" {
    for_each = length(var.host_headers) > 0 ? [var.host_headers] : []
    content {
      host_header {
        values = condition.value
      }
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(var.path_patterns) + length(var.host_headers) <= 5
      error_message = "An ALB rule takes at most 5 condition values: path_patterns plus host_headers must not exceed 5."
    }
  }
}
