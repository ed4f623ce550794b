"""Running the `fingerprint` binary on a worker.

Every job step that reads text runs the binary; the driver never tokenises.
The binary is found, on each worker, as the path given to the job
(`--binary`), else `$FINGERPRINT_BIN`, else `fingerprint` on the PATH.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess


class FingerprintFailed(RuntimeError):
    """The binary exited with a status other than 0; `status` is that status.

    The task fails with it and the job stops: Dask reruns a task when its
    worker is lost, not when the task raises (bad input would fail again).
    """

    def __init__(self, args: list[str], status: int, stderr: str):
        self.status = status
        self.stderr = stderr
        lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("Error:") or "error:" in line]
        killed = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
        detail = (errors or lines or [killed])[0]
        how = f"killed by signal {-status}" if status < 0 else f"exit {status}"
        super().__init__(f"fingerprint {args[0] if args else ''} failed ({how}): {detail}")


def find(binary: str | None = None) -> str:
    """The binary's path on this machine: `binary`, `$FINGERPRINT_BIN` or the PATH."""
    candidate = binary or os.environ.get("FINGERPRINT_BIN") or shutil.which("fingerprint")
    if not candidate:
        raise FileNotFoundError(
            "the fingerprint binary was not found: pass --binary PATH, set FINGERPRINT_BIN, "
            "or put fingerprint on the PATH of every worker")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise FileNotFoundError(f"{candidate}: not an executable file (the fingerprint binary)")
    return os.path.abspath(candidate)


# A worker killed by the OOM killer or SIGKILL must not leave its
# `fingerprint` child running: the retry on another worker writes the same
# file, and a late rename by the orphan would race with readers. The child
# asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG, kept across exec):
# through util-linux's `setpriv --pdeathsig` where it exists (no Python code
# runs between fork and exec, which is unsafe in a threaded worker), else
# through prctl in preexec_fn.
_SETPRIV = shutil.which("setpriv")
_PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run(args: list[str], binary: str | None = None, cwd: str | None = None) -> str:
    """Runs `fingerprint ARGS` and returns its standard output.

    Raises `FingerprintFailed` on a non-zero exit. The child gets SIGKILL if
    the worker process dies.
    """
    exe = find(binary)
    if _SETPRIV:
        command, preexec = [_SETPRIV, "--pdeathsig", "KILL", "--", exe, *args], None
    else:
        command, preexec = [exe, *args], _die_with_parent if _prctl is not None else None
    proc = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          preexec_fn=preexec)
    if proc.returncode != 0:
        raise FingerprintFailed(args, proc.returncode, proc.stderr)
    return proc.stdout
