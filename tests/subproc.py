"""Run code that could crash the interpreter in a child process, so that a
regression (a segfault, an abort) fails one test instead of killing the run.

The child runs outside the checkout, so it imports the same fastopt as the
tests do (the installed build, or the in-place build named by PYTHONPATH),
never the uncompiled source tree.
"""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap


def run_python(code, *, timeout=120, env=None, cwd=None, input=None):
    """Run `code` (dedented) with this interpreter; returns CompletedProcess
    with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or tempfile.gettempdir(), env=full_env, input=input)


def describe(res):
    """The exit status in words, for assertion messages."""
    if res.returncode < 0:
        try:
            sig = signal.Signals(-res.returncode).name
        except ValueError:
            sig = str(-res.returncode)
        return f"killed by {sig}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"


def run_ok(code, **kw):
    """Run `code` and require a clean exit 0 (no crash, no traceback)."""
    res = run_python(code, **kw)
    assert res.returncode == 0, describe(res)
    return res
