#!/usr/bin/env bash
# Install Debian's chromium for the browser tests when it is missing and this user may install it.
# Otherwise say so: the browser tests are then skipped with this reason (and fail in CI).
set -uo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "!!! $CHROMIUM is missing and this user cannot install it: browser tests will be skipped."
    echo "!!! Install it with: sudo apt-get install chromium"
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "!!! $CHROMIUM is missing and there is no apt-get: browser tests will be skipped."
  exit 0
fi
echo "Installing Debian's chromium for the browser tests (one time, about 30 s)..."
"${SUDO[@]}" apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q chromium >/dev/null \
  || echo "!!! chromium could not be installed: browser tests will be skipped."
