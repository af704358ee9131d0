#!/usr/bin/env bash
# Install checkov (the Terraform static analyser run by tests/test_terraform.py) into its own virtualenv,
# .venv-checkov in the project root. checkov pins many libraries that clash with the app's requirements.lock,
# so it never goes into .venv. Idempotent and quiet: a second run with the same pin does nothing.
#
#   scripts/install-checkov.sh          # creates or refreshes .venv-checkov
#   CHECKOV_VERSION=3.3.30 scripts/...  # override the pin (keep it in step with this file's default)
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-checkov"
STAMP="$VENV/.checkov-$CHECKOV_VERSION"

if [[ -f "$STAMP" && -x "$VENV/bin/checkov" ]]; then
  exit 0
fi

PYTHON="${PYTHON:-$(command -v python3.11 || true)}"
if [[ -z "$PYTHON" ]]; then
  echo "install-checkov: python3.11 is required (apt-get install python3.11 python3.11-venv)" >&2
  exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
rm -f "$VENV"/.checkov-*
touch "$STAMP"
echo "install-checkov: checkov $CHECKOV_VERSION ready in .venv-checkov"
