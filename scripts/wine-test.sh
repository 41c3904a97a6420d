#!/usr/bin/env bash
# Runs the Windows build of the test suite under Wine (amd64 only: a 386
# binary under wine64 silently exits 0). Installs Wine and mingw when
# missing, builds the bcryptprimitives shim Go 1.26 needs on Wine 8.0, and
# checks that a sentinel test really ran in each backend package.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "wine-test: SKIP: wine and mingw are missing and installing them needs root" >&2
    exit 0
  fi
  echo "wine-test: installing wine and mingw (about 1 GB)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
fi

work=$(mktemp -d)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

x86_64-w64-mingw32-gcc -O2 -shared -s -o "$work/bcryptprimitives.dll" scripts/bcryptprimitives.c -ladvapi32
# Start the helpers outside go test's pipes, or go test waits for them.
mkdir -p "$WINEPREFIX"
wineserver -p
wineboot -i >/dev/null 2>&1 </dev/null || true
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

pkgs="${WINE_PKGS:-./...}"
out="$work/test.out"
run() {
  set +e
  GOOS=windows GOARCH=amd64 go test -exec wine -count=1 -v -timeout 10m $pkgs 2>&1 | tee "$out" | grep -E '^(ok|FAIL|---|panic)'
  rc=${PIPESTATUS[0]}
  set -e
}
run
if [ "$rc" != 0 ] && ! grep -q -E '^--- FAIL|^panic' "$out"; then
  # A test binary that failed without a failing test or a panic died
  # before it ran (seen here: a Wine start-up failure after 20 ms, no
  # output). Show what it printed and run once more; a real failure fails
  # again.
  echo "wine-test: a package failed without a failing test; its output, then one more run:" >&2
  grep -v -E '^(=== RUN|--- PASS|--- SKIP|    |ok )' "$out" | head -40 >&2 || true
  run
fi
if [ "$rc" != 0 ]; then
  echo "wine-test: FAIL (go test exit $rc)" >&2
  grep -B2 -A20 -E '^--- FAIL|^panic' "$out" | head -100 >&2 || true
  grep -v -E '^(=== RUN|--- PASS|--- SKIP|    )' "$out" | head -60 >&2 || true
  exit "$rc"
fi
if ! grep -q -- '--- PASS: TestSentinelBackendRan' "$out"; then
  echo "wine-test: FAIL: the sentinel test did not run: the Windows binaries exited without testing" >&2
  exit 1
fi
echo "wine-test: PASS ($(grep -c -- '--- PASS' "$out") tests passed under Wine)"
