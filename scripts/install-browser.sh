#!/usr/bin/env bash
# Installs the system Chromium that the browser end-to-end tests drive through Playwright.
# Idempotent: does nothing when /usr/bin/chromium exists. Never downloads Playwright's own browsers,
# because the tests must run against the Debian-packaged Chromium (reproducible, security-updated by apt).
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $CHROMIUM is missing and this is not a Debian/Ubuntu system (no apt-get);" \
       "install Chromium with your package manager so that $CHROMIUM exists" >&2
  exit 1
fi

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "error: installing Chromium needs root; run: sudo apt-get install -y --no-install-recommends" \
       "chromium chromium-driver" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
install() { "${SUDO[@]}" apt-get install -y --no-install-recommends chromium chromium-driver; }
# A fresh machine may have empty package lists; refresh them only when the first attempt fails.
if ! install; then
  "${SUDO[@]}" apt-get update
  install
fi

if [[ ! -x "$CHROMIUM" ]]; then
  echo "error: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
