#!/usr/bin/env bash
# The main job as a demo, on loopback only: a VictoriaMetrics (installed from Debian when
# missing), a simulator from the test support (real recorded data), then
#   syncbit backfill --intraday --days 7  and  syncbit sync
# and a list of the series and samples that landed.
#
#   bash scripts/demo.sh           the Google Health API source (the live one)
#   bash scripts/demo.sh fitbit    the Fitbit Web API source (shut down; kept for old setups)
# SYNCBIT_DEMO_PROFILE=debug uses a debug build (the tests run the demo that way).
set -euo pipefail
cd "$(dirname "$0")/.."
source_kind=${1:-google}
case "$source_kind" in
  google | fitbit) ;;
  *) echo "usage: bash scripts/demo.sh [google|fitbit]" >&2; exit 2 ;;
esac
source scripts/vm.sh
vm_install
profile=${SYNCBIT_DEMO_PROFILE:-release}
case "$profile" in
  release) flags=(--release); bin=target/release ;;
  debug) flags=(); bin=target/debug ;;
  *) echo "SYNCBIT_DEMO_PROFILE must be release or debug" >&2; exit 2 ;;
esac
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/${bin#target/}"
echo "== building syncbit and the ${source_kind} simulator ($profile; a few minutes the first time)"
cargo build --quiet "${flags[@]}" --bin syncbit --example "${source_kind}_sim"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/syncbit-demo.XXXXXX")
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; vm_stop; rm -rf "$WORK"; }
trap cleanup EXIT
vm_start

export DATA_DIR="$WORK/data"
if [ "$source_kind" = google ]; then
  "$bin/examples/google_sim" --timezone America/New_York \
    --data-dir "$WORK/data" --env-file "$WORK/sim.env" >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/sim.env" ] && break; sleep 0.1; done
  [ -s "$WORK/sim.env" ] || { echo "the simulator did not start:" >&2; cat "$WORK/sim.log" >&2; exit 1; }
  set -a; source "$WORK/sim.env"; set +a
  export SYNCBIT_SOURCE=google-health
  where="Google Health API simulator at $GOOGLE_HEALTH_API_BASE_URL"
else
  "$bin/examples/fitbit_sim" --port 0 --timezone Europe/Berlin \
    --data-dir "$WORK/data" --ready-file "$WORK/sim-url" >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/sim-url" ] && break; sleep 0.1; done
  [ -s "$WORK/sim-url" ] || { echo "the simulator did not start:" >&2; cat "$WORK/sim.log" >&2; exit 1; }
  export FITBIT_API_BASE_URL=$(cat "$WORK/sim-url")
  export FITBIT_CLIENT_ID=SIMCLIENT FITBIT_CLIENT_SECRET=sim-secret
  export SYNCBIT_SOURCE=fitbit-web-api
  where="Fitbit Web API simulator at $FITBIT_API_BASE_URL"
fi
export VICTORIA_ENDPOINT="$VM_URL"
export FITBIT_USER_ID=demo
export INTRADAY_RESOURCES=steps,calories,distance,elevation,floors,heart_rate
export INTRADAY_DETAIL_LEVEL=1min

echo "== VictoriaMetrics at $VM_URL, $where"
echo "== syncbit backfill --intraday --days 7"
"$bin/syncbit" backfill --intraday --days 7
echo "== syncbit sync"
"$bin/syncbit" sync
echo "== syncbit state show"
"$bin/syncbit" state show
curl -fsS "$VM_URL/internal/force_flush" >/dev/null
echo "== series in VictoriaMetrics (samples per metric)"
curl -fsS "$VM_URL/api/v1/export" -d 'match[]={__name__=~"fitbit_.*"}' -d start=2007-01-01T00:00:00Z \
  -d end="$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" \
  | python3 -c '
import sys, json, collections
n = collections.Counter(); s = collections.Counter()
for line in sys.stdin:
    r = json.loads(line); name = r["metric"]["__name__"]
    n[name] += 1; s[name] += len(r["values"])
for k in sorted(n): print(f"  {k:<40} {n[k]:>3} series {s[k]:>7} samples")
total = "total"
print(f"  {total:<40} {sum(n.values()):>3} series {sum(s.values()):>7} samples")
'
