#!/usr/bin/env bash
# Offline checks of the Terraform code and the deploy workflows.
#
#   bash infra/scripts/check.sh lint   terraform fmt, schema check, checkov, workflow check
#   bash infra/scripts/check.sh test   pytest: the tools' tests and the HCL invariant tests
#
# Installs what it needs on first use and reuses it afterwards:
#   .venv/                      project venv (scripts/venv.sh): python-hcl2, PyYAML, pytest
#   .cache/checkov-venv/        checkov in its own venv (it pins boto versions of its own)
#   .cache/npm/*.tgz            @cdktf/provider-aws tarball (the hashicorp/aws schema), checksum-pinned
#   .cache/cdktf-provider-aws-*/  its unpacked index.js / index.d.ts files
# Exits non-zero when any check fails; every problem is printed as file:line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache="$root/.cache"
py="$root/.venv/bin/python"
checkov_version="3.3.30"
workflows=("$root/.github/workflows/deploy.yml" "$root/.github/workflows/app-image.yml")

step() { printf '==> %s\n' "$*"; }

ensure_venv() {
  bash "$root/scripts/venv.sh"
}

ensure_checkov() {
  local venv="$cache/checkov-venv"
  if [ "$(cat "$venv/.installed-version" 2>/dev/null)" != "$checkov_version" ]; then
    step "installing checkov $checkov_version into $venv"
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$checkov_version"
    echo "$checkov_version" > "$venv/.installed-version"
  fi
}

need_terraform() {
  if ! command -v terraform >/dev/null; then
    echo "terraform not found on PATH (expected /usr/local/bin/terraform, 1.11)" >&2
    exit 2
  fi
}

lint() {
  local failed=()
  need_terraform
  ensure_venv
  ensure_checkov

  step "terraform fmt -check -recursive infra"
  # An empty CLI config keeps terraform from warning about a missing ~/.terraformrc.
  mkdir -p "$cache" && : > "$cache/terraformrc"
  if ! TF_CLI_CONFIG_FILE="$cache/terraformrc" terraform fmt -check -recursive -diff "$root/infra"; then
    echo "fix with: terraform fmt -recursive infra" >&2
    failed+=("terraform fmt")
  fi

  step "schema check against hashicorp/aws 6.25.0"
  "$py" "$root/infra/tools/tf_schema_check.py" --cache-dir "$cache" "$root/infra" || failed+=("schema check")

  step "checkov"
  # BC_SKIP_MAPPING and --skip-download: no calls home, no policy download.
  if ! (cd "$root/infra" && BC_SKIP_MAPPING=TRUE "$cache/checkov-venv/bin/checkov" \
      --directory . --framework terraform --skip-download --quiet --compact); then
    failed+=("checkov")
  fi

  step "workflow check (${workflows[*]##*/})"
  "$py" "$root/infra/tools/workflow_check.py" "${workflows[@]}" || failed+=("workflow check")

  if [ ${#failed[@]} -gt 0 ]; then
    printf 'infra lint FAILED: %s\n' "${failed[*]}" >&2
    exit 1
  fi
  echo "infra lint: all checks passed"
}

tests() {
  ensure_venv
  # The schema-check tests read the real provider schema: fetch it up front (cached).
  "$py" "$root/infra/tools/tf_schema_check.py" --cache-dir "$cache" --fetch-only
  step "pytest infra"
  "$py" -m pytest -q -p no:cacheprovider "$root/infra/tests"
}

case "${1:-}" in
  lint) lint ;;
  test) tests ;;
  *)
    echo "usage: bash infra/scripts/check.sh lint|test" >&2
    exit 2
    ;;
esac
