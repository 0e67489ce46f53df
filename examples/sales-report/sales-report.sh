#!/usr/bin/env bash
# Build a sales report on a Jobflow worker and download it: defines the
# "sales report" shell job the first time (it carries report.mjs, so the
# worker needs nothing but its own Node.js), runs it on a data file, streams
# its log here, then saves the two files the run attached, sales-report.csv
# and sales-report.html, into OUT_DIR.
#
#   export JOBFLOW_URL=https://jobflow.example.com JOBFLOW_TOKEN=jf_...   # an admin's: shell jobs are admin-only
#   ./examples/sales-report/sales-report.sh /srv/data/sales.csv reports/
#   ./examples/sales-report/sales-report.sh https://files.example.com/sales.csv
#
# DATA is a path the worker can read, or an http(s) URL (default: the sample
# sales.csv beside this script, for a worker on this machine). OUT_DIR
# defaults to the current folder. JOB_NAME names the job (default "sales report");
# delete the job to have a changed report.mjs taken up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data=${1:-$here/sales.csv}
out=${2:-.}
name=${JOB_NAME:-sales report}

# `jobflow` from PATH (`npm install -g @jobflow/cli`, or `npm link -w cli` here), else this repository's.
if command -v jobflow >/dev/null 2>&1; then
  jobflow=(jobflow)
else
  jobflow=("$here/../../node_modules/.bin/jobflow")
fi

if ! "${jobflow[@]}" job show "$name" >/dev/null 2>&1; then
  # The job's script feeds report.mjs to the worker's node on stdin; SALES_DATA says where the data is.
  node -e '
    const [program, data] = [require("node:fs").readFileSync(process.argv[1], "utf8"), process.argv[2]];
    const script = "node --input-type=module - <<\u0027JOBFLOW_SALES_REPORT\u0027\n" + program.replace(/\n?$/, "\n") + "JOBFLOW_SALES_REPORT\n";
    process.stdout.write(JSON.stringify({ script, env: { SALES_DATA: data } }));
  ' "$here/report.mjs" "$data" |
    "${jobflow[@]}" job create --type shell --name "$name" --params-file - \
      --description 'Sales by region, product and month from a CSV of sales, as sales-report.csv and sales-report.html' >/dev/null
  echo "report: defined the job \"$name\"" >&2
fi

run=$("${jobflow[@]}" run "$name" --param "env.SALES_DATA=$data")
# --follow streams the run's stdout here and its stderr to stderr, then exits with the run's outcome.
"${jobflow[@]}" logs "$run" --follow --quiet || {
  echo "report: run $run did not succeed" >&2
  exit 1
}
# The files and where they were saved go to stderr: stdout is the run's own output.
"${jobflow[@]}" artifacts "$run" --download "$out" >&2
