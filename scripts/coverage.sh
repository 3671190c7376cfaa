#!/usr/bin/env bash
# Line coverage of the unit and end-to-end tests (the e2e runs of the `syncbit` binary are
# counted too): prints the table per file and the total, and exits non-zero below 80 % of lines.
#
# Installs what is missing: VictoriaMetrics (the tests start their own servers), llvm-cov and
# llvm-profdata of the LLVM that rustc uses (Debian's llvm-N; LLVM_COV/LLVM_PROFDATA override),
# and cargo-llvm-cov from crates.io. Builds into $CARGO_TARGET_DIR/llvm-cov-target, so a normal
# `cargo test` keeps its own build.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LLVM_COV_VERSION=0.9.1
MIN_LINES=${SYNCBIT_MIN_LINES:-80}

sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_install() {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

source scripts/vm.sh
vm_install
command -v gcc >/dev/null || apt_install gcc
command -v systemd-analyze >/dev/null || apt_install systemd

# llvm-cov/llvm-profdata must read the profiles of rustc's own LLVM major version.
llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
[ -n "$llvm" ] || { echo "coverage.sh: cannot tell rustc's LLVM version (rustc -vV)" >&2; exit 1; }
if [ -z "${LLVM_COV:-}" ] || [ -z "${LLVM_PROFDATA:-}" ]; then
  if ! command -v "llvm-cov-$llvm" >/dev/null || ! command -v "llvm-profdata-$llvm" >/dev/null; then
    echo "installing the Debian package llvm-$llvm ..." >&2
    apt_install "llvm-$llvm"
  fi
  export LLVM_COV=${LLVM_COV:-$(command -v "llvm-cov-$llvm")}
  export LLVM_PROFDATA=${LLVM_PROFDATA:-$(command -v "llvm-profdata-$llvm")}
fi

if ! cargo llvm-cov --version >/dev/null 2>&1; then
  echo "installing cargo-llvm-cov $CARGO_LLVM_COV_VERSION from crates.io ..." >&2
  cargo install cargo-llvm-cov --version "$CARGO_LLVM_COV_VERSION" --locked
fi

# the same tests as scripts/test.sh; tests/ and the simulator are not in the figure
SYNCBIT_REQUIRE_VM=1 cargo llvm-cov --locked --lib --test e2e \
  --fail-under-lines "$MIN_LINES" -- --test-threads=4
