"""What the Python examples share: the server and token as the `jobflow`
command finds them, REST calls over urllib, and a Socket.IO connection over
WebSocket only.

Needs nothing but the standard library and Debian's python3-socketio and
python3-websocket (`apt-get install python3-socketio python3-websocket`).
"""

import json
import os
import queue
import re
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import socketio

DEFAULT_URL = 'http://127.0.0.1:3000'
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', re.IGNORECASE)
FINAL_STATUSES = ('succeeded', 'failed', 'cancelled')
# What a proxy or a server in a rolling restart answers for a moment: worth asking again.
RETRYABLE_STATUSES = (502, 503, 504)
# How long a request that is safe to repeat keeps being tried through a restart.
RETRY_SEC = 60

# Exit codes, as `jobflow` uses them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
EXIT_CANCELLED = 130


class ApiError(Exception):
    """The server refused a request (its API error code), or could not be reached (`network_error`)."""

    def __init__(self, code, message, status=0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class UsageError(Exception):
    """The script was called wrongly."""


def _non_empty(value):
    return value.strip() if value and value.strip() else None


def read_connection(env=os.environ):
    """(url, token) the way `jobflow` finds them: JOBFLOW_URL and JOBFLOW_TOKEN
    win over what `jobflow login` stored, and a stored token is sent only to the
    server it was created for."""
    config_home = _non_empty(env.get('XDG_CONFIG_HOME')) or os.path.join(
        _non_empty(env.get('HOME')) or os.path.expanduser('~'), '.config')
    path = os.path.join(config_home, 'jobflow', 'config.json')
    stored = None
    try:
        with open(path, encoding='utf-8') as file:
            stored = json.load(file)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        raise UsageError(f'cannot read {path}: {error}; remove it or run "jobflow login" again') from None
    stored_url = stored.get('url') if isinstance(stored, dict) else None
    url = _non_empty(env.get('JOBFLOW_URL')) or stored_url or DEFAULT_URL
    token = _non_empty(env.get('JOBFLOW_TOKEN'))
    if not token and stored_url and stored_url.rstrip('/') == url.rstrip('/'):
        token = stored.get('token')
    if not token:
        raise ApiError('unauthorized', 'Not signed in: run "jobflow login", or set JOBFLOW_URL and JOBFLOW_TOKEN.', 401)
    return url.rstrip('/'), token


class Rest:
    """JSON requests to the REST API with the token; errors raise ApiError.

    A request that is safe to repeat (GET, or one sent with an Idempotency-Key)
    is tried again for up to `retry_sec` when it is answered 502, 503 or 504, as
    a proxy does while servers restart in turn (waiting as long as a Retry-After
    header asks), or when a server that has answered before cannot be reached
    (one never reached, a wrong URL, is reported at once). Any other request is
    sent once.
    """

    def __init__(self, url, token, timeout_sec=30, retry_sec=RETRY_SEC):
        self.url = url
        self.token = token
        self.timeout_sec = timeout_sec
        self.retry_sec = retry_sec
        self.has_answered = False

    def request(self, method, path, body=None, query=None, timeout_sec=None, idempotency_key=None, retry_sec=None):
        target = self.url + path
        if query:
            target += '?' + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {'authorization': f'Bearer {self.token}', 'accept': 'application/json'}
        if idempotency_key:
            headers['idempotency-key'] = idempotency_key
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['content-type'] = 'application/json'
        is_repeatable = method in ('GET', 'HEAD') or bool(idempotency_key)
        deadline = time.monotonic() + (self.retry_sec if retry_sec is None else retry_sec)
        delay = 0.25
        while True:
            request = urllib.request.Request(target, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout_sec or self.timeout_sec) as response:
                    self.has_answered = True
                    text = response.read()
                return json.loads(text) if text else None
            except urllib.error.HTTPError as error:
                self.has_answered = True
                failure = _api_error(error)
                wait = _retry_after(error) or delay
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, 'reason', error)
                failure = ApiError('network_error', f'cannot reach {self.url}: {reason}')
                wait = delay
            is_transient = failure.status in RETRYABLE_STATUSES or (failure.code == 'network_error' and self.has_answered)
            if not (is_repeatable and is_transient) or time.monotonic() + wait > deadline:
                raise failure from None
            time.sleep(wait)
            delay = min(delay * 2, 2.0)

    def start_run(self, job_id, body=None):
        """Starts a run of the job with an Idempotency-Key of its own, so that asking again
        (a restart in between) answers the same run instead of starting a second one."""
        return self.request('POST', f'/api/jobs/{job_id}/runs', body=body or {}, idempotency_key=str(uuid.uuid4()))

    def find_job(self, ref):
        """A job by its id, or else by its exact name (which must then be unique)."""
        if UUID.match(ref):
            try:
                return self.request('GET', f'/api/jobs/{ref}')
            except ApiError as error:
                if error.code != 'not_found':
                    raise
        matches = []
        cursor = None
        while True:
            page = self.request('GET', '/api/jobs', query={'q': ref, 'limit': 200, 'cursor': cursor})
            matches += [job for job in page['items'] if job['name'] == ref]
            cursor = page['nextCursor']
            if not cursor:
                break
        if not matches:
            raise ApiError('not_found', f'No job has the id or name "{ref}".', 404)
        if len(matches) > 1:
            ids = ', '.join(job['id'] for job in matches)
            raise UsageError(f'{len(matches)} jobs are named "{ref}"; use an id: {ids}')
        return matches[0]

    def check_token(self):
        """Raises ApiError `unauthorized` when the server refuses the token now; a server out of reach is not an answer."""
        try:
            self.request('GET', '/api/auth/me', timeout_sec=5, retry_sec=0)
        except ApiError as error:
            if error.status == 401:
                raise


def _retry_after(error):
    """Seconds a Retry-After header asks to wait (at most 10), or None."""
    try:
        return min(max(float(error.headers.get('retry-after', '')), 0.0), 10.0)
    except (TypeError, ValueError):
        return None


def _api_error(error):
    try:
        body = json.loads(error.read())['error']
        return ApiError(body['code'], body['message'], error.code)
    except (ValueError, KeyError, TypeError):
        return ApiError(f'http_{error.code}', str(error.reason), error.code)


class LiveConnection(socketio.Client):
    """A Socket.IO client on the WebSocket transport only (never long-polling)
    that queues everything it receives for one thread to handle in order.

    python-socketio runs each incoming message on a thread of its own, so the
    handlers only put `(kind, data)` on `events`: `connect`, `disconnect`,
    `connect_error`, `ack` (of `subscribe`), and each server event by name.

    It reconnects by itself when the transport is lost (a network cut, a
    server restart, a server cutting a subscriber that could not keep up), but
    not when the server ends the session on purpose (`io server disconnect`:
    a revoked or expired token, a disabled user). Releases before 5.12 do not
    tell the disconnect handler which of the two happened, so
    `is_ended_by_server` records it; then check the token and reconnect with
    `open()` yourself.
    """

    def __init__(self, url, token, server_events):
        super().__init__(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=5, handle_sigint=False)
        self.base_url = url
        self.token = token
        self.events = queue.Queue()
        self.is_ended_by_server = False
        self.on('connect', lambda *_: self.events.put(('connect', None)))
        self.on('disconnect', lambda *_: self.events.put(('disconnect', None)))
        self.on('connect_error', lambda data=None, *_: self.events.put(('connect_error', data)))
        for name in server_events:
            self.on(name, lambda data=None, *_, name=name: self.events.put((name, data)))

    def _handle_disconnect(self, namespace, *args):
        self.is_ended_by_server = True
        super()._handle_disconnect(namespace, *args)

    def open(self, retry_sec=0):
        """Connects over WebSocket; raises ApiError when the server refuses the token, or cannot be reached
        within `retry_sec` (a server restarting behind a proxy is tried again until then)."""
        deadline = time.monotonic() + retry_sec
        delay = 0.25
        while True:
            self.is_ended_by_server = False
            try:
                self.connect(self.base_url, auth={'token': self.token}, transports=['websocket'],
                             socketio_path='socket.io', wait_timeout=10)
                return
            except socketio.exceptions.ConnectionError as error:
                refusal = self._take_connect_error()
                if refusal == 'unauthorized':
                    raise ApiError('unauthorized', 'The server refused the token.', 401) from None
                if time.monotonic() + delay > deadline:
                    raise ApiError('network_error', f'cannot connect to {self.base_url}: {refusal or error}') from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def after_disconnect(self, rest, script):
        """Call on every `disconnect`. A refused token raises ApiError `unauthorized` (reconnecting would be
        refused for ever); a session the server ended on purpose is opened again once the token is still good;
        after a lost transport python-socketio reconnects by itself."""
        rest.check_token()
        if not self.is_ended_by_server:
            return
        note(script, 'the server ended the session; connecting again')
        delay = 0.5
        while True:
            try:
                self.open()
                return
            except ApiError as error:
                if error.status == 401:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 5)
            rest.check_token()

    def _take_connect_error(self):
        """The message of the last `connect_error` queued, if any (left in place otherwise)."""
        kept, message = [], None
        while True:
            try:
                kind, data = self.events.get_nowait()
            except queue.Empty:
                break
            if kind == 'connect_error':
                message = data.get('message') if isinstance(data, dict) else data
            else:
                kept.append((kind, data))
        for item in kept:
            self.events.put(item)
        return message

    def subscribe(self, topic):
        """Sends `subscribe`; its ack arrives on `events` as `('ack', {'topic': ..., 'ack': ...})`."""
        try:
            self.emit('subscribe', topic, callback=lambda ack=None, *_: self.events.put(('ack', {'topic': topic, 'ack': ack})))
        except socketio.exceptions.SocketIOError:
            pass  # not connected right now: the next `connect` subscribes again

    def close(self):
        try:
            self.disconnect()
        except Exception:  # noqa: BLE001 -- closing is best effort
            pass


def note(script, text):
    """A note from the script itself (not run output), on stderr."""
    print(f'{script}: {text}', file=sys.stderr, flush=True)


def report_error(script, error):
    """Says what went wrong on stderr and returns the exit code for it."""
    if isinstance(error, UsageError):
        note(script, str(error))
        return EXIT_USAGE
    note(script, f'error: {error.code}: {error.message}')
    if error.code == 'unauthorized':
        print('  Sign in with "jobflow login", or set JOBFLOW_TOKEN to a valid API token.', file=sys.stderr)
    return EXIT_API_ERROR


def is_refusal(error):
    """An answer that will not change by asking again (as opposed to a server out of reach or busy)."""
    return error.status in (401, 403, 404)


def stop_on_sigterm():
    """SIGTERM stops the script as Ctrl-C does."""
    def interrupt(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def exit_now(code):
    """Exits at once: python-socketio's threads are not daemons, and one waiting to reconnect would keep the process alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
