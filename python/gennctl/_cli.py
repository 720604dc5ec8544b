"""Finding and running the gennctl binary, and its errors as Python exceptions.

The binary is, in this order: the file named by the ``GENNCTL`` environment
variable, or ``gennctl`` on ``PATH``. Build it from the repository with
``go build -o gennctl ./cmd/gennctl``.
"""
import json
import os
import shutil
import subprocess
import tempfile
from typing import NamedTuple, Optional


class Diagnostic(NamedTuple):
    """One problem the gennctl core found: where (file, line, column of the
    experiment document, and the config path inside it) and what."""
    file: str
    line: int
    col: int
    path: str
    message: str
    #: where the model part named by ``path`` was added in Python
    #: ("script.py:12"), when the document was written by GeNNModel
    origin: Optional[str] = None

    def __str__(self):
        where = self.file or "<model>"
        if self.line:
            where += f":{self.line}:{self.col}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return text + (f" [{self.origin}]" if self.origin else "")


class GeNNError(Exception):
    """An error of the gennctl core (bad model, C compile error, failed run).

    ``diagnostics`` lists the problems with file, line, column and config path;
    ``file``, ``line``, ``col`` and ``path`` are those of the first one.
    ``exit_status`` is the gennctl exit status (2: bad input), ``config`` the
    experiment document the command read.
    """

    def __init__(self, message, diagnostics=(), exit_status=None, config=None):
        self.message = message
        self.diagnostics = list(diagnostics)
        self.exit_status = exit_status
        self.config = config
        super().__init__(self._text())

    def _text(self):
        if not self.diagnostics:
            return self.message
        head = "gennctl: "
        if self.config:
            head += f"{self.config}: "
        head += f"{len(self.diagnostics)} problem(s):"
        return "\n  ".join([head] + [str(d) for d in self.diagnostics])

    def _first(self, field):
        return getattr(self.diagnostics[0], field) if self.diagnostics else None

    file = property(lambda self: self._first("file"))
    line = property(lambda self: self._first("line"))
    col = property(lambda self: self._first("col"))
    path = property(lambda self: self._first("path"))


def binary():
    """Path of the gennctl binary: $GENNCTL, else gennctl on PATH."""
    env = os.environ.get("GENNCTL")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise GeNNError(f"GENNCTL={env} is not an executable file")
        return env
    found = shutil.which("gennctl")
    if found:
        return found
    raise GeNNError("gennctl binary not found: set GENNCTL=/path/to/gennctl or put gennctl on PATH "
                    "(build it in the repository with `go build -o gennctl ./cmd/gennctl`)")


def error_from(stdout_lines, stderr, exit_status, config=None):
    """GeNNError of a failed gennctl command run with --json: its JSON error
    line if it printed one, else its stderr."""
    for line in reversed(stdout_lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "error":
            diags = [Diagnostic(d.get("file", ""), d.get("line", 0), d.get("col", 0), d.get("path", ""), d["message"])
                     for d in event.get("diagnostics") or []]
            msg = event.get("message", "")
            if event.get("compiler_output"):
                msg += "\n" + event["compiler_output"]
            return GeNNError(msg, diags, exit_status, config)
    text = stderr.strip().replace("gennctl: ", "") or f"gennctl exited with status {exit_status}"
    return GeNNError(text, (), exit_status, config)


def run_json(args, config=None):
    """Run ``gennctl ARGS --json`` and return its parsed stdout (one JSON value)."""
    proc = subprocess.run([binary()] + list(args) + ["--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise error_from(proc.stdout.splitlines(), proc.stderr, proc.returncode, config)
    return json.loads(proc.stdout)


def stream_json(args, on_event):
    """Run ``gennctl ARGS --json``, calling on_event(dict) for each JSON event
    it prints; return (exit status, stdout lines, stderr text)."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([binary()] + list(args) + ["--json"], stdout=subprocess.PIPE,
                                stderr=err, text=True)
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                event = json.loads(line)
                if event.get("event") != "error":
                    on_event(event)
        except BaseException:
            proc.terminate()  # gennctl records what is done and stops (as on Ctrl-C)
            raise
        finally:
            status = proc.wait()
        err.seek(0)
        return status, lines, err.read()
