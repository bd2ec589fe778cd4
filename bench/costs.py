"""Cost per sign-in from measured durations, next to Cognito and an always-on proxy container.

Prices are constants with where and when they were read; this machine cannot browse, so they were
looked up through a search index of public pages. AWS's own pricing pages render their tables with
scripts, so most figures come from pages that transcribe them; each says how sure it is.
All prices: US East (N. Virginia), USD, on-demand, no free tier unless stated.
"""

from __future__ import annotations

import math

PRICES = {
    "lambda_arm64_gb_second": {
        "usd": 0.0000133334,
        "what": "Lambda duration, arm64, first 7.5 billion GB-s per month",
        "source": "aws.amazon.com/lambda/pricing, as transcribed by cloudchipr.com ('AWS Lambda Pricing Breakdown', 2024) "
                  "and a 2025 Lambda cost guide (git.mcrn.ar lambda_local_runner docs); both agree",
        "read": "2026-12-04 (search index)",
        "confirmed": True,
    },
    "lambda_request": {
        "usd": 0.20 / 1_000_000,
        "what": "Lambda requests, $0.20 per million (x86 and arm64)",
        "source": "same as above",
        "read": "2026-12-04 (search index)",
        "confirmed": True,
    },
    "cognito_essentials_mau": {
        "usd": 0.015,
        "what": "Cognito user pools, Essentials plan (the default), per MAU above 10,000 free MAU per account; "
                "Google as a social identity provider counts as a regular MAU",
        "source": "aws.amazon.com/cognito/pricing worked examples, transcribed 2026-09-20 (api-evangelist/amazon-cognito plans YAML)",
        "read": "2026-12-04 (search index)",
        "confirmed": True,
    },
    "cognito_free_mau": {
        "usd": 10_000,
        "what": "Cognito Essentials/Lite free tier, MAU per month per account",
        "source": "same as above",
        "read": "2026-12-04 (search index)",
        "confirmed": True,
    },
    "fargate_arm_vcpu_hour": {
        "usd": 0.03238,
        "what": "Fargate Linux/ARM per vCPU-hour",
        "source": "vantage.sh 'AWS Fargate Pricing Explained' (us-east-1 table); its x86 figures ($0.04048, $0.004445) "
                  "match wring.co's March 2026 guide, the ARM row was not cross-checked",
        "read": "2026-12-04 (search index)",
        "confirmed": False,
    },
    "fargate_arm_gb_hour": {
        "usd": 0.00356,
        "what": "Fargate Linux/ARM per GB-hour",
        "source": "same as above",
        "read": "2026-12-04 (search index)",
        "confirmed": False,
    },
}

# Since 2025-08-01 Lambda bills the INIT phase of every on-demand function (AWS Compute blog
# "AWS Lambda standardizes billing for INIT Phase"); custom runtimes (ours) were billed already.
INIT_IS_BILLED = True
MEMORY_MB = 128  # infra/modules/gate variable "memory_size" default
INVOCATIONS_PER_SIGN_IN = 2  # callback (token endpoint) + authorizer (userinfo)
SIGN_INS_PER_USER_PER_MONTH = 22  # assumption: 12 h sessions, one sign-in per working day
HOURS_PER_MONTH = 730
PROXY_TASK = {"vcpu": 0.25, "gb": 0.5}  # smallest Fargate size, enough for oauth2-proxy
MONTHLY_USERS = (100, 1_000, 10_000)


def price(name: str) -> float:
    return PRICES[name]["usd"]


def invocation_usd(billed_ms: float) -> float:
    """One invocation: the request plus its duration, rounded up to the next millisecond."""
    gb_seconds = MEMORY_MB / 1024 * math.ceil(billed_ms) / 1000
    return price("lambda_request") + gb_seconds * price("lambda_arm64_gb_second")


def sign_in_usd(callback_ms: float, authorizer_ms: float) -> float:
    return invocation_usd(callback_ms) + invocation_usd(authorizer_ms)


def cognito_monthly_usd(users: int) -> float:
    return max(0, users - price("cognito_free_mau")) * price("cognito_essentials_mau")


def fargate_monthly_usd(tasks: int = 1) -> float:
    hourly = PROXY_TASK["vcpu"] * price("fargate_arm_vcpu_hour") + PROXY_TASK["gb"] * price("fargate_arm_gb_hour")
    return tasks * hourly * HOURS_PER_MONTH


def table(durations: dict[str, dict[str, float]]) -> dict:
    """`durations[impl]` has `warm_ms` and `cold_ms` medians of one callback invocation. The
    authorizer does less work than the callback (no SSM, no Google call), so the callback's figure
    is used for it too: an upper bound."""
    per_million = {}
    monthly = {}
    for impl, d in durations.items():
        warm = sign_in_usd(d["warm_ms"], d["warm_ms"])
        cold = sign_in_usd(d["cold_ms"], d["cold_ms"])
        per_million[impl] = {"all_warm_usd": warm * 1e6, "all_cold_usd": cold * 1e6}
        # Low traffic: most sign-ins meet a cold function, so price every one as cold.
        monthly[f"gate_lambda_{impl}"] = {str(n): n * SIGN_INS_PER_USER_PER_MONTH * cold for n in MONTHLY_USERS}
    monthly["cognito_essentials"] = {str(n): cognito_monthly_usd(n) for n in MONTHLY_USERS}
    # The free MAU are per account (or organization): a second user pool does not get them again.
    monthly["cognito_essentials_no_free_tier"] = {str(n): n * price("cognito_essentials_mau") for n in MONTHLY_USERS}
    monthly["fargate_proxy_1_task"] = {str(n): fargate_monthly_usd(1) for n in MONTHLY_USERS}
    monthly["fargate_proxy_2_tasks"] = {str(n): fargate_monthly_usd(2) for n in MONTHLY_USERS}
    return {
        "per_million_sign_ins_usd": per_million,
        "monthly_usd": monthly,
        "assumptions": {
            "memory_mb": MEMORY_MB,
            "invocations_per_sign_in": INVOCATIONS_PER_SIGN_IN,
            "sign_ins_per_user_per_month": SIGN_INS_PER_USER_PER_MONTH,
            "init_billed": INIT_IS_BILLED,
            "proxy_task": PROXY_TASK,
            "free_tiers": "Lambda free tier (1M requests, 400,000 GB-s per month) ignored; Cognito's 10,000 free MAU applied",
        },
        "prices": PRICES,
    }
