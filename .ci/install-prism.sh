#!/usr/bin/env bash
# Installs the Prism OpenAPI mock server (@stoplight/prism-cli, pinned) for
# the SendGrid contract test. Idempotent and quiet: it does nothing when the
# pinned version is already in the cache. .ci/env points RECLAIM_PRISM at it.
set -euo pipefail
version=5.14.2
dir="${RECLAIM_PRISM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reclaim-prism}"
bin="$dir/node_modules/.bin/prism"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "install-prism: npm not found (Prism needs node >= 18.20)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || printf '{"name":"reclaim-prism","private":true}\n' > package.json
export SCARF_ANALYTICS=false
npm install --no-audit --no-fund --ignore-scripts --loglevel=error --no-progress \
  "@stoplight/prism-cli@$version" >/dev/null
"$bin" --version >/dev/null
