#!/usr/bin/env python3
"""`make bench`: measure the gate against a Python reference on this machine, in one run, and
write bench/results.json and bench/results.md.

    .venv/bin/python bench/run.py [--runs 7] [--warm 30] [--sign-ins 200] [--quick]

Needs the arm64 zips from `make package` (the Makefile's bench target builds them first).
Logs of every process go to bench/out/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from pathlib import Path

import coldstart
import costs
import report
import signin
from services import ROOT, MockGoogle, Moto
from stats import summary
from timing_proxy import TimingProxy

OUT = ROOT / "bench" / "out"
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "release"
LAMBDA_ZIPS = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "lambda"
CRITERION = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "criterion"
PACKAGES = ("callback", "authorizer", "mock-google", "alb-emulator")


def say(line: str) -> None:
    print(line, flush=True)


def run(argv: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    say(f"$ {' '.join(argv)}")
    result = subprocess.run(argv, cwd=ROOT, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode})")
    return result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())

    def version(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "unknown"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "rustc": version(["rustc", "--version"]),
        "python_reference": version([str(coldstart.REFERENCE_PYTHON), "--version"]),
        "commit": version(["git", "rev-parse", "--short", "HEAD"]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def criterion_bench(quick: bool) -> dict:
    timing = ["--warm-up-time", "1", "--measurement-time", "3"] if quick else ["--warm-up-time", "3", "--measurement-time", "10"]
    run(["cargo", "bench", "-p", "gate", "--bench", "verify", "--", *timing], "criterion benchmark")
    results = {}
    for name in ("verify_rs256_and_policy", "policy_only"):
        estimates = json.loads((CRITERION / "decision" / name / "new" / "estimates.json").read_text())
        med = estimates["median"]
        results[name] = {
            "median_ns": med["point_estimate"],
            "median_ci95_ns": [med["confidence_interval"]["lower_bound"], med["confidence_interval"]["upper_bound"]],
            "per_second_per_core": 1e9 / med["point_estimate"],
        }
    return results


def sizes() -> dict:
    result = {}
    for name in ("callback", "authorizer"):
        zip_path = LAMBDA_ZIPS / name / "bootstrap.zip"
        result[name] = {
            "arm64_zip_bytes": zip_path.stat().st_size if zip_path.exists() else None,
            "x86_64_binary_bytes": (RELEASE / name).stat().st_size,
        }
    missing = [name for name, entry in result.items() if entry["arm64_zip_bytes"] is None]
    if missing:
        say(f"warning: no arm64 zip for {', '.join(missing)}: run `make package` (make bench does)")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="cold starts per implementation")
    parser.add_argument("--warm", type=int, default=15, help="warm invocations after each cold start")
    parser.add_argument("--own-time", type=int, default=100, help="warm invocations timed without Google's share")
    parser.add_argument("--sign-ins", type=int, default=200, help="browserless sign-ins through the local stack")
    parser.add_argument("--quick", action="store_true", help="few samples, short criterion run (smoke test)")
    parser.add_argument("--no-build", action="store_true", help="use the release binaries already in target/")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.warm, args.own_time, args.sign_ins = 2, 5, 10, 10
    OUT.mkdir(parents=True, exist_ok=True)

    info = machine()
    if not args.no_build:
        run(["cargo", "build", "--release"] + [arg for p in PACKAGES for arg in ("-p", p)], "release build")
    run(["bash", str(ROOT / "bench" / "setup_reference.sh")], "Python reference venv")
    decision = criterion_bench(args.quick)
    size = sizes()

    gate_secret = secrets.token_urlsafe(32)
    moto = Moto(OUT)
    google = None
    try:
        google = MockGoogle(RELEASE / "mock-google", OUT)
        moto.seed(google.client_json([coldstart.REDIRECT_URI]), gate_secret)
        env = coldstart.gate_environment(moto.url, google.gate_environment())
        impls = [coldstart.rust_callback(RELEASE / "callback"), coldstart.python_callback()]
        say("parity: both implementations answer the same requests the same way")
        parity = coldstart.parity(impls, env, google, gate_secret, OUT)
        say(f"cold starts: {args.runs} per implementation, {args.warm} warm invocations after each")
        lifecycle = coldstart.measure(impls + [coldstart.rust_callback_ca_bundle(RELEASE / "callback")], env, google,
                                      gate_secret, args.runs, args.warm, OUT, say)
        say(f"own time: {args.own_time} warm invocations each, Google's token endpoint timed apart")
        proxy = TimingProxy(google.url)
        try:
            own = coldstart.own_time(impls, env, google, proxy, gate_secret, args.own_time, OUT)
        finally:
            proxy.close()
        say(f"sign-ins through the ALB emulator: {args.sign_ins}")
        binaries = {name: RELEASE / name for name in ("callback", "authorizer", "alb-emulator")}
        sign_ins = signin.measure(binaries, moto, google, gate_secret, args.sign_ins, OUT, say)
    finally:
        if google is not None:
            google.stop()
        moto.stop()

    functions = {}
    for name, samples in lifecycle.items():
        functions[name] = {
            "cold_ms": summary(samples.cold_ms),
            "init_ms": summary(samples.init_ms),
            "first_invocation_ms": summary(samples.first_invocation_ms),
            "warm_ms": summary(samples.warm_ms),
            "warm_own_ms": summary(own[name]["own"]) if name in own else None,
            "invocation_floor_ms": summary(own[name]["floor"]) if name in own else None,
            "peak_rss_mib": summary([kib / 1024 for kib in samples.peak_rss_kib]),
            "rss_anon_mib": summary([kib / 1024 for kib in samples.anon_kib]),
            "rss_file_mib": summary([kib / 1024 for kib in samples.file_kib]),
        }
    cost = costs.table({name: {"warm_ms": f["warm_ms"]["median"], "cold_ms": f["cold_ms"]["median"]}
                        for name, f in functions.items() if name in ("rust", "python")})
    results = {
        "machine": info,
        "settings": {"runs": args.runs, "warm_per_run": args.warm, "own_time_invocations": args.own_time,
                     "sign_ins": args.sign_ins, "quick": args.quick},
        "parity": parity,
        "decision": decision,
        "functions": functions,
        "sizes": size,
        "sign_in": {name: summary(values) for name, values in vars(sign_ins).items() if name != "peak_rss_mib"},
        "peak_rss_mib_in_stack": sign_ins.peak_rss_mib,
        "costs": cost,
    }
    results["ratios"] = report.ratios(results)
    results["goals"] = report.goals(results)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "bench" / "results.md").write_text(report.markdown(results))
    say("wrote bench/results.json and bench/results.md")
    if report.update_readme(ROOT / "README.md", results):
        say("updated the Benchmarks table in README.md")
    else:
        say("README.md has no <!-- bench:begin/end --> markers: its table was not updated")
    say(report.headline(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
