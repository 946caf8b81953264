#!/usr/bin/env bash
# Builds Mailpit (a Go SMTP server with an HTTP API, pinned) for the report
# filing test (checklist/filing). Idempotent: nothing to do when the pinned
# build is in the cache. .ci/env points RECLAIM_MAILPIT at it.
#
# v1.21.7, not v1.21.8: the module proxy here refuses v1.21.8's go.mod.
# `go install mod@version` also fails here (the proxy refuses the version
# list it reads for deprecation notices), so the module is downloaded into
# the module cache (checksum-verified) and built from there.
set -euo pipefail
version=v1.21.7
dir="${RECLAIM_MAILPIT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reclaim-ci/mailpit-$version}"
bin="$dir/mailpit"
if [ -x "$bin" ]; then # the folder is per version
  exit 0
fi
export PATH="/usr/local/go/bin:$PATH"
mkdir -p "$dir"
cd "$dir"
if ! go mod download "github.com/axllent/mailpit@$version" >/dev/null; then
  echo "install-mailpit: cannot download github.com/axllent/mailpit@$version; the SMTP test will fail under RECLAIM_E2E=1" >&2
  exit 0
fi
src="$(go env GOMODCACHE)/github.com/axllent/mailpit@$version"
if ! (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -o "$bin.tmp" .); then
  echo "install-mailpit: building mailpit $version failed; the SMTP test will fail under RECLAIM_E2E=1" >&2
  rm -f "$bin.tmp"
  exit 0
fi
mv "$bin.tmp" "$bin"
