"""Learning-rate schedules: callables ``schedule(t) -> lr``.

``t`` is the number of optimizer steps already taken (0 for the first step),
and ``schedule(t)`` equals the lr of the torch scheduler of the same idea
after ``t`` calls of ``scheduler.step()`` -- the lr torch's step t + 1 uses.
``t`` may be an int (the result is a float) or an integer numpy array (the
result is a float64 array of its shape).

torch updates most schedulers recursively (lr_{t+1} = lr_t * factor); these
are the closed forms it documents, which agree with torch to round-off: a
relative 1e-13 over hundreds of steps for every schedule but the cosine ones
near lr_min, where torch's recursion loses digits (tests/test_schedules.py
measures it against golden values recorded from torch)::

    s = cosine(0.1, total_steps=1000, lr_min=1e-4)
    attach(opt, warmup(s, warmup_steps=100))   # lr set before every step

Schedules are plain picklable objects with a readable repr; every argument is
checked when the schedule is made, with an error naming it.
"""
from __future__ import annotations

import bisect
import math
import numbers
import types
from typing import Any, Callable, Dict, Iterable, Optional, Protocol, TypeVar, Union, cast

import numpy as np
import numpy.typing as npt

from fastopt._validation import check_int, check_real

__all__ = ["Schedule", "constant", "step", "multistep", "exponential",
           "inverse_time", "linear_decay", "polynomial", "cosine",
           "cosine_restarts", "cyclic", "one_cycle", "warmup", "attach", "detach"]


_Opt = TypeVar("_Opt", bound=Any)
#: An int step count, or an integer array of them.
Steps = Union[int, np.ndarray]

#: the formulas' steps (int64) and learning rates (float64)
_T = npt.NDArray[np.int64]
_Lr = npt.NDArray[np.floating[Any]]


class Schedule:
    """A learning-rate schedule: a formula of this module and its arguments.

    Make one with the functions of this module (they check the arguments);
    call it with the number of steps taken.

    Parameters
    ----------
    name : str
        The formula: the name of the function that made it.
    **params
        Its keyword arguments, already checked.

    Examples
    --------
    >>> from fastopt.schedules import step
    >>> s = step(0.1, step_size=2, gamma=0.5)
    >>> s
    step(lr=0.1, step_size=2, gamma=0.5)
    >>> s(0), s(3)
    (0.1, 0.05)
    >>> s(np.arange(6))
    array([0.1  , 0.1  , 0.05 , 0.05 , 0.025, 0.025])
    """

    def __init__(self, name: str, **params: Any) -> None:
        self.name = name
        self.params = params

    def __call__(self, t: Steps) -> Union[float, np.ndarray]:
        scalar = isinstance(t, numbers.Integral) and not isinstance(t, (bool, np.bool_))
        arr = np.asarray(t)
        if not scalar and (arr.dtype.kind not in "iu" or isinstance(t, (bool, np.bool_))):
            raise TypeError(f"t must be an int or an integer array (steps taken), got {t!r}")
        if arr.size and arr.min() < 0:
            raise ValueError(f"t must be >= 0 (steps taken), got {t!r}")
        lr = np.asarray(_FORMULAS[self.name](arr.astype(np.int64), **self.params),
                        dtype=np.float64)
        return float(lr) if scalar else lr

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Schedule) and self.name == other.name
                and self.params == other.params)

    __hash__ = None  # type: ignore[assignment]


# ---- the formulas (t: int64 array) ---------------------------------------------

def _constant(t: _T, lr: float) -> _Lr:
    return np.full(t.shape, lr)


def _step(t: _T, lr: float, step_size: int, gamma: float) -> _Lr:
    return lr * gamma ** (t // step_size)


def _multistep(t: _T, lr: float, milestones: npt.NDArray[np.int64], gamma: float) -> _Lr:
    # gamma once per milestone <= t, a repeated milestone counting each time
    return lr * gamma ** np.searchsorted(milestones, t, side="right")


def _exponential(t: _T, lr: float, gamma: float) -> _Lr:
    return lr * gamma ** t.astype(np.float64)


def _inverse_time(t: _T, lr: float, decay_rate: float, decay_steps: int,
                  staircase: bool) -> _Lr:
    p = t / decay_steps
    return lr / (1.0 + decay_rate * (np.floor(p) if staircase else p))


def _linear_decay(t: _T, lr0: float, lr_tau: float, tau: int) -> _Lr:
    a = np.minimum(t, tau) / tau
    return (1.0 - a) * lr0 + a * lr_tau


def _polynomial(t: _T, lr0: float, lr_end: float, total_steps: int, power: float) -> _Lr:
    return (lr0 - lr_end) * (1.0 - np.minimum(t, total_steps) / total_steps) ** power + lr_end


def _cos_anneal(lr0: float, lr_min: float, t_cur: _T, period: Union[int, _T]) -> _Lr:
    """torch's cosine annealing, in its order of operations."""
    return lr_min + (lr0 - lr_min) * (1.0 + np.cos(math.pi * t_cur / period)) / 2.0


def _cosine(t: _T, lr0: float, total_steps: int, lr_min: float) -> _Lr:
    # like torch, not clamped: past total_steps the cosine rises again
    return _cos_anneal(lr0, lr_min, t, total_steps)


def _cosine_restarts(t: _T, lr0: float, T_0: int, T_mult: int, lr_min: float) -> _Lr:
    if T_mult == 1:
        return _cos_anneal(lr0, lr_min, t % T_0, T_0)
    start, period = np.zeros_like(t), np.full_like(t, T_0)
    while True:                    # cycles grow geometrically: few rounds
        done = t >= start + period
        if not done.any():
            return _cos_anneal(lr0, lr_min, t - start, period)
        start[done] += period[done]
        period[done] *= T_mult


_CYCLIC_SCALE: Dict[str, Callable[[_Lr, npt.NDArray[np.float64], float], Any]] = {
    "triangular": lambda cycle, t, gamma: 1.0,
    "triangular2": lambda cycle, t, gamma: 1.0 / 2.0 ** (cycle - 1),
    "exp_range": lambda cycle, t, gamma: gamma ** t,
}


def _cyclic(t: _T, base_lr: float, max_lr: float, step_size_up: int, step_size_down: int,
            mode: str, gamma: float) -> _Lr:
    total = step_size_up + step_size_down
    ratio = step_size_up / total
    cycle = np.floor(1.0 + t / total)
    x = 1.0 + t / total - cycle
    up = x <= ratio
    scale = np.where(up, x / ratio, (x - 1.0) / (ratio - 1.0))
    height = (max_lr - base_lr) * scale
    lr: _Lr = base_lr + height * _CYCLIC_SCALE[mode](cycle, t.astype(np.float64), gamma)
    return lr


def _anneal_cos(start: float, end: float, pct: _Lr) -> _Lr:
    lr: _Lr = end + (start - end) / 2.0 * (np.cos(math.pi * pct) + 1.0)
    return lr


def _one_cycle(t: _T, max_lr: float, total_steps: int, pct_start: float, div_factor: float,
               final_div_factor: float) -> _Lr:
    if t.size and t.max() > total_steps:
        raise ValueError(f"one_cycle is defined for t <= total_steps={total_steps} "
                         f"(torch raises there too), got t={int(t.max())}")
    initial = max_lr / div_factor
    end1 = float(pct_start * total_steps) - 1.0
    end2 = float(total_steps - 1)
    up = t <= end1
    return np.where(up, _anneal_cos(initial, max_lr, t / end1),
                    _anneal_cos(max_lr, initial / final_div_factor,
                                (t - end1) / (end2 - end1)))


def _warmup(t: _T, schedule: Callable[[int], Any], warmup_steps: int,
            start_factor: float) -> _Lr:
    base = float(schedule(0))
    ramp = base * (start_factor + (1.0 - start_factor) * t / max(warmup_steps, 1))
    rest = np.maximum(t - warmup_steps, 0)
    if isinstance(schedule, Schedule):
        after = schedule(rest)
    else:                          # any callable of an int
        after = np.array([float(schedule(int(k))) for k in rest.flat]).reshape(t.shape)
    return np.where(t < warmup_steps, ramp, after)


_FORMULAS: Dict[str, Callable[..., Any]] = {
    "constant": _constant, "step": _step, "multistep": _multistep,
    "exponential": _exponential, "inverse_time": _inverse_time,
    "linear_decay": _linear_decay, "polynomial": _polynomial, "cosine": _cosine,
    "cosine_restarts": _cosine_restarts, "cyclic": _cyclic, "one_cycle": _one_cycle,
    "warmup": _warmup}


# ---- the schedules ---------------------------------------------------------------

def _lr(name: str, value: object) -> float:
    return check_real(name, value, 0.0)


def constant(lr: float) -> Schedule:
    """The same lr at every step.

    Parameters
    ----------
    lr : float
        The base learning rate, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    return Schedule("constant", lr=_lr("lr", lr))


def step(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr * gamma ** (t // step_size)`` (torch StepLR).

    Parameters
    ----------
    lr : float
        The base learning rate, finite, >= 0.
    step_size : int
        Steps between decays, >= 1.
    gamma : float
        The factor per decay, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    return Schedule("step", lr=_lr("lr", lr), step_size=check_int("step_size", step_size, 1),
                    gamma=check_real("gamma", gamma, 0.0))


def multistep(lr: float, milestones: Iterable[int], gamma: float = 0.1) -> Schedule:
    """``lr * gamma ** (number of milestones <= t)`` (torch MultiStepLR).

    A milestone given twice counts twice, as there.

    Parameters
    ----------
    lr : float
        The base learning rate, finite, >= 0.
    milestones : sequence of int
        Step counts (>= 0) at which lr is multiplied by gamma, in any order.
    gamma : float
        The factor per decay, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).

    Examples
    --------
    >>> from fastopt.schedules import multistep
    >>> multistep(1.0, [2, 4], gamma=0.1)(np.arange(6))
    array([1.  , 1.  , 0.1 , 0.1 , 0.01, 0.01])
    """
    if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
        raise TypeError(f"milestones must be a sequence of ints, got {milestones!r}")
    ms = tuple(sorted(check_int(f"milestones[{i}]", m, 0)
                      for i, m in enumerate(milestones)))
    return Schedule("multistep", lr=_lr("lr", lr), milestones=ms,
                    gamma=check_real("gamma", gamma, 0.0))


def exponential(lr: float, gamma: float) -> Schedule:
    """``lr * gamma ** t`` (torch ExponentialLR).

    Parameters
    ----------
    lr : float
        The base learning rate, finite, >= 0.
    gamma : float
        The factor per decay, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    return Schedule("exponential", lr=_lr("lr", lr), gamma=check_real("gamma", gamma, 0.0))


def inverse_time(lr: float, decay_rate: float, decay_steps: float = 1,
                 staircase: bool = False) -> Schedule:
    """``lr / (1 + decay_rate * t / decay_steps)`` (Keras InverseTimeDecay).

    Parameters
    ----------
    lr : float
        The base learning rate, finite, >= 0.
    decay_rate : float
        Finite, >= 0.
    decay_steps : float
        Finite, > 0.
    staircase : bool
        Use ``floor(t / decay_steps)``: lr changes every decay_steps steps.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    if not isinstance(staircase, (bool, np.bool_)):
        raise TypeError(f"staircase must be a bool, got {staircase!r}")
    return Schedule("inverse_time", lr=_lr("lr", lr),
                    decay_rate=check_real("decay_rate", decay_rate, 0.0),
                    decay_steps=check_real("decay_steps", decay_steps, 0.0,
                                           closed=(False, True)),
                    staircase=bool(staircase))


def linear_decay(lr0: float, lr_tau: float, tau: int) -> Schedule:
    """Linear decay from lr0 to lr_tau over tau steps, then lr_tau.

    ``(1 - a) lr0 + a lr_tau`` with ``a = t / tau`` (Goodfellow, Bengio &
    Courville, Deep Learning, 8.3.1; torch LinearLR with start_factor 1 and
    end_factor lr_tau / lr0).

    Parameters
    ----------
    lr0 : float
        The lr at t = 0, finite, >= 0.
    lr_tau : float
        The lr from t = tau on, finite, >= 0.
    tau : int
        Steps of the decay, >= 1.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).

    Examples
    --------
    >>> from fastopt.schedules import linear_decay
    >>> linear_decay(1.0, 0.1, tau=3)(np.arange(5))
    array([1. , 0.7, 0.4, 0.1, 0.1])
    """
    return Schedule("linear_decay", lr0=_lr("lr0", lr0), lr_tau=_lr("lr_tau", lr_tau),
                    tau=check_int("tau", tau, 1))


def polynomial(lr0: float, lr_end: float, total_steps: int, power: float = 1.0) -> Schedule:
    """Polynomial decay: ``(lr0 - lr_end) (1 - min(t, T) / T) ** power + lr_end``.

    T = total_steps (torch PolynomialLR when lr_end = 0; Keras
    PolynomialDecay otherwise).

    Parameters
    ----------
    lr0 : float
        The lr at t = 0, finite, >= 0.
    lr_end : float
        The lr from t = T on, finite, >= 0.
    total_steps : int
        T, >= 1.
    power : float
        The exponent, finite, > 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    return Schedule("polynomial", lr0=_lr("lr0", lr0), lr_end=_lr("lr_end", lr_end),
                    total_steps=check_int("total_steps", total_steps, 1),
                    power=check_real("power", power, 0.0, closed=(False, True)))


def cosine(lr0: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing: ``lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2``.

    T = total_steps (torch CosineAnnealingLR).  As in torch, the cosine is
    not clamped: past T it rises again, with period 2 T.

    Parameters
    ----------
    lr0 : float
        The lr at t = 0, finite, >= 0.
    total_steps : int
        T, >= 1.
    lr_min : float
        The lr at t = T, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).

    Examples
    --------
    >>> from fastopt.schedules import cosine
    >>> cosine(1.0, total_steps=4)(np.arange(5))
    array([1.        , 0.85355339, 0.5       , 0.14644661, 0.        ])
    """
    return Schedule("cosine", lr0=_lr("lr0", lr0),
                    total_steps=check_int("total_steps", total_steps, 1),
                    lr_min=_lr("lr_min", lr_min))


def cosine_restarts(lr0: float, T_0: int, T_mult: int = 1, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing with warm restarts (torch CosineAnnealingWarmRestarts).

    From lr0 to lr_min over cycles of T_0, T_0 T_mult, T_0 T_mult^2, ...
    steps, restarting at lr0.

    Parameters
    ----------
    lr0 : float
        The lr at the start of every cycle, finite, >= 0.
    T_0 : int
        The first cycle's length, >= 1.
    T_mult : int
        The factor by which each cycle is longer than the one before, >= 1.
    lr_min : float
        The floor, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    return Schedule("cosine_restarts", lr0=_lr("lr0", lr0), T_0=check_int("T_0", T_0, 1),
                    T_mult=check_int("T_mult", T_mult, 1), lr_min=_lr("lr_min", lr_min))


def cyclic(base_lr: float, max_lr: float, step_size_up: float = 2000,
           step_size_down: Optional[float] = None, mode: str = "triangular",
           gamma: float = 1.0) -> Schedule:
    """Triangular cycles between base_lr and max_lr (torch CyclicLR).

    Parameters
    ----------
    base_lr : float
        The bottom of the cycle, finite, >= 0.
    max_lr : float
        The top of the first cycle, finite, >= 0.
    step_size_up : float
        Steps from bottom to top, > 0.
    step_size_down : float, optional
        Steps from top to bottom, > 0; None: step_size_up.
    mode : {"triangular", "triangular2", "exp_range"}
        The amplitude is scaled by 1, halved every cycle, or scaled by
        ``gamma ** t``.
    gamma : float
        The factor of "exp_range", finite, > 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).

    Examples
    --------
    >>> from fastopt.schedules import cyclic
    >>> cyclic(0.0, 1.0, step_size_up=2)(np.arange(6))
    array([0. , 0.5, 1. , 0.5, 0. , 0.5])
    """
    if mode not in _CYCLIC_SCALE:
        raise ValueError(f"mode must be one of {sorted(_CYCLIC_SCALE)}, got {mode!r}")
    up = check_real("step_size_up", step_size_up, 0.0, closed=(False, True))
    down = up if step_size_down is None else check_real(
        "step_size_down", step_size_down, 0.0, closed=(False, True))
    return Schedule("cyclic", base_lr=_lr("base_lr", base_lr), max_lr=_lr("max_lr", max_lr),
                    step_size_up=up, step_size_down=down, mode=mode,
                    gamma=check_real("gamma", gamma, 0.0, closed=(False, True)))


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
              final_div_factor: float = 1e4) -> Schedule:
    """The 1cycle policy with cosine annealing (torch OneCycleLR, three_phase=False).

    From ``max_lr / div_factor`` up to max_lr over the first pct_start of
    total_steps, then down to ``max_lr / div_factor / final_div_factor`` at
    ``t = total_steps - 1``.  Defined for ``t <= total_steps``; calling it
    with a larger t raises ValueError, as torch does.

    Parameters
    ----------
    max_lr : float
        The peak lr, finite, >= 0.
    total_steps : int
        The length of the cycle, >= 2.
    pct_start : float
        The fraction of the steps spent going up, in (0, 1), such that both
        phases have steps.
    div_factor : float
        ``max_lr / div_factor`` is the starting lr; > 0.
    final_div_factor : float
        The final lr is the starting lr divided by this; > 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).
    """
    total_steps = check_int("total_steps", total_steps, 2)
    pct_start = check_real("pct_start", pct_start, 0.0, 1.0, closed=(False, False))
    end1 = float(pct_start * total_steps) - 1.0
    if not 0.0 < end1 < total_steps - 1:
        raise ValueError(f"pct_start * total_steps - 1 must lie in (0, total_steps - 1) "
                         f"so that both phases have steps; got pct_start={pct_start!r} "
                         f"with total_steps={total_steps}")
    return Schedule("one_cycle", max_lr=_lr("max_lr", max_lr), total_steps=total_steps,
                    pct_start=pct_start,
                    div_factor=check_real("div_factor", div_factor, 0.0, closed=(False, True)),
                    final_div_factor=check_real("final_div_factor", final_div_factor, 0.0,
                                                closed=(False, True)))


def warmup(schedule: Callable[[int], float], warmup_steps: int,
           start_factor: float = 0.0) -> Schedule:
    """Linear warm-up in front of a schedule.

    From ``start_factor * schedule(0)`` to ``schedule(0)`` over warmup_steps
    steps, then ``schedule(t - warmup_steps)`` (torch SequentialLR of
    ``LinearLR(start_factor, 1, warmup_steps)`` and the schedule).

    Parameters
    ----------
    schedule : callable
        A Schedule, or any callable ``int -> lr``.
    warmup_steps : int
        Steps of the ramp, >= 0.
    start_factor : float
        The ramp's first lr as a fraction of ``schedule(0)``, finite, >= 0.

    Returns
    -------
    Schedule
        The callable ``t -> lr``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range (the message
        names it).

    Examples
    --------
    >>> from fastopt.schedules import constant, warmup
    >>> warmup(constant(1.0), warmup_steps=4)(np.arange(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be a callable t -> lr, got {schedule!r}")
    return Schedule("warmup", schedule=schedule,
                    warmup_steps=check_int("warmup_steps", warmup_steps, 0),
                    start_factor=check_real("start_factor", start_factor, 0.0))


# ---- driving an optimizer -----------------------------------------------------------

class _Driven(Protocol):
    """What attach() drives: an lr set from the step counter t."""

    lr: float
    t: int


class _ScheduledStep:
    """What attach() puts in place of an optimizer's step method."""

    def __init__(self, step: types.MethodType, schedule: Callable[[int], float]) -> None:
        self.step, self.schedule = step, schedule

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        opt = cast(_Driven, self.step.__self__)   # checked by attach()
        opt.lr = self.schedule(opt.t)
        return self.step(*args, **kwargs)


def attach(optimizer: _Opt, schedule: Callable[[int], float]) -> _Opt:
    """Drive ``optimizer.lr`` by `schedule`.

    Before every step, ``optimizer.lr = schedule(optimizer.t)``.  lr is set
    at once too, so it shows the next step's lr.  Attaching again replaces
    the schedule; `detach` removes it.

    Parameters
    ----------
    optimizer : Optimizer
        Every fastopt.optim optimizer with a settable lr (all but RDA, which
        has none, and DeltaBarDelta, whose lr only initialises its
        per-element rates), or any object with an ``lr``, a step counter
        ``t`` and a ``step`` method.
    schedule : callable
        A Schedule, or any callable ``int -> lr``.

    Returns
    -------
    Optimizer
        `optimizer`.

    Raises
    ------
    TypeError
        If `schedule` is not callable or `optimizer` lacks lr, t or step.
    ValueError
        If the optimizer refuses ``schedule(t)`` as its lr.

    Examples
    --------
    >>> import fastopt
    >>> from fastopt.schedules import attach, step
    >>> w = np.zeros(1)
    >>> opt = attach(fastopt.SGD(w, lr=1.0), step(1.0, step_size=1, gamma=0.5))
    >>> for _ in range(3):
    ...     opt.step(np.ones(1))
    >>> w, opt.lr                # lr 1, 0.5, 0.25, each set before its step
    (array([-1.75]), 0.25)
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be a callable t -> lr, got {schedule!r}")
    if not (hasattr(optimizer, "lr") and hasattr(optimizer, "t")
            and callable(getattr(optimizer, "step", None))):
        raise TypeError(f"optimizer must have a settable lr, a step counter t and "
                        f"a step method; {type(optimizer).__name__} has not")
    detach(optimizer)
    optimizer.lr = schedule(optimizer.t)        # checks the optimizer takes it
    optimizer.step = _ScheduledStep(optimizer.step, schedule)
    return optimizer


def detach(optimizer: _Opt) -> _Opt:
    """Undo `attach`: the optimizer keeps its current lr.

    Parameters
    ----------
    optimizer : Optimizer
        An optimizer, with a schedule attached or not.

    Returns
    -------
    Optimizer
        `optimizer`.
    """
    if isinstance(vars(optimizer).get("step"), _ScheduledStep):
        del optimizer.step
    return optimizer
