# Sourced by the CLI integration scripts: starts what they run against and exports
# CORRIDOR_NODE. With TARGET=node (the default) that is one node in memory; with
# TARGET=localnet it is `corridor localnet` (four validators and an observer, each a process,
# RocksDB) and the commands go to validator 1, so the same CLI checks run on the network.
# Needs: $corridor_bin, $work. Sets: target_pid, target_log; stop_target kills what it started.

target_pid=""
target_log="$work/node.log"

stop_target() {
  if [ -n "$target_pid" ]; then
    # SIGINT stops a localnet and its nodes cleanly; a lone node may simply die.
    kill -INT "$target_pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$target_pid" 2>/dev/null || true
  fi
}

start_target() {
  case "${TARGET:-node}" in
    node)
      local port
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      "$corridor_bin" node --memory --port "$port" --data-dir "$work/data" > "$target_log" 2>&1 &
      target_pid=$!
      export CORRIDOR_NODE="http://127.0.0.1:$port"
      ;;
    localnet)
      # API ports base..base+4 and peer ports 100 above: below the ephemeral range, per process.
      local base=$((21000 + ($$ % 300) * 25))
      target_log="$work/net/validator1/node.log"
      "$corridor_bin" localnet --dir "$work/net" --base-port "$base" > "$work/localnet.out" 2>&1 &
      target_pid=$!
      export CORRIDOR_NODE="http://127.0.0.1:$((base + 1))"
      ;;
    *) echo "TARGET must be node or localnet"; exit 2 ;;
  esac
  for _ in $(seq 1 600); do
    "$corridor_bin" status > /dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "the target (${TARGET:-node}) did not answer"; cat "$work/localnet.out" 2>/dev/null || true
  exit 1
}
