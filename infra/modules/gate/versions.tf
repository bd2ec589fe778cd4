terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x. Since October 2025 a public function URL also needs `lambda:InvokeFunction`
      # (with InvokedViaFunctionUrl); aws_lambda_function_url adds that statement itself
      # from 6.28.0 on, so older 6.x releases would create URLs that answer 403.
      version = ">= 6.28.0, < 7.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
