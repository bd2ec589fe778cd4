# Internet-facing ALB that only allowed_cidrs can reach. All app traffic goes through the
# gate's listener rules; the listener's default action answers 404.

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "ALB: HTTP/HTTPS from allowed_cidrs only; out to Google, the gate function URLs and the tasks."
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${var.name}-alb" }

  lifecycle {
    precondition {
      condition     = var.allow_public_internet || !contains(var.allowed_cidrs, "0.0.0.0/0")
      error_message = "allowed_cidrs contains 0.0.0.0/0: set allow_public_internet = true to open the ALB to the whole internet."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from an allowed CIDR"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from an allowed CIDR (redirected to HTTPS)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

# authenticate-oidc calls Google and the gate's function URLs over HTTPS (public IPv4 endpoints
# whose addresses change), so 443 must be open to the internet.
resource "aws_vpc_security_group_egress_rule" "alb_https_out" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS to Google and the gate function URLs (IdP endpoints)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Streamlit tasks"
  referenced_security_group_id = aws_security_group.ecs.id
  ip_protocol                  = "tcp"
  from_port                    = local.streamlit_port
  to_port                      = local.streamlit_port
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:Access is limited to allowed_cidrs by the security group and to allowed Google accounts by the gate; add WAF if you open it to the internet.
  #checkov:skip=CKV_AWS_91:Access logs are optional (alb_access_logs_bucket) because they need a bucket with the ELB delivery policy.
  #checkov:skip=CKV_AWS_150:Deletion protection is a variable (alb_deletion_protection) so the example can be destroyed.
  name                       = "${var.name}-alb"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = aws_subnet.public[*].id
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  idle_timeout               = 300 # Streamlit keeps a websocket open; fewer reconnects

  dynamic "access_logs" {
    for_each = var.alb_access_logs_bucket == null ? [] : [var.alb_access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }
}

resource "aws_lb_target_group" "streamlit" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the hop to the tasks stays inside the VPC and Streamlit serves plain HTTP unchanged.
  name        = "${var.name}-streamlit"
  target_type = "ip"
  protocol    = "HTTP"
  port        = local.streamlit_port
  vpc_id      = aws_vpc.this.id

  health_check {
    path                = "/_stcore/health"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  # A Streamlit session lives in one task: keep a browser on the task that holds it.
  stickiness {
    type            = "lb_cookie"
    enabled         = true
    cookie_duration = 86400
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = aws_acm_certificate_validation.this.certificate_arn

  # Only the gate's rules forward to Streamlit; anything they do not match is a 404.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}
