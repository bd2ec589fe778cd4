"""Ratios, goal checks and the Markdown report (bench/results.md) from the results dictionary."""

from __future__ import annotations

from costs import MONTHLY_USERS, PRICES, SIGN_INS_PER_USER_PER_MONTH

ZIP_LIMIT_BYTES = 4_000_000
RSS_LIMIT_MIB = 20
DECISION_LIMIT_US = 50


def ratios(r: dict) -> dict:
    rust, python = r["functions"]["rust"], r["functions"]["python"]

    def ratio(key: str) -> float:
        return python[key]["median"] / rust[key]["median"]

    bundle = r["functions"].get("rust-ca-bundle")
    compute = {impl: f["warm_own_ms"]["median"] - f["invocation_floor_ms"]["median"]
               for impl, f in (("rust", rust), ("python", python))}
    return {
        "warm_compute": compute["python"] / compute["rust"] if compute["rust"] > 0 else None,
        "cold_start": ratio("cold_ms"),
        "cold_start_ca_bundle": python["cold_ms"]["median"] / bundle["cold_ms"]["median"] if bundle else None,
        "warm_latency": ratio("warm_ms"),
        "warm_own_time": ratio("warm_own_ms"),
        "peak_rss": ratio("peak_rss_mib"),
    }


def goals(r: dict) -> list[dict]:
    ratio = r["ratios"]
    rss = {"callback": r["functions"]["rust"]["peak_rss_mib"]["max"], **r["peak_rss_mib_in_stack"]}
    rows = [
        ("decision (verify + policy) median", r["decision"]["verify_rs256_and_policy"]["median_ns"] / 1000,
         f"<= {DECISION_LIMIT_US} us", lambda v: v <= DECISION_LIMIT_US, "{:.1f} us"),
        ("cold start, Python / Rust", ratio["cold_start"], ">= 20x", lambda v: v >= 20, "{:.1f}x"),
        ("cold start, Python / Rust with one CA bundle file (Lambda-like)", ratio["cold_start_ca_bundle"], ">= 20x",
         lambda v: v >= 20, "{:.1f}x"),
        ("warm latency, Python / Rust", ratio["warm_latency"], ">= 5x", lambda v: v >= 5, "{:.1f}x"),
        ("peak RSS, Python / Rust", ratio["peak_rss"], ">= 10x", lambda v: v >= 10, "{:.1f}x"),
        ("peak RSS of each Rust function (max)", max(rss.values()), f"<= {RSS_LIMIT_MIB} MiB",
         lambda v: v <= RSS_LIMIT_MIB, "{:.1f} MiB"),
    ]
    for name, entry in r["sizes"].items():
        size = entry["arm64_zip_bytes"]
        rows.append((f"{name} bootstrap.zip (arm64)", size / 1e6 if size else None, "<= 4 MB",
                     lambda v: v is not None and v <= ZIP_LIMIT_BYTES / 1e6, "{:.2f} MB"))
    return [{"goal": name, "value": value, "target": target, "met": bool(value is not None and check(value)),
             "shown": fmt.format(value) if value is not None else "not measured"}
            for name, value, target, check, fmt in rows]


def headline(r: dict) -> str:
    """The README table (kept identical to the one at the top of results.md)."""
    f, ratio, d = r["functions"], r["ratios"], r["decision"]["verify_rs256_and_policy"]
    zips = " / ".join(f"{e['arm64_zip_bytes'] / 1e6:.2f} MB" if e["arm64_zip_bytes"] else "n/a"
                      for e in r["sizes"].values())
    rows = [
        "| Measure | Rust gate | Python reference | Ratio |",
        "|---|---|---|---|",
        f"| Cold start, exec → first token response (median) | {f['rust']['cold_ms']['median']:.0f} ms "
        f"| {f['python']['cold_ms']['median']:.0f} ms | **{ratio['cold_start']:.1f}×** |",
        f"| … same, CA roots from one bundle file as on Lambda (median) | {f['rust-ca-bundle']['cold_ms']['median']:.0f} ms "
        f"| {f['python']['cold_ms']['median']:.0f} ms | **{ratio['cold_start_ca_bundle']:.1f}×** |",
        f"| Warm token request, incl. mock Google (median) | {f['rust']['warm_ms']['median']:.2f} ms "
        f"| {f['python']['warm_ms']['median']:.2f} ms | **{ratio['warm_latency']:.1f}×** |",
        f"| Warm token request, own work only (median) | {f['rust']['warm_own_ms']['median']:.2f} ms "
        f"| {f['python']['warm_own_ms']['median']:.2f} ms | **{ratio['warm_own_time']:.1f}×** |",
        f"| Warm: own work above the invocation floor (median) | "
        f"{f['rust']['warm_own_ms']['median'] - f['rust']['invocation_floor_ms']['median']:.2f} ms | "
        f"{f['python']['warm_own_ms']['median'] - f['python']['invocation_floor_ms']['median']:.2f} ms | "
        f"**{ratio['warm_compute']:.1f}×** |",
        f"| Peak RSS (median) | {f['rust']['peak_rss_mib']['median']:.1f} MiB "
        f"| {f['python']['peak_rss_mib']['median']:.1f} MiB | **{ratio['peak_rss']:.1f}×** |",
        f"| Verify RS256 ID token + policy (criterion median) | {d['median_ns'] / 1000:.1f} µs "
        f"({d['per_second_per_core']:,.0f}/s/core) | – | – |",
        f"| arm64 `bootstrap.zip` (callback / authorizer) | {zips} | – | – |",
        f"| Gate's share of a sign-in, p50 / p99 | {r['sign_in']['gate_ms']['median']:.2f} / "
        f"{r['sign_in']['gate_ms']['p99']:.2f} ms | – | – |",
    ]
    return "\n".join(rows)


def readme_block(r: dict) -> str:
    """What goes between the README's `bench:` markers: when, where, the headline table."""
    met = [f"{g['goal']} {g['shown']} ({g['target']})" for g in r["goals"] if g["met"]]
    missed = [f"{g['goal']} {g['shown']} ({g['target']})" for g in r["goals"] if not g["met"]]
    return (f"Latest run: {r['machine']['date_utc']}, {r['machine']['cores']}-core shared {r['machine']['arch']} "
            "machine (sizes: the arm64 zips).\n\n" + headline(r) + "\n\n"
            f"Goals met: {'; '.join(met) or 'none'}.\n"
            f"Goals missed: {'; '.join(missed) or 'none'}.")


def update_readme(path, r: dict) -> bool:
    """Replaces the text between `<!-- bench:begin -->` and `<!-- bench:end -->`; False if the
    README has no such markers (then it is left alone)."""
    text = path.read_text()
    begin, end = "<!-- bench:begin -->\n", "\n<!-- bench:end -->"
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        return False
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    path.write_text(head + begin + readme_block(r) + end + tail)
    return True


def _ms(s: dict) -> str:
    return f"{s['median']:.2f} | {s['p99']:.2f} | {s['min']:.2f} | {s['max']:.2f} | {s['n']}"


def markdown(r: dict) -> str:
    m, f, s, c = r["machine"], r["functions"], r["sign_in"], r["costs"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` on {m['date_utc']} (commit {m['commit']}). "
        f"{'**Quick smoke run: too few samples to quote.** ' if r['settings']['quick'] else ''}"
        "Both implementations were measured by the same harness in the same run, interleaved. "
        "How it works and what the numbers mean: [bench/README.md](README.md).",
        "",
        headline(r),
        "",
        "## Goals (issue #6)",
        "",
        "| Goal | Measured | Target | Met |",
        "|---|---|---|---|",
    ]
    lines += [f"| {g['goal']} | {g['shown']} | {g['target']} | {'yes' if g['met'] else '**no**'} |" for g in r["goals"]]
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores ({m['arch']}), Linux {m['kernel']}; shared with other work: "
        f"load average {m['load_average_at_start']} at start. Absolute times are noisy; compare the ratios.",
        f"- {m['rustc']}; reference: {m['python_reference']} (awslambdaric, boto3, requests, PyJWT[crypto]).",
        "- The harness runs the **x86_64 host build** (`cargo build --release -p callback`, the same release profile "
        "as the Lambda build); the sizes are of the **arm64** zips from `make package`.",
        "",
        "## 1. Per-decision CPU (criterion, `gate/benches/verify.rs`)",
        "",
        "| Benchmark | Median | 95% CI of the median | Per second per core |",
        "|---|---|---|---|",
    ]
    for name, d in r["decision"].items():
        lo, hi = d["median_ci95_ns"]
        lines.append(f"| `{name}` | {d['median_ns'] / 1000:.2f} µs | {lo / 1000:.2f}–{hi / 1000:.2f} µs "
                     f"| {d['per_second_per_core']:,.0f} |")
    lines += [
        "",
        "## 2. Whole-function cold start and warm latency (`callback`, loopback Lambda Runtime API)",
        "",
        f"{r['settings']['runs']} cold starts per implementation, each followed by {r['settings']['warm_per_run']} "
        f"warm invocations; own-time pass: {r['settings']['own_time_invocations']} more warm invocations with "
        "Google's token endpoint timed by a proxy. Milliseconds.",
        "",
        "| Implementation | Measure | Median | p99 | Min | Max | n |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {"cold_ms": "cold: exec → first response", "init_ms": "init: exec → first /next poll",
              "first_invocation_ms": "first invocation", "warm_ms": "warm invocation",
              "warm_own_ms": "warm, own work (minus Google)",
              "invocation_floor_ms": "floor: request refused at client auth (no I/O)"}
    for impl in ("rust", "rust-ca-bundle", "python"):
        for key, label in labels.items():
            if f[impl].get(key):
                lines.append(f"| {impl} | {label} | {_ms(f[impl][key])} |")
    lines += [
        "",
        "`rust-ca-bundle` is the same binary with `SSL_CERT_FILE` set to the system CA bundle: by default the "
        "TLS clients (reqwest and the AWS SDK, each on its own) also read every file in `/etc/ssl/certs`, "
        "which this Debian machine has and Lambda's Amazon Linux 2023 does not (one bundle file there).",
    ]
    lines += [
        "",
        "## 3. Memory and size",
        "",
        "| Function | Peak RSS (VmHWM) | arm64 `bootstrap.zip` | x86_64 binary |",
        "|---|---|---|---|",
        f"| callback, Rust | {f['rust']['peak_rss_mib']['median']:.1f} MiB (median of {f['rust']['peak_rss_mib']['n']} "
        f"runs, max {f['rust']['peak_rss_mib']['max']:.1f}) | {_bytes(r['sizes']['callback']['arm64_zip_bytes'])} "
        f"| {_bytes(r['sizes']['callback']['x86_64_binary_bytes'])} |",
        f"| authorizer, Rust (in the sign-in run) | {r['peak_rss_mib_in_stack'].get('authorizer', 0):.1f} MiB "
        f"| {_bytes(r['sizes']['authorizer']['arm64_zip_bytes'])} | {_bytes(r['sizes']['authorizer']['x86_64_binary_bytes'])} |",
        f"| callback, Python reference | {f['python']['peak_rss_mib']['median']:.1f} MiB | – | – |",
        "",
        "Resident memory at the end of each run, split (medians): Rust "
        f"{f['rust']['rss_anon_mib']['median']:.1f} MiB private + {f['rust']['rss_file_mib']['median']:.1f} MiB "
        f"file-backed (mostly its own binary and libc); Python {f['python']['rss_anon_mib']['median']:.1f} MiB private + "
        f"{f['python']['rss_file_mib']['median']:.1f} MiB file-backed. Private memory ratio: "
        f"**{f['python']['rss_anon_mib']['median'] / f['rust']['rss_anon_mib']['median']:.0f}×**.",
        "",
        "## 4. Cost per sign-in",
        "",
        f"Two invocations per sign-in (callback + authorizer), arm64, {c['assumptions']['memory_mb']} MB (the "
        "Terraform module's `memory_size`), billed duration = measured duration rounded up to 1 ms, INIT billed "
        "(as for all on-demand functions since 2025-08-01). The authorizer is priced like the callback (an upper "
        "bound: it makes no SSM or Google call). Lambda's free tier is ignored.",
        "",
        "| Implementation | per 1M sign-ins, all warm | per 1M sign-ins, all cold |",
        "|---|---|---|",
    ]
    for impl, row in c["per_million_sign_ins_usd"].items():
        lines.append(f"| {impl} | ${row['all_warm_usd']:.2f} | ${row['all_cold_usd']:.2f} |")
    header = " | ".join(f"{n:,} users" for n in MONTHLY_USERS)
    lines += [
        "",
        f"Per month, {SIGN_INS_PER_USER_PER_MONTH} sign-ins per user (12 h sessions, one per working day), every "
        "sign-in priced as a cold start (low traffic rarely finds a warm function):",
        "",
        f"| Option | {header} |",
        "|" + "---|" * (len(MONTHLY_USERS) + 1),
    ]
    names = {"gate_lambda_rust": "this gate (Rust Lambdas)", "gate_lambda_python": "same design in Python",
             "cognito_essentials": "Cognito Essentials (Google as social IdP), 10,000 free MAU",
             "cognito_essentials_no_free_tier": "Cognito Essentials, free MAU already used in the account",
             "fargate_proxy_1_task": "oauth2-proxy on Fargate, 1 task 0.25 vCPU/0.5 GB ARM, always on",
             "fargate_proxy_2_tasks": "same, 2 tasks (two AZs)"}
    for key, row in c["monthly_usd"].items():
        lines.append(f"| {names.get(key, key)} | " + " | ".join(_usd(row[str(n)]) for n in MONTHLY_USERS) + " |")
    lines += ["", "Prices used (US East, N. Virginia):", "", "| Price | USD | Source | Read | Confirmed |",
              "|---|---|---|---|---|"]
    for p in PRICES.values():
        lines.append(f"| {p['what']} | {p['usd']:.10g} | {p['source']} | {p['read']} | "
                     f"{'yes' if p['confirmed'] else '**not cross-checked**'} |")
    lines += [
        "",
        "Not included anywhere: the ALB (needed by every option), CloudWatch Logs, NAT/IPv4 for Fargate, "
        "SSM (standard parameters are free), Google (free). On real Lambda the callback also waits for Google's "
        "token endpoint over the internet (tens of ms, billed), and 128 MB gets a fraction of a vCPU, so real "
        "billed durations are longer than these loopback figures; the per-sign-in cost stays below a thousandth of a cent.",
        "",
        "## 5. Sign-in overhead through the local stack",
        "",
        f"{s['gate_ms']['n']} browserless sign-ins (requests): ALB emulator → mock Google chooser → "
        "`/oauth2/idpresponse` → callback → mock Google token endpoint → authorizer → app. Gate share = callback "
        "duration − time waiting for mock Google's token endpoint (timing proxy) + authorizer duration. Milliseconds.",
        "",
        "| Measure | Median | p99 | Min | Max | n |",
        "|---|---|---|---|---|---|",
    ]
    labels = {"gate_ms": "**gate share** (callback own + authorizer)", "callback_own_ms": "callback, own work",
              "authorizer_ms": "authorizer", "google_token_ms": "mock Google token endpoint (excluded)",
              "idpresponse_ms": "whole `/oauth2/idpresponse` step (ALB emulator, both functions, mock)",
              "sign_in_ms": "whole sign-in, first request → app page"}
    for key, label in labels.items():
        lines.append(f"| {label} | {_ms(s[key])} |")
    lines.append("")
    return "\n".join(lines)


def _usd(value: float) -> str:
    return f"${value:.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def _bytes(n: int | None) -> str:
    return f"{n:,} B ({n / 1e6:.2f} MB)" if n else "not built"
