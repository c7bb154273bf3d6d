r"""Learning-rate schedules with Keras 3's formulas (``sigconv.nn.optimizers.schedules``).

A schedule is a function of the optimizer's step counter: give one to an optimizer as its
``learning_rate`` and the step made when ``optimizer.iterations == t`` uses
``schedule(t)`` (so the first batch uses ``schedule(0)``), as in Keras::

    schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    optimizer = SGD(learning_rate=schedule)

Each schedule computes in float32, with Keras's order of operations, because Keras
computes its schedules in the dtype of ``initial_learning_rate``, a float32 tensor; the
value is returned as a Python float (or a float32 array for an array of steps).

:func:`serialize` and :func:`deserialize` turn a schedule into Keras's
``{"class_name": ..., "config": ...}`` dictionary and back.
"""

import math
from collections.abc import Mapping

import numpy as np

from .._validate import check_real
from . import _checks

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
    "InverseTimeDecay", "PolynomialDecay", "CosineDecay", "CosineDecayRestarts",
    "serialize", "deserialize",
]

_F32 = np.float32


def _check_name(value):
    if not isinstance(value, str) or not value:
        raise TypeError(f"name must be a non-empty string, got {value!r}")
    return value


def _check_positive(value, name):
    return check_real(value, name, 0.0, exclusive_minimum=True)


def _steps(value, name, positive=True):
    """A number of steps, positive (or >= 0), kept an ``int`` when given as one."""
    checked = check_real(value, name, 0.0, exclusive_minimum=positive)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return checked


def _check_step(step):
    """``step`` as a float32 array (0-d for a scalar), every entry finite and >= 0."""
    if isinstance(step, (bool, np.bool_)) or isinstance(step, str):
        raise TypeError(f"step must be a number of steps, got {step!r}")
    array = np.asarray(step)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"step must be a real number (or an array of them), got dtype "
                        f"{array.dtype}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"step must be finite and >= 0, got {step!r}")
    return array


def _result(value, step):
    value = np.asarray(value, _F32)
    return float(value) if value.ndim == 0 else value


class LearningRateSchedule:
    """Base of the schedules: ``schedule(step)`` gives the learning rate at a step.

    A subclass implements ``__call__(step)`` and ``get_config()``; ``from_config`` is
    the constructor called with that dictionary, as in Keras.

    Examples
    --------
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / 2 ** step
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> Halving(0.4)(2)
    0.1
    """

    def __call__(self, step):
        raise NotImplementedError(f"learning-rate schedule {type(self).__name__} must "
                                  "define __call__(self, step)")

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal."""
        raise NotImplementedError(f"learning-rate schedule {type(self).__name__} must "
                                  "define get_config() to be saved")

    @classmethod
    def from_config(cls, config):
        """A new schedule from :meth:`get_config`'s dictionary.

        Parameters
        ----------
        config : dict
            As :meth:`get_config` returns it.

        Returns
        -------
        LearningRateSchedule

        Raises
        ------
        TypeError
            If ``config`` is not a dict or lacks a required argument.
        ValueError
            If it holds an unknown key or a value out of range (the message names it).
        """
        return cls(**_checks.check_config(config, cls))

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(type(self).__name__)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class ExponentialDecay(LearningRateSchedule):
    r"""Exponential decay: the rate is multiplied by ``decay_rate`` every ``decay_steps``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, positive.
    decay_steps : float
        Steps per factor of ``decay_rate``, positive.
    decay_rate : float
        The factor, ``>= 0``.
    staircase : bool, default False
        Decay in whole steps of ``decay_steps`` (``floor`` of the exponent).
    name : str, default "ExponentialDecay"

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    .. math:: \eta(t) = \eta_0 \, r^{t / T} \quad (r^{\lfloor t / T \rfloor}
              \text{ with staircase})

    Examples
    --------
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(schedule(10), 6), round(schedule(5), 6)
    (0.05, 0.070711)
    >>> ExponentialDecay(0.1, 10, 0.5, staircase=True)(19)
    0.05000000074505806
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = _check_positive(initial_learning_rate,
                                                     "initial_learning_rate")
        self.decay_steps = _steps(decay_steps, "decay_steps")
        self.decay_rate = check_real(decay_rate, "decay_rate", 0.0)
        self.staircase = _checks.check_flag(staircase, "staircase")
        self.name = _check_name(name)

    def __call__(self, step):
        t = _check_step(step).astype(_F32)
        p = t / _F32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _result(_F32(self.initial_learning_rate) * np.power(_F32(self.decay_rate), p),
                       step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    r"""A constant rate between boundaries: ``values[i]`` up to and including
    ``boundaries[i]``, ``values[-1]`` after the last boundary.

    Parameters
    ----------
    boundaries : sequence of float
        Increasing step numbers (at least one).
    values : sequence of float
        One more rate than boundaries, each finite.
    name : str, default "PiecewiseConstant"

    Raises
    ------
    ValueError
        If the lengths do not fit, the boundaries do not increase, or a value is not
        finite.
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    .. math:: \eta(t) = v_0 \text{ for } t \le b_0, \quad v_i \text{ for }
              b_{i-1} < t \le b_i, \quad v_n \text{ for } t > b_{n-1}

    As in Keras, when the step is an integer (the optimizer's counter) the boundaries
    are compared as integers (a boundary 2.5 acts as 2).

    Examples
    --------
    >>> schedule = PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    >>> [round(schedule(t), 6) for t in (0, 10, 11, 20, 21)]
    [0.1, 0.1, 0.01, 0.01, 0.001]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries = self._check_list(boundaries, "boundaries")
        values = self._check_list(values, "values")
        if len(boundaries) != len(values) - 1 or not boundaries:
            raise ValueError(
                f"values must have one more entry than boundaries (and boundaries at least "
                f"one); got {len(boundaries)} boundaries and {len(values)} values")
        if any(b >= c for b, c in zip(boundaries, boundaries[1:], strict=False)):
            raise ValueError(f"boundaries must increase, got {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = _check_name(name)

    @staticmethod
    def _check_list(value, name):
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
            raise TypeError(f"{name} must be a list of numbers, got {value!r}")
        return [_steps(entry, f"{name}[{i}]", positive=False) if name == "boundaries"
                else check_real(entry, f"{name}[{i}]") for i, entry in enumerate(value)]

    def __call__(self, step):
        t = _check_step(step)
        boundaries = np.asarray(self.boundaries)
        if t.dtype.kind in "iu":   # Keras casts the boundaries to the step's dtype
            boundaries = boundaries.astype(t.dtype)
        values = np.asarray(self.values, _F32)
        result = np.zeros(t.shape, _F32)
        result += (t <= boundaries[0]).astype(_F32) * values[0]
        result += (t > boundaries[-1]).astype(_F32) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1],
                                    strict=True):
            result += ((t > low) & (t <= high)).astype(_F32) * value
        return _result(result, step)

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    r"""Inverse-time decay: ``initial_learning_rate / (1 + decay_rate * t / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, positive.
    decay_steps : float
        Positive.
    decay_rate : float
        ``>= 0``.
    staircase : bool, default False
        ``floor(t / decay_steps)`` instead of ``t / decay_steps``.
    name : str, default "InverseTimeDecay"

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    .. math:: \eta(t) = \frac{\eta_0}{1 + r\, t / T}

    Examples
    --------
    >>> round(InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)(10), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = _check_positive(initial_learning_rate,
                                                     "initial_learning_rate")
        self.decay_steps = _steps(decay_steps, "decay_steps")
        self.decay_rate = check_real(decay_rate, "decay_rate", 0.0)
        self.staircase = _checks.check_flag(staircase, "staircase")
        self.name = _check_name(name)

    def __call__(self, step):
        t = _check_step(step).astype(_F32)
        p = t / _F32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _result(_F32(self.initial_learning_rate)
                       / (_F32(1.0) + _F32(self.decay_rate) * p), step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    r"""Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` in
    ``decay_steps`` steps.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, positive.
    decay_steps : float
        Length of the decay, positive.
    end_learning_rate : float, default 0.0001
        The rate after ``decay_steps`` (finite).
    power : float, default 1.0
        Exponent of the polynomial, ``>= 0``.
    cycle : bool, default False
        Restart the decay after each multiple of ``decay_steps``, with a period
        stretched to the next multiple above the step.
    name : str, default "PolynomialDecay"

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    .. math::

        \eta(t) = (\eta_0 - \eta_{end}) (1 - t'/T')^p + \eta_{end}

    with :math:`t' = \min(t, T)`, :math:`T' = T`; with ``cycle``, :math:`t' = t` and
    :math:`T' = T \lceil t / T \rceil` (:math:`T` at step 0).

    Examples
    --------
    >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> [round(schedule(t), 6) for t in (0, 5, 10, 15)]
    [0.1, 0.05, 0.0, 0.0]
    >>> round(PolynomialDecay(0.1, 10, 0.0, cycle=True)(15), 6)    # T' = 20
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = _check_positive(initial_learning_rate,
                                                     "initial_learning_rate")
        self.decay_steps = _steps(decay_steps, "decay_steps")
        self.end_learning_rate = check_real(end_learning_rate, "end_learning_rate")
        self.power = check_real(power, "power", 0.0)
        self.cycle = _checks.check_flag(cycle, "cycle")
        self.name = _check_name(name)

    def __call__(self, step):
        t = _check_step(step).astype(_F32)
        decay_steps = _F32(self.decay_steps)
        if self.cycle:
            multiplier = np.where(t == 0, _F32(1.0), np.ceil(t / decay_steps))
            decay_steps = decay_steps * multiplier.astype(_F32)
        else:
            t = np.minimum(t, decay_steps)
        p = t / decay_steps
        initial, end = _F32(self.initial_learning_rate), _F32(self.end_learning_rate)
        return _result((initial - end) * np.power(_F32(1.0) - p, _F32(self.power)) + end, step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


def _cosine(fraction, alpha, factor=None):
    """``(1 - alpha) * factor * (1 + cos(pi * fraction)) / 2 + alpha`` in float32."""
    factor = _F32(1.0) if factor is None else factor
    cosine = _F32(0.5) * factor * (_F32(1.0) + np.cos(_F32(math.pi) * fraction))
    return (_F32(1.0) - _F32(alpha)) * cosine + _F32(alpha)


class CosineDecay(LearningRateSchedule):
    r"""Cosine decay (SGDR without restarts), with an optional linear warmup.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, positive (``>= 0`` with a warmup, which may start from 0).
    decay_steps : float
        Length of the decay (after the warmup), positive.
    alpha : float, default 0.0
        Floor of the decay as a fraction of the rate it decays from, finite.
    name : str, default "CosineDecay"
    warmup_target : float, optional
        With it, the rate rises linearly from ``initial_learning_rate`` to
        ``warmup_target`` in ``warmup_steps`` steps, then decays from ``warmup_target``.
    warmup_steps : float, default 0
        Length of the warmup, ``>= 0``.

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    Without warmup, with :math:`t' = \min(t, T)`:

    .. math:: \eta(t) = \eta_0 \left((1 - \alpha)\tfrac12 (1 + \cos(\pi t'/T))
              + \alpha\right)

    With warmup (:math:`W` steps to :math:`\eta_w`), :math:`t' = \min(t, T + W)`: for
    :math:`t' < W`, :math:`\eta = \eta_0 + (\eta_w - \eta_0) t'/W`; after it the decay
    above from :math:`\eta_w` at step :math:`t' - W`.

    Examples
    --------
    >>> schedule = CosineDecay(0.1, decay_steps=10)
    >>> [round(schedule(t), 6) for t in (0, 5, 10, 20)]
    [0.1, 0.05, 0.0, 0.0]
    >>> warm = CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4)
    >>> [round(warm(t), 6) for t in (0, 2, 4, 9)]
    [0.01, 0.055, 0.1, 0.05]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        # a warmup may start from 0 (Keras's usual pattern); without one, a rate > 0
        self.initial_learning_rate = (
            _check_positive(initial_learning_rate, "initial_learning_rate")
            if warmup_target is None else
            check_real(initial_learning_rate, "initial_learning_rate", 0.0))
        self.decay_steps = _steps(decay_steps, "decay_steps")
        self.alpha = check_real(alpha, "alpha")
        self.name = _check_name(name)
        self.warmup_target = (None if warmup_target is None
                              else check_real(warmup_target, "warmup_target"))
        self.warmup_steps = _steps(warmup_steps, "warmup_steps", positive=False)

    def __call__(self, step):
        t = _check_step(step).astype(_F32)
        initial = _F32(self.initial_learning_rate)
        decay_steps = _F32(self.decay_steps)
        if self.warmup_target is None:
            t = np.minimum(t, decay_steps)
            return _result(initial * _cosine(t / decay_steps, self.alpha), step)
        target, warmup_steps = _F32(self.warmup_target), _F32(self.warmup_steps)
        t = np.minimum(t, decay_steps + warmup_steps)
        with np.errstate(divide="ignore", invalid="ignore"):   # the branch not taken
            warming = (target - initial) * (t / warmup_steps) + initial
        decaying = target * _cosine((t - warmup_steps) / decay_steps, self.alpha)
        return _result(np.where(t < warmup_steps, warming, decaying), step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0, positive.
    first_decay_steps : float
        Length of the first period, positive.
    t_mul : float, default 2.0
        Each period is ``t_mul`` times the one before, positive (below 1 the periods
        shrink to a finite total, after which the rate is NaN, as in Keras).
    m_mul : float, default 1.0
        Each restart starts from ``m_mul`` times the rate of the one before, ``>= 0``.
    alpha : float, default 0.0
        Floor of the decay as a fraction of ``initial_learning_rate``, finite.
    name : str, default "SGDRDecay"

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    TypeError
        If an argument has the wrong type.

    Notes
    -----
    With :math:`f = t / T_0`, the period :math:`i = \lfloor \log(1 - f(1 - t_{mul}))
    / \log t_{mul} \rfloor` (:math:`\lfloor f \rfloor` if :math:`t_{mul} = 1`) and the
    fraction :math:`f_i = (f - (1 - t_{mul}^i)/(1 - t_{mul})) / t_{mul}^i` of it:

    .. math:: \eta(t) = \eta_0 \left((1 - \alpha) m_{mul}^i \tfrac12
              (1 + \cos(\pi f_i)) + \alpha\right)

    computed in float32 as Keras does (a step on a restart may land on either side of
    it by the rounding of the logarithms, in Keras too).

    Examples
    --------
    >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10)
    >>> [round(schedule(t), 6) for t in (0, 5, 10, 20, 30)]
    [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = _check_positive(initial_learning_rate,
                                                     "initial_learning_rate")
        self.first_decay_steps = _steps(first_decay_steps, "first_decay_steps")
        self.t_mul = _check_positive(t_mul, "t_mul")
        self.m_mul = check_real(m_mul, "m_mul", 0.0)
        self.alpha = check_real(alpha, "alpha")
        self.name = _check_name(name)

    def __call__(self, step):
        fraction = _check_step(step).astype(_F32) / _F32(self.first_decay_steps)
        t_mul = _F32(self.t_mul)
        if t_mul == 1:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # t_mul < 1: NaN, as Keras
                restart = np.floor(np.log(_F32(1.0) - fraction * (_F32(1.0) - t_mul))
                                   / np.log(t_mul))
                total = (_F32(1.0) - np.power(t_mul, restart)) / (_F32(1.0) - t_mul)
                fraction = (fraction - total) / np.power(t_mul, restart)
        factor = np.power(_F32(self.m_mul), restart)
        return _result(_F32(self.initial_learning_rate)
                       * _cosine(fraction, self.alpha, factor), step)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay, PolynomialDecay,
    CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """A schedule as Keras's ``{"class_name": ..., "config": ...}`` dictionary.

    Parameters
    ----------
    learning_rate_schedule : LearningRateSchedule

    Returns
    -------
    dict
        JSON-compatible: ``{"class_name": "ExponentialDecay", "config": {...}}``.

    Raises
    ------
    TypeError
        If the argument is not a :class:`LearningRateSchedule`.

    Examples
    --------
    >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
    'InverseTimeDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(f"learning_rate_schedule must be a LearningRateSchedule, got "
                        f"{learning_rate_schedule!r}")
    return {"class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config()}


def deserialize(config, custom_objects=None):
    """The schedule described by :func:`serialize`'s dictionary.

    Parameters
    ----------
    config : dict
        ``{"class_name": name, "config": dict}`` (Keras's ``"module"`` and
        ``"registered_name"`` keys are accepted and ignored).
    custom_objects : dict of str to class, optional
        Schedule classes that are not sigconv's, by class name.

    Returns
    -------
    LearningRateSchedule

    Raises
    ------
    ValueError
        If the class name is unknown or the config is refused by the constructor.
    TypeError
        If ``config`` is not such a dict.

    Examples
    --------
    >>> schedule = ExponentialDecay(0.1, 100, 0.96, staircase=True)
    >>> deserialize(serialize(schedule)) == schedule
    True
    """
    if not isinstance(config, Mapping) or not {"class_name", "config"} <= set(config) \
            or not set(config) <= {"class_name", "config", "module", "registered_name"}:
        raise TypeError(f"a schedule must be given as {{'class_name': ..., 'config': ...}}, "
                        f"got {config!r}")
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise TypeError(f"custom_objects must be a dict of names to classes, got "
                        f"{custom_objects!r}")
    classes = {**_SCHEDULES, **(custom_objects or {})}
    name = config["class_name"]
    cls = classes.get(name) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, LearningRateSchedule)):
        raise ValueError(f"unknown learning-rate schedule {name!r}; known: "
                         f"{sorted(classes)}")
    return cls.from_config(config["config"])
