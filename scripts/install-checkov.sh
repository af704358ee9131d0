#!/usr/bin/env bash
# Install checkov (the Terraform static analyser run by tests/test_terraform.py) into its own virtualenv,
# .venv-checkov in the project root. checkov pins many libraries that clash with the app's requirements.lock,
# so it never goes into .venv. Idempotent and quiet: a second run with the same pin does nothing.
#
#   scripts/install-checkov.sh          # creates or refreshes .venv-checkov
#   CHECKOV_VERSION=3.3.30 scripts/...  # override the pin (keep it in step with this file's default)
#
# Exit status: 0 when .venv-checkov/bin/checkov is the pinned version, non-zero (with one line on stderr saying
# why) when it cannot be installed; the test then skips with that line.
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-checkov"
STAMP="$VENV/.checkov-$CHECKOV_VERSION"

if [[ -f "$STAMP" && -x "$VENV/bin/checkov" ]]; then
  exit 0
fi

# One installer at a time (two test runs starting together must not interleave pip runs in one venv).
if command -v flock >/dev/null 2>&1; then
  mkdir -p "$VENV"
  exec 9>"$VENV/.install.lock"
  flock 9
  if [[ -f "$STAMP" && -x "$VENV/bin/checkov" ]]; then
    exit 0
  fi
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
if [[ -z "$PYTHON" ]] || ! "$PYTHON" -c 'import sys, venv; sys.exit(not (3, 9) <= sys.version_info[:2] < (3, 13))' 2>/dev/null; then
  echo "install-checkov: Python 3.9-3.12 with venv is required (apt-get install python3.11 python3.11-venv)" >&2
  exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
  || ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"; then
  echo "install-checkov: pip could not install checkov==$CHECKOV_VERSION (is the package index reachable?)" >&2
  exit 1
fi
"$VENV/bin/checkov" --version >/dev/null
rm -f "$VENV"/.checkov-*
touch "$STAMP"
echo "install-checkov: checkov $CHECKOV_VERSION ready in .venv-checkov"
