"""Crucible tracking client: one file, Python standard library only (urllib, json).

Copy this file next to a training script (a PyTorch job on a GPU box, say) and report to Crucible:

    from crucible_client import CrucibleClient

    client = CrucibleClient("http://crucible.internal:7860", key)   # an editor API key
    with client.create_run("lr-sweep-1", params={"lr": 3e-4, "batch_size": 32}) as run:
        for step in range(1000):
            run.log_metric("loss", loss.item(), step)                # buffered
        run.log_params({"best_step": 812})                           # sent at once
    # leaving the block flushes and marks the run finished (failed if an exception escaped)

Metrics are buffered and sent in log-batch calls of at most 1,000 points, in order. A failed send
keeps its points and raises CrucibleError from the next flush() or finish(), so nothing is lost
silently. Params are set once: another value for a key raises CrucibleError with code
"param_conflict". The URL and key default to CRUCIBLE_URL and CRUCIBLE_API_KEY.
"""

import datetime
import json
import math
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["CrucibleClient", "CrucibleError", "Run", "MAX_METRICS_PER_BATCH"]

MAX_METRICS_PER_BATCH = 1000


class CrucibleError(Exception):
    """An error answer of the API: `code` is stable (e.g. "param_conflict", "run_not_found")."""

    def __init__(self, status, code, message, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _scalar(value):
    """Params and tags are str, int, float or bool; anything else (numpy scalars, tensors) as str()."""
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return _scalar(item())
        except (TypeError, ValueError):
            pass
    return str(value)


class CrucibleClient:
    """Talks to one Crucible server with one API key."""

    def __init__(self, url=None, key=None, max_batch=MAX_METRICS_PER_BATCH, timeout=30.0):
        self.url = (url or os.environ.get("CRUCIBLE_URL") or "http://127.0.0.1:7860").rstrip("/")
        self.key = key or os.environ.get("CRUCIBLE_API_KEY")
        self.max_batch = max(1, min(int(max_batch), MAX_METRICS_PER_BATCH))
        self.timeout = timeout

    def request(self, method, route, body=None, raw=None, size=None):
        """One call with a JSON body (or `raw`: a binary file object of `size` bytes); an error answer raises CrucibleError."""
        data = raw if raw is not None else (None if body is None else json.dumps(body, allow_nan=False).encode("utf-8"))
        request = urllib.request.Request(self.url + route, data=data, method=method)
        request.add_header("Accept", "application/json")
        if raw is not None:
            request.add_header("Content-Type", "application/octet-stream")
            request.add_header("Content-Length", str(size))
        elif data is not None:
            request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", "Bearer " + self.key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
                return json.loads(text) if text else None
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", "replace")
            try:
                error = json.loads(text).get("error", {})
            except ValueError:
                error = {}
            raise CrucibleError(err.code, error.get("code", "http_error"), error.get("message", text or str(err)), error.get("details")) from None
        except urllib.error.URLError as err:
            raise CrucibleError(0, "server_unreachable", "No Crucible server answers at %s (%s). Start one with: crucible start" % (self.url, err.reason)) from None

    def create_run(self, name=None, params=None, tags=None, job_id=None):
        """Creates a run (status "running") and returns a Run that logs to it."""
        body = {}
        if name is not None:
            body["name"] = name
        if params:
            body["params"] = {k: _scalar(v) for k, v in params.items()}
        if tags:
            body["tags"] = {k: _scalar(v) for k, v in tags.items()}
        if job_id:
            body["job_id"] = job_id
        return Run(self, self.request("POST", "/api/v1/runs", body))

    def get_run(self, run_id):
        return self.request("GET", "/api/v1/runs/" + urllib.parse.quote(run_id, safe=""))

    def run(self, run_id):
        """A Run for an existing run id (to keep logging to it)."""
        return Run(self, self.get_run(run_id))


class Run:
    """A run being logged to. Usable as a context manager: the block's end flushes and finishes it."""

    def __init__(self, client, record):
        self.client = client
        self.record = record
        self.id = record["id"]
        self._path = "/api/v1/runs/" + urllib.parse.quote(self.id, safe="")
        self._buffer = []
        self._lock = threading.Lock()

    def log_metric(self, name, value, step=0):
        """Buffers one point; a full buffer is sent at once."""
        value = float(_scalar(value))
        if not math.isfinite(value):
            raise ValueError("metric %s: value must be finite, got %r" % (name, value))
        with self._lock:
            self._buffer.append({"name": name, "value": value, "step": int(step), "timestamp": _now()})
            full = len(self._buffer) >= self.client.max_batch
        if full:
            self.flush()

    def log_metrics(self, values, step=0):
        """Buffers several metrics at one step: run.log_metrics({"loss": 1.2, "acc": 0.5}, step)."""
        for name, value in values.items():
            self.log_metric(name, value, step)

    def log_params(self, params):
        """Sets params now. Params are set once: another value for a key raises CrucibleError "param_conflict"."""
        self.client.request("POST", self._path + "/log-batch", {"params": {k: _scalar(v) for k, v in params.items()}})

    def log_param(self, key, value):
        self.log_params({key: value})

    def set_tags(self, tags):
        """Sets tags now (the last value wins)."""
        self.client.request("POST", self._path + "/log-batch", {"tags": {k: _scalar(v) for k, v in tags.items()}})

    def flush(self):
        """Sends every buffered point, in batches of at most 1,000. On error the points stay buffered."""
        with self._lock:
            while self._buffer:
                batch = self._buffer[: self.client.max_batch]
                self.client.request("POST", self._path + "/log-batch", {"metrics": batch})
                del self._buffer[: len(batch)]

    def log_artifact(self, path, name=None):
        """Uploads a file (streamed, not read into memory) and names it in the run (default: its file name).
        Artifacts are never overwritten: the same name for other bytes raises CrucibleError "artifact_conflict"."""
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            blob = self.client.request("POST", "/api/v1/uploads", raw=f, size=size)
        name = name or os.path.basename(path)
        self.record = self.client.request("POST", self._path + "/artifacts", {"name": name, "sha256": blob["sha256"]})
        return self.record

    @property
    def pending(self):
        return len(self._buffer)

    def set_status(self, status):
        """running, finished, failed or killed; a terminal status sets the end time."""
        self.record = self.client.request("PATCH", self._path, {"status": status})
        return self.record

    def finish(self, status="finished"):
        """Flushes, then marks the run finished (or the status given)."""
        self.flush()
        return self.set_status(status)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish("finished")
        else:
            # Keep the points logged before the failure; report the original exception, not ours.
            try:
                self.finish("killed" if issubclass(exc_type, KeyboardInterrupt) else "failed")
            except CrucibleError:
                pass
        return False
