#!/usr/bin/env bash
# Installs the AWS tooling (cfn-lint, the SAM CLI, cargo-lambda and zig for arm64 builds) into
# target/aws-venv, pinned by scripts/aws-tools-requirements.txt. Idempotent: when the venv
# already holds exactly those pins it returns at once.
#
# Source it to get the variables the tests read (scripts/test.sh does):
#   PULSE_CFN_LINT     the cfn-lint executable
#   PULSE_SAM          the sam executable
#   PULSE_SAM_PYTHON   the venv's python (has samtranslator, used to expand the template)
#   PULSE_AWS_BIN      the venv's bin/: put it first on PATH for `sam build`, which calls
#                      `cargo lambda`, which finds zig as `python3 -m ziglang` there
# Run it (not sourced) to install and print those variables.

pulse_aws_tools() {
  local root venv requirements stamp started
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/target/aws-venv"
  requirements="$root/scripts/aws-tools-requirements.txt"
  stamp="$venv/.requirements"
  if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$root/target" && python3 -m venv "$venv" || return 1
  fi
  if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
    started=$(date +%s)
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" || return 1
    cp "$requirements" "$stamp"
    echo "AWS tools installed in $(( $(date +%s) - started )) s into $venv"
  fi
  export PULSE_AWS_BIN="$venv/bin"
  export PULSE_CFN_LINT="$PULSE_AWS_BIN/cfn-lint"
  export PULSE_SAM="$PULSE_AWS_BIN/sam"
  export PULSE_SAM_PYTHON="$PULSE_AWS_BIN/python"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  pulse_aws_tools
else
  set -euo pipefail
  pulse_aws_tools
  env | grep -E '^PULSE_(AWS_BIN|CFN_LINT|SAM|SAM_PYTHON)=' | sed 's/^/export /'
fi
