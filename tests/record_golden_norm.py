"""Record tests/golden/norm/torch.npz from torch.nn.functional's batch_norm,
instance_norm, group_norm and layer_norm and their autograd gradients.

Run where torch is installed:  python tests/record_golden_norm.py

Each case (CASES) is a function, a shape, a dtype, with or without affine
weight and bias, and training or eval mode.  Its inputs come from a seeded
numpy generator (`case_inputs`), so the tests rebuild them without the file.
`STEPS` forward calls with fresh inputs (steps 0 .. STEPS-1) update the
running statistics where the function has them; the last call's output and
the gradients of sum(y * grad_y) are recorded, with the running statistics
after all steps.  tests/test_norm.py reads the file, and where torch is
installed also compares with torch live through `torch_reference`.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden", "norm", "torch.npz")
STEPS = 3

# (name, function, input shape, dtype, affine, training, extra arguments)
CASES = []
for _dt in ("float64", "float32"):
    for _aff in (True, False):
        _a = "affine" if _aff else "plain"
        _s = _dt[-2:]
        CASES += [
            (f"bn_2d_{_a}_train_{_s}", "batch_norm", (7, 5), _dt, _aff, True, {}),
            (f"bn_3d_{_a}_train_{_s}", "batch_norm", (4, 3, 9), _dt, _aff, True, {}),
            (f"bn_4d_{_a}_train_{_s}", "batch_norm", (3, 4, 5, 7), _dt, _aff, True, {}),
            (f"bn_4d_{_a}_eval_{_s}", "batch_norm", (3, 4, 5, 7), _dt, _aff, False, {}),
            (f"bn_2d_{_a}_eval_{_s}", "batch_norm", (6, 3), _dt, _aff, False, {}),
            (f"in_3d_{_a}_train_{_s}", "instance_norm", (3, 4, 11), _dt, _aff, True, {}),
            (f"in_4d_{_a}_train_{_s}", "instance_norm", (2, 3, 5, 7), _dt, _aff, True, {}),
            (f"in_4d_{_a}_eval_{_s}", "instance_norm", (2, 3, 5, 7), _dt, _aff, False, {}),
            (f"gn_2d_{_a}_{_s}", "group_norm", (5, 6), _dt, _aff, True, {"num_groups": 2}),
            (f"gn_3d_{_a}_{_s}", "group_norm", (3, 6, 7), _dt, _aff, True, {"num_groups": 3}),
            (f"gn_4d_{_a}_{_s}", "group_norm", (2, 6, 5, 3), _dt, _aff, True, {"num_groups": 6}),
            (f"gn_4d_one_group_{_a}_{_s}", "group_norm", (2, 4, 3, 5), _dt, _aff, True,
             {"num_groups": 1}),
            (f"ln_2d_{_a}_{_s}", "layer_norm", (9, 13), _dt, _aff, True,
             {"normalized_shape": (13,)}),
            (f"ln_3d_{_a}_{_s}", "layer_norm", (3, 4, 17), _dt, _aff, True,
             {"normalized_shape": (4, 17)}),
            (f"ln_4d_{_a}_{_s}", "layer_norm", (2, 3, 5, 7), _dt, _aff, True,
             {"normalized_shape": (5, 7)}),
        ]
CASE_NAMES = [c[0] for c in CASES]


def case_inputs(shape, dtype, affine, kind, extra, seed):
    """The seeded inputs of a case: per step xs[k] (scaled, offset, so the
    mean is not 0) and grad_y; weight, bias; initial running stats."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    c = shape[1]
    ash = tuple(extra["normalized_shape"]) if kind == "layer_norm" else (c,)
    xs = [(rng.standard_normal(shape) * (1.0 + k) + 0.5 - k).astype(dt)
          for k in range(STEPS)]
    grad_y = rng.standard_normal(shape).astype(dt)
    weight = rng.standard_normal(ash).astype(dt) if affine else None
    bias = rng.standard_normal(ash).astype(dt) if affine else None
    running_mean = rng.standard_normal(c).astype(dt)
    running_var = (rng.random(c) + 0.5).astype(dt)
    return xs, grad_y, weight, bias, running_mean, running_var


def seed_of(name):
    return CASE_NAMES.index(name) + 1000


def torch_reference(kind, xs, grad_y, weight, bias, running_mean, running_var,
                    training, extra, momentum=0.1, eps=1e-5):
    """torch's y, grad_x, grad_weight, grad_bias (last step) and running
    statistics after every step, as numpy arrays (None where absent)."""
    import torch
    import torch.nn.functional as F
    rm = torch.tensor(running_mean)
    rv = torch.tensor(running_var)
    tw = None if weight is None else torch.tensor(weight, requires_grad=True)
    tb = None if bias is None else torch.tensor(bias, requires_grad=True)
    for x in xs:
        tx = torch.tensor(x, requires_grad=True)
        if kind == "batch_norm":
            y = F.batch_norm(tx, rm, rv, tw, tb, training, momentum, eps)
        elif kind == "instance_norm":
            y = F.instance_norm(tx, rm, rv, tw, tb, training, momentum, eps)
        elif kind == "group_norm":
            y = F.group_norm(tx, extra["num_groups"], tw, tb, eps)
        else:
            y = F.layer_norm(tx, list(extra["normalized_shape"]), tw, tb, eps)
    for p in (tw, tb):
        if p is not None:
            p.grad = None
    y.backward(torch.tensor(grad_y))
    out = {"y": y, "grad_x": tx.grad, "grad_weight": None if tw is None else tw.grad,
           "grad_bias": None if tb is None else tb.grad}
    if kind in ("batch_norm", "instance_norm"):
        out["running_mean"], out["running_var"] = rm, rv
    return {k: None if v is None else v.detach().numpy().copy() for k, v in out.items()}


def main():
    import torch
    torch.set_num_threads(1)
    arrays = {}
    for name, kind, shape, dtype, affine, training, extra in CASES:
        xs, gy, w, b, rm, rv = case_inputs(shape, dtype, affine, kind, extra,
                                           seed_of(name))
        ref = torch_reference(kind, xs, gy, w, b, rm, rv, training, extra)
        for key, val in ref.items():
            if val is not None:
                arrays[f"{name}/{key}"] = val
    arrays["torch_version"] = np.array(torch.__version__)
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    tmp = GOLDEN + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, GOLDEN)
    print(f"wrote {len(CASES)} cases to {GOLDEN}")


if __name__ == "__main__":
    main()
