# VictoriaMetrics helpers for scripts (sourced). Based on ../shared/reference/vm-ci.sh.
#   source scripts/vm.sh; vm_install; vm_start [flags]; ...; vm_stop
vm_install() {
  if command -v victoria-metrics >/dev/null 2>&1; then return 0; fi
  local sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing the Debian package victoria-metrics ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends victoria-metrics curl >/dev/null
}

_vm_listen_port() {
  local pid=$1 inodes hex
  inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ') || return 1
  [ -n "$inodes" ] || return 1
  hex=$(awk -v inodes=" $inodes " 'NR>1 && $4=="0A" && index(inodes, " " $10 " ") { split($2,a,":"); print a[2]; exit }' "/proc/$pid/net/tcp") || return 1
  [ -n "$hex" ] || return 1
  echo $((16#$hex))
}

vm_start() {
  VM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/syncbit-vm.XXXXXX")
  victoria-metrics -httpListenAddr=127.0.0.1:0 -storageDataPath="$VM_DIR/data" \
    -retentionPeriod=100y -dedup.minScrapeInterval=1ms -search.latencyOffset=0s \
    -loggerLevel=WARN "$@" >"$VM_DIR/vm.log" 2>&1 &
  VM_PID=$!
  VM_PORT=""
  local i
  for i in $(seq 1 100); do
    if ! kill -0 "$VM_PID" 2>/dev/null; then
      echo "victoria-metrics exited early:" >&2; cat "$VM_DIR/vm.log" >&2; return 1
    fi
    VM_PORT=$(_vm_listen_port "$VM_PID" || true)
    if [ -n "$VM_PORT" ] && [ "$(curl -s -m 1 "http://127.0.0.1:$VM_PORT/health" || true)" = "OK" ]; then break; fi
    VM_PORT=""; sleep 0.1
  done
  [ -n "$VM_PORT" ] || { echo "victoria-metrics did not become healthy" >&2; cat "$VM_DIR/vm.log" >&2; return 1; }
  VM_URL="http://127.0.0.1:$VM_PORT"
}

vm_stop() {
  if [ -n "${VM_PID:-}" ]; then
    kill -TERM "$VM_PID" 2>/dev/null || true
    wait "$VM_PID" 2>/dev/null || true
  fi
  if [ -n "${VM_DIR:-}" ]; then rm -rf "$VM_DIR"; fi
  VM_PID=""; VM_DIR=""
}
