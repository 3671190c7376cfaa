#!/usr/bin/env bash
# The whole test suite: installs VictoriaMetrics and the tools the tests run when missing (tests
# start their own servers on free loopback ports), checks formatting and lints, then runs every
# test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/vm.sh
vm_install
sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
command -v gcc >/dev/null || { $sudo apt-get update -qq && $sudo apt-get install -y -qq gcc >/dev/null; }
command -v systemd-analyze >/dev/null || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends systemd >/dev/null; }
# tests/e2e/packaging.rs: zsh and fish run the completion tests, groff renders the man pages,
# sudo runs install.sh as the README does (under SYNCBIT_REQUIRE_VM=1 a missing one fails them)
missing=""
for tool in zsh:zsh fish:fish groff:groff-base sudo:sudo; do
  command -v "${tool%%:*}" >/dev/null || missing="$missing ${tool#*:}"
done
if [ -n "$missing" ]; then
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# unit tests, then the one end-to-end binary (its summary is the last line)
SYNCBIT_REQUIRE_VM=1 cargo test --locked --lib --test e2e -- --test-threads=4
