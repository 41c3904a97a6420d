#!/usr/bin/env bash
# Installs the programs the demos' tests and the peer benchmark drive,
# when missing: each argument is COMMAND:DEBIAN_PACKAGE. Without root it
# only says what is missing (the tests that need it then skip, saying so).
#
#   scripts/install-tools.sh redis-cli:redis-tools wrk:wrk curl:curl
set -euo pipefail
missing=()
for spec in "$@"; do
  cmd=${spec%%:*} pkg=${spec#*:}
  command -v "$cmd" >/dev/null || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-tools: missing ${missing[*]} (installing needs root); tests that need them skip" >&2
  exit 0
fi
echo "install-tools: installing ${missing[*]}..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
