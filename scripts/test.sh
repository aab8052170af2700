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

# Screenshots of Japanese text need a CJK font (the browser tests read text either way).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ja 2>/dev/null | head -1)" ] \
  && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "scripts/test.sh: installing a Japanese font (fonts-ipafont-gothic) with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipafont-gothic >/dev/null \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipafont-gothic >/dev/null; } \
    || echo "scripts/test.sh: could not install fonts-ipafont-gothic (screenshots will show boxes for Japanese)" >&2
fi

# The three static checks run side by side (each is mostly one core); each one's output is
# shown only when it fails.
checks="$(mktemp -d)"
trap 'rm -rf "$checks"' EXIT
npx tsc -p tsconfig.json > "$checks/tsc" 2>&1 & tsc_pid=$!
npx eslint . > "$checks/eslint" 2>&1 & eslint_pid=$!
npx prettier --check . > "$checks/prettier" 2>&1 & prettier_pid=$!
failed=0
wait $tsc_pid || { cat "$checks/tsc"; echo "scripts/test.sh: tsc failed" >&2; failed=1; }
wait $eslint_pid || { cat "$checks/eslint"; echo "scripts/test.sh: eslint failed" >&2; failed=1; }
wait $prettier_pid || { cat "$checks/prettier"; echo "scripts/test.sh: run 'npm run format'" >&2; failed=1; }
[ "$failed" = 0 ] || exit 1

npx vitest run "$@"
