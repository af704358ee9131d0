#!/usr/bin/env bash
# Graceful stop of `fluxori serve` (local mode, no demo data) while its emulator is frozen (SIGSTOP) and a request
# waits on it: prints that request's status and time, and how long Ctrl-C takes to stop everything.
# Run from the repository root: bash benchmarks/fault_shutdown.sh (ports 18140/18145, data in /tmp).
set -u
export FLUXORI_DATA_DIR=/tmp/fluxori-fault-data3 FLUXORI_PORT=18140 FLUXORI_EMULATOR_PORT=18145
rm -rf /tmp/fluxori-fault-data3
${PYTHON:-.venv/bin/python} -m assistant.cli serve --no-demo > /tmp/fluxori-fault-stop.out 2>&1 &
PID=$!
for i in $(seq 1 200); do sleep 0.5; curl -s -o /dev/null -w "%{http_code}" localhost:18140/healthz | grep -q 200 && break; done
curl -s -o /dev/null localhost:18140/v1/credits -H "Authorization: Bearer x"
PGID=$(python3 -c "import json;print(json.load(open('/tmp/fluxori-fault-data3/firestore/owner.json'))['pgid'])")
kill -STOP -$PGID
(curl -s -o /dev/null -w "credits during freeze: %{http_code} %{time_total}s\n" localhost:18140/v1/credits -H "Authorization: Bearer fx_demo_bergveld_admin" &)
sleep 1
T=$(date +%s.%N); kill -INT $PID; wait $PID; echo "rc=$? stop took $(echo "$(date +%s.%N) - $T" | bc) s"
echo "emulator processes left: $(pgrep -fc "port=18145" || true)"
