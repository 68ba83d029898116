"""fastopt._kernels.format_g9 (csrc/format.c): the bytes of Python's
'%.9g' % v, one value per line, for every double -- and `fastopt predict`,
which writes its output with it."""
import subprocess

import numpy as np
import pytest

from subproc import describe, run_python

from fastopt._kernels import format_g9


def python_g9(x):
    return "".join("%.9g\n" % v for v in x.tolist()).encode("ascii")


def hostile_values(n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**64, size=n, dtype=np.uint64)   # every kind of double
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0,
                         5e-324, -5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308,
                         1.7976931348623157e308, -1.7976931348623157e308, 1e-5, 1e-4,
                         123456789.0, 1234567890.0, 999999999.5, 9999999995.0, 0.5,
                         1e16, 1e-300, 0.1, 2.0**53, 2.0**63, 123456789012345678.0])
    with np.errstate(over="ignore", invalid="ignore"):
        return np.concatenate(_parts(rng, bits, n, specials))


def _parts(rng, bits, n, specials):
    return [
        bits.view(np.float64),
        rng.standard_normal(n) * 10.0 ** rng.integers(-320, 309, size=n),   # huge / tiny
        rng.uniform(-1, 1, n) * 5e-310,                                     # subnormals
        rng.integers(-10**12, 10**12, size=n).astype(np.float64),           # integers
        rng.random(n),                                                      # probabilities
        np.round(rng.uniform(-1e6, 1e6, n), 3),
        # halfway cases at the 9th digit: d.dddddddd5 x 10^k
        (rng.integers(10**9, 10**10, size=n) * 10 + 5).astype(np.float64)
        * 10.0 ** rng.integers(-30, 30, size=n),
        specials,
    ]


@pytest.mark.parametrize("n_threads", [1, 2, 4])
def test_same_bytes_as_python(n_threads):
    x = hostile_values()
    assert format_g9(x, n_threads) == python_g9(x)


@pytest.mark.parametrize("n", [0, 1, 2, 16383, 16384, 16385, 3 * 16384 + 7])
def test_block_edges(n):
    x = np.random.default_rng(n).standard_normal(n) * 1e-300
    for t in (1, 3):
        assert format_g9(x, t) == python_g9(x)


def test_special_spellings():
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1e100, 1e-100])
    assert format_g9(x) == b"nan\nnan\ninf\n-inf\n-0\n0\n1e+100\n1e-100\n"


def test_input_checked():
    with pytest.raises((TypeError, ValueError)):
        format_g9(np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError):
        format_g9(np.zeros(6)[::2])
    assert format_g9(np.zeros(3)[:0]) == b""
    ro = np.arange(3.0)
    ro.flags.writeable = False
    assert format_g9(ro) == b"0\n1\n2\n"


def test_decimal_point_whatever_the_locale(tmp_path):
    """Under a locale whose decimal point is a comma (de_DE, compiled here
    with localedef into a private LOCPATH, in a child process), the output
    still has '.'."""
    res = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
                          str(tmp_path / "de_DE.UTF-8")], capture_output=True, text=True)
    assert res.returncode in (0, 1), res.stderr   # 1: warnings only
    child = run_python("""
        import locale, numpy as np
        from fastopt._kernels import format_g9
        locale.setlocale(locale.LC_NUMERIC, "de_DE.UTF-8")
        assert locale.localeconv()["decimal_point"] == ","
        print(format_g9(np.array([0.5, -1.25e-7, 3.0])))
    """, env={"LOCPATH": str(tmp_path)})
    assert child.returncode == 0, describe(child)
    assert child.stdout.strip() == repr(b"0.5\n-1.25e-07\n3\n")


@pytest.mark.parametrize("loss", ["logistic", "squared", "poisson"])
def test_predict_writes_the_python_bytes(tmp_path, loss):
    """`fastopt predict`'s output is byte for byte '%.9g' of the model's
    predictions (P(y = 1), the margin, exp(margin))."""
    import scipy.sparse as sp

    from fastopt import cli, online
    from fastopt.libsvm import dump_libsvm, load_libsvm
    rng = np.random.default_rng(5)
    X = sp.random(40_000, 50, density=0.1, format="csr", random_state=5) * 3.0
    y = (rng.random(40_000) < 0.3).astype(np.float64)
    if loss == "poisson":
        y = rng.poisson(1.0, size=40_000).astype(np.float64)
    data, model, pred = (str(tmp_path / n) for n in ("d.svm", "m.npz", "p.txt"))
    dump_libsvm(X, y, data, labels="01" if loss == "logistic" else "raw")
    assert cli.main(["train", data, "--n-features", "50", "--loss", loss,
                     "-o", model, "--quiet"]) == 0
    assert cli.main(["predict", model, data, "-o", pred, "--quiet"]) == 0
    est = online.load(model)
    Xr, _ = load_libsvm(data, n_features=50, binary=loss == "logistic")
    m = est._margin(Xr, None)
    p = (1.0 / (1.0 + np.exp(-m)) if loss == "logistic"
         else np.exp(m) if loss == "poisson" else m)
    with open(pred, "rb") as f:
        assert f.read() == python_g9(p)
