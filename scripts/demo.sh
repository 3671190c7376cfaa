#!/usr/bin/env bash
# The main job as a demo, on loopback only: a VictoriaMetrics (installed from Debian when
# missing), the Fitbit simulator from the test support (real recorded data), then
#   syncbit backfill --intraday --days 7  and  syncbit sync
# and a list of the series and samples that landed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/vm.sh
vm_install
cargo build --quiet --release --bin syncbit --example fitbit_sim
WORK=$(mktemp -d "${TMPDIR:-/tmp}/syncbit-demo.XXXXXX")
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; vm_stop; rm -rf "$WORK"; }
trap cleanup EXIT
vm_start
./target/release/examples/fitbit_sim --port 0 --timezone Europe/Berlin \
  --data-dir "$WORK/data" --ready-file "$WORK/sim-url" >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/sim-url" ] && break; sleep 0.1; done
[ -s "$WORK/sim-url" ] || { echo "the simulator did not start:" >&2; cat "$WORK/sim.log" >&2; exit 1; }

export DATA_DIR="$WORK/data"
export FITBIT_API_BASE_URL=$(cat "$WORK/sim-url")
export FITBIT_CLIENT_ID=SIMCLIENT FITBIT_CLIENT_SECRET=sim-secret
export VICTORIA_ENDPOINT="$VM_URL"
export FITBIT_USER_ID=demo
export INTRADAY_RESOURCES=steps,calories,distance,elevation,floors,heart_rate
export INTRADAY_DETAIL_LEVEL=1min

echo "== VictoriaMetrics at $VM_URL, Fitbit simulator at $FITBIT_API_BASE_URL"
echo "== syncbit backfill --intraday --days 7"
./target/release/syncbit backfill --intraday --days 7
echo "== syncbit sync"
./target/release/syncbit sync
echo "== syncbit state show"
./target/release/syncbit state show
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
