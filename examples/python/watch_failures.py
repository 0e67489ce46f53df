#!/usr/bin/python3
"""Print every Jobflow run that fails, as it fails: one JSON object per line.

    watch_failures.py [--job JOB]

Each line is the failed Run as the server sends it ({"id", "jobId", "jobName",
"status": "failed", "error": {"code", "message"}, "attempt", ...}), once per
run. With --job (an id or exact name), only that job's runs. Runs until Ctrl-C
(exit 0); exits 3 when the server refuses the token or cannot be reached, 2
when called wrongly. After a reconnect or a `resync` it reads the failures it
may have missed over REST, so none that ended while it ran is left out.

    ./watch_failures.py | jq -r '"\\(.jobName): \\(.error.message)"'

The server and token come from JOBFLOW_URL and JOBFLOW_TOKEN, else from what
`jobflow login` stored. Needs Debian's python3-socketio and python3-websocket.
"""

import argparse
import json
import queue
import sys
import time
from datetime import datetime, timezone

from jobflow_client import (EXIT_OK, RETRY_SEC, ApiError, LiveConnection, Rest, UsageError, exit_now, is_refusal, note,
                            read_connection, report_error, stop_on_sigterm)

SCRIPT = 'watch_failures'
RUN_PAGE_SIZE = 200


class FailureWatch:
    """Prints each failed run once, from live events or, after events may have been missed, from REST."""

    def __init__(self, rest, job_id):
        self.rest = rest
        self.job_id = job_id
        # ISO-8601 UTC with milliseconds, as the server writes `finishedAt`, so the strings compare as times.
        self.since = datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
        self.printed = set()
        self.retry_at = None

    def accept(self, run):
        if not run or run.get('status') != 'failed' or run['id'] in self.printed:
            return
        if self.job_id and run.get('jobId') != self.job_id:
            return
        self.printed.add(run['id'])
        print(json.dumps(run, ensure_ascii=False, separators=(',', ':')), flush=True)

    def catch_up(self):
        """Prints the runs that failed since the watch began and were not printed (newest pages first, oldest printed first)."""
        missed = []
        cursor = None
        try:
            while True:
                page = self.rest.request('GET', '/api/runs', query={'status': 'failed', 'jobId': self.job_id,
                                                                     'limit': RUN_PAGE_SIZE, 'cursor': cursor})
                missed += [run for run in page['items'] if (run.get('finishedAt') or '') >= self.since]
                cursor = page['nextCursor']
                # Pages go from the newest run back: past the start of the watch, nothing more can be new.
                if not cursor or all(run['queuedAt'] < self.since for run in page['items']):
                    break
        except ApiError as error:
            if is_refusal(error):
                raise
            self.retry_at = time.monotonic() + 1
            return
        self.retry_at = None
        for run in sorted(missed, key=lambda r: (r['finishedAt'], r['id'])):
            self.accept(run)


def watch(rest, live, url, job):
    topic = {'topic': 'job', 'jobId': job['id']} if job else {'topic': 'dashboard'}
    failures = FailureWatch(rest, job['id'] if job else None)
    has_subscribed = False
    live.open(retry_sec=RETRY_SEC)
    while True:
        try:
            kind, data = live.events.get(timeout=0.5)
        except queue.Empty:
            kind, data = None, None
        if kind == 'connect':
            live.subscribe(topic)
        elif kind == 'ack':
            ack = data['ack'] or {}
            if not ack.get('ok'):
                error = ack.get('error') or {}
                raise ApiError(error.get('code', 'internal'), error.get('message', 'The subscription was refused.'))
            if has_subscribed:
                # Connected again: failures may have happened while the link was down.
                failures.catch_up()
            else:
                what = f'job "{job["name"]}"' if job else 'every job'
                note(SCRIPT, f'watching {url} for failed runs of {what} (Ctrl-C to stop)')
            has_subscribed = True
        elif kind == 'run:updated':
            failures.accept(data)
        elif kind == 'resync':
            failures.catch_up()
        elif kind == 'disconnect':
            live.after_disconnect(rest, SCRIPT)
        if failures.retry_at is not None and time.monotonic() >= failures.retry_at:
            failures.catch_up()


def main(argv):
    parser = argparse.ArgumentParser(prog='watch_failures.py', description='Print every run that fails, as JSON lines.')
    parser.add_argument('--job', help="only this job's runs (its id or exact name)")
    args = parser.parse_args(argv)  # exits 2 when called wrongly
    stop_on_sigterm()
    live = None
    try:
        url, token = read_connection()
        rest = Rest(url, token)
        job = rest.find_job(args.job) if args.job else None
        live = LiveConnection(url, token, ('run:updated', 'resync'))
        return watch(rest, live, url, job)
    except (ApiError, UsageError) as error:
        return report_error(SCRIPT, error)
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        if live:
            live.close()


if __name__ == '__main__':
    exit_now(main(sys.argv[1:]))
