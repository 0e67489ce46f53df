#!/usr/bin/env bash
# Gate a deploy on a Jobflow job: run the job, stream its log into this
# terminal (or CI log), and deploy only if the run succeeded.
#
#   export JOBFLOW_URL=https://jobflow.example.com JOBFLOW_TOKEN=jf_...
#   ./examples/deploy-gate.sh integration-tests --param env.VERSION=1.4.2
#
# Everything after the job is passed to `jobflow run` (e.g. --param k=v).
# DEPLOY_CMD is the deploy step to gate (default: a harmless echo).
set -uo pipefail

job=${1:?usage: deploy-gate.sh <job id or name> [jobflow run options...]}
shift

deploy() {
  if [ -n "${DEPLOY_CMD:-}" ]; then
    bash -c "$DEPLOY_CMD"
  else
    echo "gate: deploying now (set DEPLOY_CMD to your deploy step)"
  fi
}

# `jobflow` from PATH (`npm install -g @jobflow/cli`, or `npm link -w cli` here), else this repository's.
if command -v jobflow >/dev/null 2>&1; then
  jobflow=(jobflow)
else
  jobflow=("$(dirname "$0")/../node_modules/.bin/jobflow")
fi

# --follow streams the run's stdout to stdout and its stderr to stderr, then
# exits with the run's outcome: 0 succeeded, 1 failed, 130 cancelled
# (2 = wrong call, 3 = the server refused or could not be reached).
"${jobflow[@]}" run "$job" "$@" --follow
outcome=$?

case $outcome in
  0) echo "gate: $job succeeded"; deploy ;;
  1) echo "gate: $job failed; not deploying" >&2; exit 1 ;;
  130) echo "gate: $job was cancelled; not deploying" >&2; exit 1 ;;
  *) echo "gate: could not run $job (jobflow exited $outcome); not deploying" >&2; exit "$outcome" ;;
esac
