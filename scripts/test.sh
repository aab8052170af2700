#!/usr/bin/env bash
# Everything the tests need, then every test: typecheck + the whole vitest suite.
# Browser tests use the system Chromium (/usr/bin/chromium); install it when missing and
# we are root (CI containers). Nothing is downloaded at test time.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing Chromium with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: /usr/bin/chromium is missing (browser tests will skip or fail; install the chromium package)" >&2
  fi
fi

npx tsc -p tsconfig.json
npx eslint .
npx prettier --check . > /dev/null || { npx prettier --check . ; echo "scripts/test.sh: run 'npm run format'" >&2; exit 1; }
npx vitest run "$@"
