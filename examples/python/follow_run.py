#!/usr/bin/python3
"""Start a run of a Jobflow job and stream its log, like `jobflow run JOB --follow`.

    follow_run.py JOB

JOB is the job's id or its exact name. The run's stdout lines go to stdout,
its stderr lines to stderr and its system lines to stderr marked [system]:
every line once, in order, across reconnects. Exits 0 when the run succeeded,
1 when it failed, 130 when it was cancelled (or on Ctrl-C: the run goes on),
3 when the server refused a request or could not be reached, 2 when called
wrongly.

The server and token come from JOBFLOW_URL and JOBFLOW_TOKEN, else from what
`jobflow login` stored. Needs Debian's python3-socketio and python3-websocket.
"""

import queue
import sys
import time

from jobflow_client import (EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, FINAL_STATUSES, RETRY_SEC, ApiError,
                            LiveConnection, Rest, UsageError, exit_now, is_refusal, note, read_connection,
                            report_error, stop_on_sigterm)

SCRIPT = 'follow_run'
LOG_PAGE_LINES = 5000
# Lines may arrive ahead of earlier ones around subscribing: give them a moment before reading the gap over REST.
GAP_GRACE_SEC = 0.25
# A finished run's remaining lines come with the subscription's replay: read them over REST if it stalls this long.
DRAIN_STALL_SEC = 1.0
EXIT_OF_STATUS = {'succeeded': EXIT_OK, 'failed': EXIT_FAILED, 'cancelled': EXIT_CANCELLED}


def describe(run):
    what = f'run {run["id"]} of {run["jobName"]}'
    status = run['status']
    if status == 'succeeded' and run.get('durationMs') is not None:
        return f'{what} succeeded in {run["durationMs"] / 1000:.1f} s'
    if status in ('failed', 'cancelled') and run.get('error'):
        return f'{what} {status}: {run["error"]["code"]}: {run["error"]["message"]}'
    if run.get('maxAttempts', 1) > 1 and status in ('running', 'queued'):
        return f'{what} {status} (attempt {run["attempt"]} of {run["maxAttempts"]})'
    return f'{what} {status}'


class RunFollower:
    """Keeps a run's lines in seq order (each once) and its newest snapshot (by version), and knows when it is done."""

    def __init__(self, rest, run_id):
        self.rest = rest
        self.run_id = run_id
        self.run = None
        self.last_seq = 0
        self.ahead = {}
        self.gap_since = None
        self.stall_seq = None
        self.stall_since = None
        self.retry_at = 0.0

    def accept_run(self, run):
        if not run or run.get('id') != self.run_id:
            return
        if self.run is not None and run['version'] <= self.run['version']:
            return
        shown = self.run['status'] if self.run else None
        self.run = run
        if run['status'] != shown and run['status'] not in FINAL_STATUSES:
            note(SCRIPT, describe(run))

    def accept_lines(self, lines):
        for line in sorted(lines, key=lambda l: l['seq']):
            seq = line['seq']
            if seq <= self.last_seq or seq in self.ahead:
                continue
            self.ahead[seq] = line
        while self.last_seq + 1 in self.ahead:
            self.last_seq += 1
            print_line(self.ahead.pop(self.last_seq))
        sys.stdout.flush()
        self.gap_since = (self.gap_since or time.monotonic()) if self.ahead else None

    def fill(self):
        """Reads every stored line after the last one held, over REST."""
        while True:
            page = self.rest.request('GET', f'/api/runs/{self.run_id}/logs',
                                     query={'after': self.last_seq, 'limit': LOG_PAGE_LINES})
            before = self.last_seq
            self.accept_lines(page['items'])
            if not page['items'] or self.last_seq == before:
                return

    def is_done(self):
        return (self.run is not None and self.run['status'] in FINAL_STATUSES
                and not self.ahead and self.last_seq >= self.run['logCount'])

    def on_idle(self):
        """Reads over REST what has not come: a gap that stayed open, or a finished run's lines once the replay stalls."""
        now = time.monotonic()
        if now < self.retry_at:
            return
        if self.gap_since is not None and now - self.gap_since >= GAP_GRACE_SEC:
            self.catch_up()
        if self.run is None or self.run['status'] not in FINAL_STATUSES or self.is_done():
            self.stall_seq = None
            return
        if self.stall_seq != self.last_seq:
            self.stall_seq, self.stall_since = self.last_seq, now
        elif now - self.stall_since >= DRAIN_STALL_SEC:
            self.catch_up()

    def catch_up(self, is_run_wanted=False):
        """Reads the run (when asked) and the lines not held over REST; a server out of reach is tried again a second later."""
        try:
            if is_run_wanted:
                self.accept_run(self.rest.request('GET', f'/api/runs/{self.run_id}'))
            self.fill()
        except ApiError as error:
            if is_refusal(error):
                raise
            self.retry_at = time.monotonic() + 1


def print_line(line):
    stream = line['stream']
    if stream == 'stdout':
        sys.stdout.write(line['text'] + '\n')
    elif stream == 'stderr':
        sys.stderr.write(line['text'] + '\n')
    else:
        sys.stderr.write(f'[system] {line["text"]}\n')


def follow(rest, live, run_id):
    """Streams the run until it is final and every line up to its logCount is out; returns the exit code."""
    follower = RunFollower(rest, run_id)
    live.open(retry_sec=RETRY_SEC)
    while not follower.is_done():
        try:
            kind, data = live.events.get(timeout=0.1)
        except queue.Empty:
            kind, data = None, None
        if kind == 'connect':
            # Every (re)connection subscribes again from the last line held: the replay brings the rest.
            live.subscribe({'topic': 'run', 'runId': run_id, 'afterSeq': follower.last_seq})
        elif kind == 'ack':
            ack = data['ack'] or {}
            if not ack.get('ok'):
                error = ack.get('error') or {}
                raise ApiError(error.get('code', 'internal'), error.get('message', 'The subscription was refused.'))
            if 'run' in ack:
                follower.accept_run(ack['run'])
            else:
                # A server that sends no snapshot with the ack: read the run.
                follower.catch_up(is_run_wanted=True)
        elif kind == 'run:updated':
            follower.accept_run(data)
        elif kind == 'run:log' and data and data.get('runId') == run_id:
            follower.accept_lines(data['lines'])
        elif kind == 'resync':
            follower.catch_up(is_run_wanted=True)
        elif kind == 'disconnect':
            live.after_disconnect(rest, SCRIPT)
        follower.on_idle()
    note(SCRIPT, describe(follower.run))
    return EXIT_OF_STATUS[follower.run['status']]


def main(argv):
    if len(argv) == 1 and argv[0] in ('-h', '--help'):
        print(__doc__.strip())
        return EXIT_OK
    if len(argv) != 1 or argv[0].startswith('-'):
        print('usage: follow_run.py JOB   (the job\'s id or exact name; --help for more)', file=sys.stderr)
        return EXIT_USAGE
    stop_on_sigterm()
    live = None
    run = None
    try:
        url, token = read_connection()
        rest = Rest(url, token)
        job = rest.find_job(argv[0])
        run = rest.start_run(job['id'])
        note(SCRIPT, describe(run))
        live = LiveConnection(url, token, ('run:updated', 'run:log', 'resync'))
        return follow(rest, live, run['id'])
    except (ApiError, UsageError) as error:
        return report_error(SCRIPT, error)
    except KeyboardInterrupt:
        if run:
            note(SCRIPT, f'stopped following; the run goes on (stop it with: jobflow cancel {run["id"]})')
        return EXIT_CANCELLED
    finally:
        if live:
            live.close()


if __name__ == '__main__':
    exit_now(main(sys.argv[1:]))
