# ECR + ECS Fargate running the Streamlit image unchanged (no login code, no secrets in it).

resource "aws_ecr_repository" "streamlit" {
  #checkov:skip=CKV_AWS_51:app-image.yml pushes :latest and forces a new deployment, which needs a mutable tag; each push is also tagged with the commit SHA.
  name                 = "${var.name}/streamlit"
  image_tag_mutability = "MUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "streamlit" {
  repository = aws_ecr_repository.streamlit.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 20 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 20
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "streamlit" {
  #checkov:skip=CKV_AWS_158:App logs carry no secrets; CloudWatch encrypts them at rest with an AWS owned key.
  name              = "/ecs/${var.name}/streamlit"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Lets ECS pull the image and write the container's logs; the app itself gets no AWS role.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }

  statement {
    sid       = "PullStreamlitImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.streamlit.arn]
  }

  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.streamlit.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-ecs-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_ecs_task_definition" "streamlit" {
  family                   = "${var.name}-streamlit"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64" # app-image.yml builds on an x86_64 runner
  }

  container_definitions = jsonencode([{
    name      = "streamlit"
    image     = "${aws_ecr_repository.streamlit.repository_url}:${var.image_tag}"
    essential = true
    portMappings = [{
      containerPort = local.streamlit_port
      protocol      = "tcp"
    }]
    # Streamlit writes its cache and config under the home directory.
    readonlyRootFilesystem = false
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.streamlit.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "streamlit"
      }
    }
  }])
}

resource "aws_security_group" "ecs" {
  name        = "${var.name}-ecs"
  description = "Streamlit tasks: only the ALB may connect, so identity headers cannot be forged around it."
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${var.name}-ecs" }
}

resource "aws_vpc_security_group_ingress_rule" "ecs_from_alb" {
  security_group_id            = aws_security_group.ecs.id
  description                  = "Streamlit from the ALB only"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.streamlit_port
  to_port                      = local.streamlit_port
}

resource "aws_vpc_security_group_egress_rule" "ecs_https_out" {
  security_group_id = aws_security_group.ecs.id
  description       = "HTTPS out through the NAT gateway (ECR image pulls, CloudWatch Logs)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_ecs_service" "streamlit" {
  name                              = "streamlit"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.streamlit.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.ecs.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.streamlit.arn
    container_name   = "streamlit"
    container_port   = local.streamlit_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # The target group must be used by a listener rule (created by the gate) before the
  # service can register tasks in it.
  depends_on = [module.gate, aws_iam_role_policy.execution]
}
