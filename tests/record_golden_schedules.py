"""Record tests/golden/schedules/torch.npz from torch's lr schedulers.

Run where torch is installed:  python tests/record_golden_schedules.py

Each case steps a torch scheduler STEPS times on a one-parameter SGD and
records the lr before every step (index t = the lr after t scheduler.step()
calls), next to the fastopt.schedules call that must reproduce it.  The file
holds, per case, an array ``lrs/<case>`` and a JSON string ``spec/<case>``:
{"fastopt": [function name, kwargs], "torch": description}.
"""
import json
import os

import numpy as np
import torch
from torch.optim import lr_scheduler as L

STEPS = 300
HERE = os.path.dirname(os.path.abspath(__file__))


def record(make, lr0):
    """lrs of the scheduler `make(opt)` over STEPS steps, from t = 0."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make(opt)
    lrs = []
    for _ in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs, dtype=np.float64)


def linear_then(opt, start_factor, warmup_steps, main):
    return L.SequentialLR(opt, [L.LinearLR(opt, start_factor, 1.0, total_iters=warmup_steps),
                                main(opt)], milestones=[warmup_steps])


# (case name, lr given to SGD, torch scheduler, fastopt function, its kwargs)
CASES = [
    ("step", 0.1, lambda o: L.StepLR(o, 30, gamma=0.5), "step",
     dict(lr=0.1, step_size=30, gamma=0.5)),
    ("step_gamma_0.9", 1.0, lambda o: L.StepLR(o, 7, gamma=0.9), "step",
     dict(lr=1.0, step_size=7, gamma=0.9)),
    ("multistep", 0.1, lambda o: L.MultiStepLR(o, [10, 50, 50, 200], gamma=0.3), "multistep",
     dict(lr=0.1, milestones=[10, 50, 50, 200], gamma=0.3)),
    ("exponential", 0.05, lambda o: L.ExponentialLR(o, 0.99), "exponential",
     dict(lr=0.05, gamma=0.99)),
    ("exponential_fast", 1.0, lambda o: L.ExponentialLR(o, 0.9), "exponential",
     dict(lr=1.0, gamma=0.9)),
    ("linear_decay", 0.1, lambda o: L.LinearLR(o, 1.0, 0.25, total_iters=120), "linear_decay",
     dict(lr0=0.1, lr_tau=0.025, tau=120)),
    ("polynomial", 0.1, lambda o: L.PolynomialLR(o, total_iters=200, power=2.0), "polynomial",
     dict(lr0=0.1, lr_end=0.0, total_steps=200, power=2.0)),
    ("polynomial_linear", 0.3, lambda o: L.PolynomialLR(o, total_iters=77, power=1.0),
     "polynomial", dict(lr0=0.3, lr_end=0.0, total_steps=77, power=1.0)),
    ("polynomial_sqrt", 0.3, lambda o: L.PolynomialLR(o, total_iters=150, power=0.5),
     "polynomial", dict(lr0=0.3, lr_end=0.0, total_steps=150, power=0.5)),
    ("cosine", 0.1, lambda o: L.CosineAnnealingLR(o, T_max=100), "cosine",
     dict(lr0=0.1, total_steps=100)),
    ("cosine_min", 0.1, lambda o: L.CosineAnnealingLR(o, T_max=250, eta_min=1e-3), "cosine",
     dict(lr0=0.1, total_steps=250, lr_min=1e-3)),
    ("cosine_restarts", 0.1, lambda o: L.CosineAnnealingWarmRestarts(o, T_0=40), "cosine_restarts",
     dict(lr0=0.1, T_0=40)),
    ("cosine_restarts_mult", 0.1,
     lambda o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4),
     "cosine_restarts", dict(lr0=0.1, T_0=10, T_mult=2, lr_min=1e-4)),
    ("cyclic", 0.01, lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=20, cycle_momentum=False),
     "cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_up=20)),
    ("cyclic_triangular2", 0.001,
     lambda o: L.CyclicLR(o, 0.001, 0.1, step_size_up=15, step_size_down=35,
                          mode="triangular2", cycle_momentum=False),
     "cyclic", dict(base_lr=0.001, max_lr=0.1, step_size_up=15, step_size_down=35,
                    mode="triangular2")),
    ("cyclic_exp_range", 0.001,
     lambda o: L.CyclicLR(o, 0.001, 0.1, step_size_up=25, mode="exp_range", gamma=0.995,
                          cycle_momentum=False),
     "cyclic", dict(base_lr=0.001, max_lr=0.1, step_size_up=25, mode="exp_range",
                    gamma=0.995)),
    ("one_cycle", 0.1,
     lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS, cycle_momentum=False),
     "one_cycle", dict(max_lr=0.1, total_steps=STEPS)),
    ("one_cycle_custom", 0.5,
     lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=STEPS + 20, pct_start=0.15,
                            div_factor=10.0, final_div_factor=100.0, cycle_momentum=False),
     "one_cycle", dict(max_lr=0.5, total_steps=STEPS + 20, pct_start=0.15, div_factor=10.0,
                       final_div_factor=100.0)),
    ("warmup_cosine", 0.1,
     lambda o: linear_then(o, 0.1, 20, lambda o2: L.CosineAnnealingLR(o2, T_max=200)),
     "warmup", dict(schedule=["cosine", dict(lr0=0.1, total_steps=200)], warmup_steps=20,
                    start_factor=0.1)),
    ("warmup_step", 0.2,
     lambda o: linear_then(o, 0.5, 7, lambda o2: L.StepLR(o2, 50, gamma=0.5)),
     "warmup", dict(schedule=["step", dict(lr=0.2, step_size=50, gamma=0.5)], warmup_steps=7,
                    start_factor=0.5)),
]


def main():
    out = {}
    for name, lr0, make, fn, kwargs in CASES:
        out[f"lrs/{name}"] = record(make, lr0)
        out[f"spec/{name}"] = np.array(json.dumps({"fastopt": [fn, kwargs],
                                                   "torch": torch.__version__}))
    path = os.path.join(HERE, "golden", "schedules", "torch.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {len(CASES)} cases of {STEPS} steps to {path}")


if __name__ == "__main__":
    main()
