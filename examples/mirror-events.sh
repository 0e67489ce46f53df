#!/usr/bin/env bash
# Mirror every live Jobflow event into a file, one JSON object per line, each
# stamped with the time it was seen. Runs until stopped (Ctrl-C).
#
#   export JOBFLOW_URL=https://jobflow.example.com JOBFLOW_TOKEN=jf_...
#   ./examples/mirror-events.sh events.jsonl
#
# Later, e.g. every failure of the day:
#   jq -c 'select(.type == "run:updated" and .run.status == "failed") | {seenAt, job: .run.jobName, error: .run.error}' events.jsonl
set -euo pipefail

out=${1:-jobflow-events.jsonl}

if command -v jobflow >/dev/null 2>&1; then
  jobflow=(jobflow)
else
  jobflow=("$(dirname "$0")/../node_modules/.bin/jobflow")
fi

echo "appending every event to $out" >&2
# `watch --json` prints {"type": "run:updated", "run": {...}}, {"type": "job:updated", "job": {...}},
# {"type": "job:deleted", "id": "..."}, {"type": "resync"} or {"type": "reconnected"}, one per line.
# --unbuffered makes jq write each event as it comes rather than in blocks.
"${jobflow[@]}" watch --json | jq -c --unbuffered '{seenAt: (now | todate)} + .' >>"$out"
