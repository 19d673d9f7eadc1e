#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (the Segment client
# libraries for Node and Python, moto_server, the AWS tooling), then formatting, lints, every
# Rust test, including the end-to-end tests that start real `pulse` processes on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Installing the Segment client libraries the end-to-end tests drive Pulse with"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -x target/e2e-venv/bin/python ]; then
  mkdir -p target
  python3 -m venv target/e2e-venv
fi
target/e2e-venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export PULSE_E2E_PYTHON="$PWD/target/e2e-venv/bin/python"

step "Checking for moto_server (the DynamoDB/EventBridge server the AWS adapter tests start)"
if ! python3 -c "import moto.server" 2>/dev/null || ! command -v moto_server >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
fi

step "Installing the AWS tooling: cfn-lint 1.53.3, the SAM CLI, cargo-lambda and zig (target/aws-venv)"
# Sets PULSE_CFN_LINT, PULSE_SAM and PULSE_SAM_PYTHON for tests/tests/template.rs; returns at
# once when the pinned versions are already there (a fresh install takes a few minutes).
source scripts/aws-tools.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo build (the end-to-end tests run the built pulse binary)"
cargo build --workspace --all-features

step "cargo test"
cargo test --workspace --all-features --no-fail-fast

step "cargo lambda build --release --arm64 (the five functions, as sam build builds them)"
functions=(pulse-ingest pulse-api pulse-recompute pulse-evaluate pulse-notify)
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu ||
  rustup target add aarch64-unknown-linux-gnu
PATH="$PULSE_AWS_BIN:$PATH" cargo lambda build --release --arm64 \
  $(printf -- '--bin %s ' "${functions[@]}")
for function in "${functions[@]}"; do
  bootstrap="target/lambda/$function/bootstrap"
  # ELF e_machine (offset 18) is 0xb7 for AArch64.
  if [ "$(od -An -tx1 -j18 -N2 "$bootstrap" | tr -d ' ')" != "b700" ]; then
    echo "$bootstrap is not an arm64 executable" >&2
    exit 1
  fi
  printf '%-16s %s bytes\n' "$function" "$(stat -c %s "$bootstrap")"
done
