#!/usr/bin/env bash
# `make stop`: stop every process `make run` recorded in RUN_DIR (<name>.pid) and return only once
# each has exited: SIGTERM to all at once, then wait; one still there after STOP_TIMEOUT seconds gets
# SIGKILL. A pid file whose process is gone, or whose pid now belongs to another program (pids are
# reused), is only removed.
#   scripts/stop-processes.sh [RUN_DIR]   (default var/run; STOP_TIMEOUT default 20)
set -euo pipefail
run_dir=${1:-var/run}
timeout=${STOP_TIMEOUT:-20}

# Alive and one of ours (`python -m shared.run …` or a stand-in from tests.support). A zombie has
# exited: only its parent's wait is missing, which is not ours to do.
ours() {
  local pid=$1 state cmdline
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != "Z" ] || return 1
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"-m shared.run "* || $cmdline == *"-m tests.support."* ]]
}

pids=()
for file in "$run_dir"/*.pid; do
  [ -e "$file" ] || continue
  pid=$(tr -dc '0-9' < "$file")
  if [ -n "$pid" ] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid:$(basename "$file" .pid)")
  fi
  rm -f "$file"
done

deadline=$((SECONDS + timeout))
for entry in "${pids[@]}"; do
  pid=${entry%%:*} name=${entry#*:}
  while ours "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  if ours "$pid"; then
    echo "$name (pid $pid) did not stop within ${timeout}s of SIGTERM: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while ours "$pid"; do sleep 0.1; done
  fi
done
