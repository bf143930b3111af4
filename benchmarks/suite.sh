#!/usr/bin/env bash
# The standard benchmark suite with `baton bench` (make bench / make bench-kafka).
#
# usage: benchmarks/suite.sh file            the embedded log, in .build/bench/data
#        benchmarks/suite.sh kafka HOST:PORT  Kafka (fresh topics under a bench prefix)
# BENCH_SCALE (default 1) multiplies every instance count (0.1 for a quick run);
# ONE_TASK_RATE and ORDER_RATE set the open-loop rates of the latency runs.
#
# Throughput (closed loop, each beside the raw log measured in the same run): the one-task
# process, the order process, a chain of 20 tasks, a fan-out to 10 parallel tasks, one task
# with 10 KB of variables. Latency (open loop, at a stated rate): the one-task and order
# processes. Every result is also written as JSON under .build/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?usage: benchmarks/suite.sh file | kafka HOST:PORT}
scale=${BENCH_SCALE:-1}
out=.build/bench
mkdir -p "$out"
baton=.build/release/baton

if [ "$backend" = kafka ]; then
  where=(--kafka "${2:?usage: benchmarks/suite.sh kafka HOST:PORT}")
  # The test broker is slower than the embedded log: smaller counts and rates.
  counts=(5000 1000 100 200 2000); rates=("${ONE_TASK_RATE:-200}" "${ORDER_RATE:-50}")
else
  where=(--data-dir "$out/data")
  counts=(20000 10000 1000 2000 10000); rates=("${ONE_TASK_RATE:-1000}" "${ORDER_RATE:-600}")
fi
count() { awk -v n="$1" -v s="$scale" 'BEGIN { n = int(n * s); print (n < 50 ? 50 : n) }'; }

run() {
  local name=$1; shift
  echo
  echo "== $name"
  "$baton" bench "$@" "${where[@]}" --output "$out/$backend-$name.json"
}

run one-task       benchmarks/bpmn/one-task.bpmn   --instances "$(count "${counts[0]}")"
run order-process  bpmn/order-process.bpmn         --instances "$(count "${counts[1]}")"
run chain-20       benchmarks/bpmn/chain-20.bpmn   --instances "$(count "${counts[2]}")"
run fan-out-10     benchmarks/bpmn/fan-out-10.bpmn --instances "$(count "${counts[3]}")"
run variables-10kb benchmarks/bpmn/one-task.bpmn   --instances "$(count "${counts[4]}")" --payload-bytes 10240
run one-task-latency      benchmarks/bpmn/one-task.bpmn --rate "${rates[0]}" --duration 10
run order-process-latency bpmn/order-process.bpmn       --rate "${rates[1]}" --duration 10
