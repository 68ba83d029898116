"""What the CLI tests share: running `fastopt` in process, the VW golden
files recorded by tests/record_golden_vw.py, and the logloss they compare."""
import io
import json
import os
import sys

import numpy as np

from fastopt import cli

GOLDEN_VW = os.path.join(os.path.dirname(__file__), "golden", "vw")


def run(argv, capsys, stdin=None, monkeypatch=None):
    """(exit code, stdout, stderr) of ``fastopt ARGV``, stdin given as bytes."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def golden(run_name):
    """A VW run recorded as tests/golden/vw/RUN_NAME.json."""
    with open(os.path.join(GOLDEN_VW, f"{run_name}.json")) as f:
        return json.load(f)


def logloss(y01, p):
    """Mean log loss of probabilities p against 0/1 labels, p clipped as VW."""
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y01 * np.log(p) + (1 - y01) * np.log1p(-p)))
