r"""Gradient-descent optimizers with Keras 3's update rules (``sigconv.nn.optimizers``).

SGD, Adam (with ``amsgrad``), AdamW, Nadam, RMSprop, Adagrad, Adadelta and Adamax, each
with Keras 3's arguments, defaults and formulas; every one takes a learning-rate
schedule (:mod:`sigconv.nn.optimizers.schedules`) as its ``learning_rate``, Keras's
decoupled ``weight_decay``, and a moving average of the weights (``use_ema``).

An optimizer updates named parameter arrays in place from their gradients::

    optimizer.apply(grads, params)      # dicts name -> ndarray with the same keys

Each call is one step for every key: ``optimizer.iterations`` grows by one. The slot
state (momenta, velocities, ...) is kept per key, so the same key must always name the
same parameter (use one optimizer per model). ``optimizer.slots[key]`` shows it.

A step at ``iterations == t`` uses the learning rate ``schedule(t)`` when a schedule was
given. Before the update, as in Keras, gradients are clipped and, with ``weight_decay``,
each parameter shrinks: ``w -= w * weight_decay * learning_rate``. After it, with
``use_ema``, the average ``a = m a + (1 - m) w`` is updated (``m`` is ``ema_momentum``,
0 on the very first step) and, every ``ema_overwrite_frequency`` steps, written into the
parameters; :meth:`Optimizer.finalize_variable_values` writes it at the end of training.

:meth:`Optimizer.get_state` and :meth:`Optimizer.set_state` give and take everything a
step depends on besides the configuration (the counter, the slots, the averages) as
NumPy arrays, so that training can be saved and continued exactly.

Gradient clipping happens before the update, as in Keras; at most one of

* ``clipvalue``: each gradient entry clipped to ``[-clipvalue, clipvalue]``;
* ``clipnorm``: each gradient scaled by ``clipnorm / max(norm, clipnorm)``;
* ``global_clipnorm``: all gradients scaled by ``global_clipnorm / max(norm, ...)``,
  with the norm of all of them together.

Each optimizer updates a parameter, its slots and its (clipped) gradient in one serial
numba loop over the flat arrays, float32 or float64, computing in the parameter's dtype
as Keras does. Scalar factors (Adam's bias correction, the clipping scale) are computed
once per step in Python. A parameter that is not C-contiguous (a transposed view, say)
goes through the same kernel on a contiguous copy that is then written back, so that
the formulas exist once.
"""

import math
import re
import sys
import warnings
from collections.abc import Mapping

import numpy as np

from .._docs import fill_docstrings
from .._validate import check_real, lookup_name
from . import _checks, schedules
from . import backend as _backends
from . import losses as _losses
from .kernels import cpu

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Nadam", "RMSprop", "Adagrad", "Adadelta",
           "Adamax", "get_optimizer", "serialize", "deserialize", "schedules"]

# ``import sigconv.nn.optimizers.schedules`` works as with Keras's package layout
sys.modules.setdefault(__name__ + ".schedules", schedules)


# --- the optimizers ------------------------------------------------------------------------

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_clip(value, name):
    return None if value is None else check_real(value, name, 0.0, exclusive_minimum=True)


class _State:
    """Slots of one key: flat arrays in the kernel's order (empty when unused)."""

    __slots__ = ("shape", "dtype", "used", "slots")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype
        self.used = ()
        self.slots = ()

    def provide(self, used):
        """Allocate (zeros) the slots that ``used`` needs and that do not exist yet.

        A hyperparameter changed between steps (momentum from 0 to 0.9, say) may bring
        a slot into use: the kernel must never see an empty slot it reads.
        """
        size = math.prod(self.shape)
        previous = self.slots or (None,) * len(used)
        self.slots = tuple(
            slot if slot is not None and (slot.size == size or not needed)
            else np.zeros(size if needed else 0, self.dtype)
            for slot, needed in zip(previous, used, strict=True)
        )
        self.used = used


class _Default(float):
    """A default learning rate, told apart from the same number given explicitly (so
    that ``lr=`` together with ``learning_rate=`` is refused even for that number)."""


_LEARNING_RATE_SGD = _Default(0.01)
_LEARNING_RATE = _Default(0.001)


def _first_frame_outside():
    """``stacklevel`` for a warning about the caller of the optimizer's constructor."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


def _state_key(kind, key, slot=None):
    return f"{kind}/{key}" if slot is None else f"{kind}/{key}/{slot}"


class _State:
    """Slots of one key: flat arrays in the kernel's order (empty when unused), and the
    moving average of the parameter (``ema``, None until used)."""

    __slots__ = ("shape", "dtype", "used", "slots", "ema")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype
        self.used = ()
        self.slots = ()
        self.ema = None

    def provide(self, used, initial, backend=None):
        """Allocate the slots that ``used`` needs and that do not exist yet, filled with
        their ``initial`` values (zeros but for Adagrad's accumulator), on the device of
        ``backend`` (:mod:`sigconv.nn.backend`; the CPU by default).

        A hyperparameter changed between steps (momentum from 0 to 0.9, say) may bring
        a slot into use: the kernel must never see an empty slot it reads.
        """
        full = (backend or _backends.cpu).full
        size = math.prod(self.shape)
        previous = self.slots or (None,) * len(used)
        self.slots = tuple(
            slot if slot is not None and (slot.size == size or not needed)
            else full(size if needed else 0, value, self.dtype)
            for slot, needed, value in zip(previous, used, initial, strict=True)
        )
        self.used = used


class Optimizer(_checks.FromConfig):
    """Base of the optimizers: validation, clipping, weight decay, the moving average,
    slot state, the learning rate (a number or a schedule) and the step counter.

    A subclass names its slots (``_slot_names``, in the kernel's argument order), says
    which are in use (``_used_slots``) and their initial values (``_slot_initial``), and
    gives its kernel with the per-step scalar factors (``_factors``) and boolean flags
    (``_flags``); the kernel is called as
    ``kernel(w, g, *slots, *factors, scale, clipvalue, *flags)``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        Step size, positive, or a schedule of the step counter.
    {common}

    Attributes
    ----------
    iterations : int
        Number of :meth:`apply` calls so far.
    learning_rate : float
        The step size of the next step (the schedule's value at ``iterations`` when a
        schedule was given); a float may be set between steps (e.g. by a learning-rate
        callback), except over a schedule.
    """

    _slot_names = ()
    _squares_gradient = False   # a slot holds g**2: its overflow is checked

    def __init__(self, learning_rate, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        learning_rate = self._take_alias(learning_rate, kwargs)
        self.learning_rate = learning_rate
        self.name = _checks.check_name(name) or type(self).__name__.lower()
        self.weight_decay = (None if weight_decay is None
                             else check_real(weight_decay, "weight_decay", 0.0))
        self.clipnorm = _check_clip(clipnorm, "clipnorm")
        self.clipvalue = _check_clip(clipvalue, "clipvalue")
        self.global_clipnorm = _check_clip(global_clipnorm, "global_clipnorm")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"only one of clipnorm, clipvalue and global_clipnorm can be set; got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.use_ema = _checks.check_flag(use_ema, "use_ema")
        self.ema_momentum = check_real(ema_momentum, "ema_momentum", 0.0, 1.0)
        self.ema_overwrite_frequency = (
            None if ema_overwrite_frequency is None
            else _checks.check_count(ema_overwrite_frequency, "ema_overwrite_frequency"))
        self.iterations = 0
        self._states = {}
        self._excluded_ids = frozenset()
        self._excluded_pattern = None

    @staticmethod
    def _take_alias(learning_rate, kwargs):
        """``learning_rate``, or TensorFlow 2's ``lr`` alias (with a DeprecationWarning);
        Keras 3's ignored ``decay`` (with its warning); anything else refused."""
        if "lr" in kwargs:
            alias = kwargs.pop("lr")
            if not isinstance(learning_rate, _Default):
                raise ValueError("give the learning rate once: learning_rate or its "
                                 f"deprecated alias lr, not both (got learning_rate="
                                 f"{learning_rate!r}, lr={alias!r})")
            warnings.warn("the argument lr is deprecated; use learning_rate",
                          DeprecationWarning, stacklevel=_first_frame_outside())
            learning_rate = alias
        if kwargs.pop("decay", None) is not None:
            warnings.warn("the argument decay is no longer supported (as in Keras 3) and "
                          "is ignored; use a learning-rate schedule",
                          UserWarning, stacklevel=_first_frame_outside())
        for unsupported in ("loss_scale_factor", "gradient_accumulation_steps"):
            if kwargs.pop(unsupported, None) is not None:
                raise ValueError(f"{unsupported} is not supported by sigconv's optimizers; "
                                 "leave it None")
        if kwargs:
            raise ValueError(f"argument(s) not recognized: {sorted(kwargs)}")
        return learning_rate

    @property
    def learning_rate(self):
        """The step size of the next step, a positive float (a schedule's value at
        :attr:`iterations`)."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            return
        if isinstance(getattr(self, "_learning_rate", None), schedules.LearningRateSchedule):
            raise TypeError(
                f"this optimizer's learning rate follows a schedule "
                f"({type(self._learning_rate).__name__}): a number cannot be set; create "
                "the optimizer with a float learning_rate to set it")
        self._learning_rate = check_real(value, "learning_rate", 0.0, exclusive_minimum=True)

    @property
    def learning_rate_schedule(self):
        """The schedule given as ``learning_rate``, or None."""
        lr = self._learning_rate
        return lr if isinstance(lr, schedules.LearningRateSchedule) else None

    @property
    def slots(self):
        """Slot arrays per key, ``{key: {slot_name: array shaped like the parameter}}``.

        The arrays are views of the optimizer's state (writing to them changes it).
        """
        return {
            key: {name: slot.reshape(state.shape)
                  for name, slot, is_used in zip(self._slot_names, state.slots, state.used,
                                                 strict=True) if is_used}
            for key, state in self._states.items()
        }

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave some parameters out of ``weight_decay`` (before the first step).

        Parameters
        ----------
        var_list : list of numpy.ndarray, optional
            The parameter arrays themselves (compared by identity).
        var_names : list of str, optional
            Regular expressions; a key of ``params`` in which any is found (``re.search``)
            is not decayed, e.g. ``["bias"]``.

        Raises
        ------
        ValueError
            If the optimizer has already made a step or taken a state.
        TypeError
            If ``var_names`` is not a list of strings.
        """
        if self._states:
            raise ValueError("exclude_from_weight_decay() must be called before the "
                             "optimizer's first step (and before set_state)")
        self._excluded_ids = frozenset(id(v) for v in (var_list or ()))
        names = list(var_names or ())
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"var_names must be a list of strings, got {var_names!r}")
        self._excluded_pattern = re.compile("|".join(names)) if names else None

    def _decays(self, key, param):
        if self.weight_decay is None or id(param) in self._excluded_ids:
            return False
        return self._excluded_pattern is None or not self._excluded_pattern.search(str(key))

    def apply(self, grads, params):
        """One step: update every array of ``params`` in place from ``grads``.

        Parameters
        ----------
        grads : dict of str to array_like
            Gradient of the loss for each parameter (cast to the parameter's dtype).
        params : dict of str to numpy.ndarray
            The parameters, float32 or float64 arrays updated in place (the same
            objects stay in the dictionary). The keys must be those of ``grads``.

        Raises
        ------
        ValueError
            If the keys differ, a gradient's shape differs from its parameter's, or a
            key's parameter changed shape or dtype since an earlier step; called by
            itself (not by :meth:`Sequential.fit`), also if a gradient holds NaN or inf or
            values beyond its parameter's dtype. Nothing is updated then.
        TypeError
            If a parameter is not a writeable float32/float64 ndarray, or a gradient
            is not real numbers (strings are not read as numbers).
        OverflowError
            Called by itself, if a finite gradient's square overflows the parameter's
            dtype in a slot of squares (Adam's, Nadam's or RMSprop's velocity, Adagrad's
            and Adadelta's accumulators: ``|g|`` beyond 1.8e19 in float32, 1.3e154 in
            float64 after clipping): the step would silently be 0. Inside
            :meth:`Sequential.fit` such a divergence shows as inf/NaN losses, as in Keras.

        Notes
        -----
        ``clipnorm`` and ``global_clipnorm`` use norms that stay finite for finite
        gradients (the sum of squares is rescaled where it would overflow), so a huge
        gradient is clipped to the norm asked for, not to 0.
        """
        for name, value in (("grads", grads), ("params", params)):
            if not isinstance(value, dict):
                raise TypeError(f"{name} must be a dict of names to arrays; got "
                                f"{type(value).__name__}")
        if grads.keys() != params.keys():
            missing = sorted(map(str, params.keys() - grads.keys()))
            extra = sorted(map(str, grads.keys() - params.keys()))
            raise ValueError(f"grads and params must have the same keys; no gradient for "
                             f"{missing}, no parameter for {extra}")
        if any(_checks.on_device(value) for value in params.values()):
            return self._apply_on_device(grads, params)
        # validate everything before updating anything
        steps = [self._prepare(key, grads[key], params[key]) for key in params]
        scales = self._clip_scales([step[1] for step in steps])
        if not _losses._in_model.get():
            self._check_squares(list(params), [step[1] for step in steps], scales)
        learning_rate = self.learning_rate
        self._begin_step()
        factors = self._factors(learning_rate)
        flags = self._flags()
        used = self._used_slots()
        ema = self._ema_factors()
        cast = {}
        for key, (w, g, state, target), scale in zip(params, steps, scales, strict=True):
            if state.used != used:
                state.provide(used, self._initial_values())
            dtype = w.dtype
            if dtype not in cast:
                cast[dtype] = self._cast(dtype, factors, learning_rate, ema)
            typed, clipvalue, decay, averaging = cast[dtype]
            if self.weight_decay is not None and self._decays(key, params[key]):
                cpu.weight_decay_update(w, *decay)
            self._kernel(w, g, *self._kernel_slots(state.slots), *typed, dtype.type(scale),
                         clipvalue, *flags)
            if averaging is not None:
                if state.ema is None:
                    state.ema = np.zeros(w.size, dtype)
                cpu.ema_update(state.ema, w, *averaging)
            if target is not None:  # parameter was not C-contiguous: copy the result back
                target[...] = w.reshape(target.shape)
        self.iterations += 1

    def _cast(self, dtype, factors, learning_rate, ema):
        """The step's scalars in ``dtype``: the kernel's factors, clipvalue, the weight
        decay's ``(weight_decay, learning_rate)`` and the EMA's arguments (or None)."""
        t = dtype.type
        averaging = None
        if ema is not None:
            momentum, overwrite = ema
            averaging = (t(momentum), t(1) - t(momentum), overwrite)
        return (tuple(t(f) for f in factors),
                t(np.inf if self.clipvalue is None else self.clipvalue),
                (t(self.weight_decay or 0.0), t(learning_rate)),
                averaging)

    def _ema_factors(self):
        """``(momentum, overwrite)`` of this step's moving average, or None without EMA.
        As Keras: momentum 0 on the first step (the average starts at the weights), and
        the weights take the average when ``(iterations + 1)`` is a multiple of
        ``ema_overwrite_frequency``."""
        if not self.use_ema:
            return None
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        overwrite = bool(self.ema_overwrite_frequency
                         and (self.iterations + 1) % self.ema_overwrite_frequency == 0)
        return momentum, overwrite

    def _apply_on_device(self, grads, params):
        """:meth:`apply` for parameters on the GPU: the CUDA twin of the same update, slots
        and averages on the device too (norms for clipping are taken on the host)."""
        from .kernels import cuda as cuda_kernels

        kernel = getattr(cuda_kernels, self._kernel.__name__)
        steps = []
        for key, param in params.items():
            gradient = grads[key]
            if not _checks.on_device(param) or not _checks.on_device(gradient):
                raise TypeError(f"params[{key!r}] and grads[{key!r}] must both be on the GPU "
                                "when any parameter is")
            if tuple(gradient.shape) != tuple(param.shape):
                raise ValueError(f"grads[{key!r}] has shape {tuple(gradient.shape)}, but "
                                 f"params[{key!r}] has shape {tuple(param.shape)}")
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _State(tuple(param.shape), np.dtype(param.dtype))
            elif state.shape != tuple(param.shape) or state.dtype != np.dtype(param.dtype):
                raise ValueError(
                    f"params[{key!r}] has shape {tuple(param.shape)} and dtype "
                    f"{np.dtype(param.dtype)}, but this optimizer's state for {key!r} was "
                    f"made for shape {state.shape} and dtype {state.dtype}")
            steps.append((param.reshape(param.size), gradient.reshape(gradient.size), state))
        device = _backends.cuda
        scales = [1.0] * len(steps)
        if self.clipnorm is not None or self.global_clipnorm is not None:
            # the sums of squares come back, one copy for all; a gradient whose sum
            # overflows even float64 comes back itself for the rescaled norm
            squares = device.sum_of_squares([g for _, g, _ in steps])

            def norm_of(k):
                if math.isfinite(squares[k]):
                    return math.sqrt(squares[k])
                return _norm(device.to_host(steps[k][1]))

            scales = self._clip_scales(range(len(steps)), norm_of)
        learning_rate = self.learning_rate
        self._begin_step()
        factors = self._factors(learning_rate)
        used = self._used_slots()
        ema = self._ema_factors()
        for key, (w, g, state), scale in zip(params, steps, scales, strict=True):
            if state.used != used or any(not _checks.on_device(s) for s in state.slots):
                # slots of a CPU optimizer go over once; new ones are made on the device
                state.slots = tuple(device.asarray(s, state.dtype) for s in state.slots)
                state.provide(used, self._initial_values(), device)
            typed, clipvalue, decay, averaging = self._cast(state.dtype, factors,
                                                            learning_rate, ema)
            if self.weight_decay is not None and self._decays(key, params[key]):
                cuda_kernels.weight_decay_update(w, *decay)
            kernel(w, g, *self._kernel_slots(state.slots), *typed,
                   state.dtype.type(scale), clipvalue, *self._flags())
            if averaging is not None:
                state.ema = (device.zeros(w.size, state.dtype) if state.ema is None
                             else device.asarray(state.ema, state.dtype))
                cuda_kernels.ema_update(state.ema, w, *averaging)
        self.iterations += 1

    def _prepare(self, key, gradient, param):
        """Flat parameter, flat gradient, state and copy-back target of one key."""
        if not isinstance(param, np.ndarray) or param.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"params[{key!r}] must be a float32 or float64 ndarray, got "
                            f"{getattr(param, 'dtype', type(param).__name__)}")
        if not param.flags.writeable:
            raise TypeError(f"params[{key!r}] must be writeable")
        if type(gradient) is not np.ndarray or gradient.dtype.kind not in "biuf":
            gradient = _checks.check_real_array(gradient, f"grads[{key!r}]")
        if gradient.shape != param.shape:
            raise ValueError(f"grads[{key!r}] has shape {gradient.shape}, but params[{key!r}] "
                             f"has shape {param.shape}")
        if _losses._in_model.get():     # a diverging model shows as NaN losses, as in Keras
            gradient = gradient.astype(param.dtype, copy=False)
        else:                           # a gradient given directly must be a number
            _checks.check_finite(gradient, f"grads[{key!r}]")
            with np.errstate(over="ignore"):
                gradient = gradient.astype(param.dtype, copy=False)
            if not _checks.all_finite(gradient):
                raise ValueError(f"grads[{key!r}] holds values beyond the range of "
                                 f"params[{key!r}]'s dtype {param.dtype}")
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _State(param.shape, param.dtype)
        elif state.shape != param.shape or state.dtype != param.dtype:
            raise ValueError(
                f"params[{key!r}] has shape {param.shape} and dtype {param.dtype}, but this "
                f"optimizer's state for {key!r} was made for shape {state.shape} and dtype "
                f"{state.dtype}; use a new optimizer for a new model"
            )
        if param.flags.c_contiguous:
            w, target = param.reshape(-1), None
        else:
            w, target = param.reshape(-1), param  # reshape copies a non-contiguous array
        return w, np.ascontiguousarray(gradient).reshape(-1), state, target

    def _check_squares(self, keys, flat_grads, scales):
        """OverflowError, before any update, if a finite gradient's square overflows in a
        slot of squares (Adam, RMSprop, ...): the slot would be inf and the step silently
        0 (Keras does so). Inside a model the divergence shows in the losses instead."""
        if not self._squares_gradient:
            return
        for key, g, scale in zip(keys, flat_grads, scales, strict=True):
            if not g.size or not math.isfinite(scale):
                continue
            largest = _largest(g) * scale
            if self.clipvalue is not None:
                largest = min(largest, self.clipvalue)
            if largest > math.sqrt(np.finfo(g.dtype).max):
                raise OverflowError(
                    f"grads[{key!r}] holds values up to {largest:.3g}, whose square "
                    f"overflows {g.dtype} in {type(self).__name__}'s velocity (the step "
                    "would silently be 0); scale the loss down or set clipnorm/clipvalue")

    def _clip_scales(self, flat_grads, norm_of=None):
        """The factor by which each gradient is scaled before the update (``norm_of``: how
        the norm of one of ``flat_grads`` is taken, :func:`_norm` by default)."""
        norm_of = _norm if norm_of is None else norm_of
        if self.clipnorm is not None:
            return [self._norm_scale(norm_of(g), self.clipnorm) for g in flat_grads]
        if self.global_clipnorm is not None:
            norm = math.hypot(*(norm_of(g) for g in flat_grads))
            if not math.isfinite(norm):
                return [math.nan] * len(flat_grads)  # as Keras: NaN updates, not silence
            return [self._norm_scale(norm, self.global_clipnorm)] * len(flat_grads)
        return [1.0] * len(flat_grads)

    @staticmethod
    def _norm_scale(norm, clip):
        return clip / norm if norm > clip else 1.0

    def _used_slots(self):
        return (True,) * len(self._slot_names)

    def _initial_values(self):
        return (0.0,) * len(self._slot_names)

    def _kernel_slots(self, slots):
        return slots

    def _begin_step(self):
        """Per-step state of the optimizer itself (Nadam's product), advanced once per
        step after validation."""

    def _flags(self):
        return ()

    # --- end of training, state --------------------------------------------------------

    def finalize_variable_values(self, params):
        """Write the moving averages into the parameters (with ``use_ema``), as Keras does
        at the end of ``fit``; without ``use_ema`` nothing happens.

        Parameters
        ----------
        params : dict of str to numpy.ndarray
            The parameters of :meth:`apply` (on the GPU too), overwritten in place.

        Raises
        ------
        ValueError
            If a key has no average (the optimizer made steps without it) or its shape
            differs. Before the first step there is no average and nothing happens.
        TypeError
            If ``params`` is not a dict.
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of names to arrays; got "
                            f"{type(params).__name__}")
        if not self.use_ema or not any(s.ema is not None for s in self._states.values()):
            return
        for key, param in params.items():
            state = self._states.get(key)
            if state is None or state.ema is None or state.shape != tuple(param.shape):
                raise ValueError(f"this optimizer holds no moving average for params[{key!r}] "
                                 f"of shape {tuple(param.shape)}")
        for key, param in params.items():
            average = self._states[key].ema
            if _checks.on_device(param):
                param.reshape(param.size).copy_to_device(
                    _backends.cuda.asarray(average, param.dtype))
            elif _checks.on_device(average):
                param[...] = average.copy_to_host().reshape(param.shape)
            else:
                param[...] = average.reshape(param.shape)

    def get_state(self):
        """Everything a next step depends on besides :meth:`get_config`, as arrays.

        Returns
        -------
        dict of str to numpy.ndarray
            ``"iterations"`` (int64, 0-d); ``"slot/<key>/<slot name>"`` for each slot in use
            of each parameter key (shaped like the parameter); ``"ema/<key>"`` with
            ``use_ema``; Nadam's ``"u_product"`` (float64, 0-d). Copies, on the host.

        Examples
        --------
        >>> opt = SGD(0.1, momentum=0.9)
        >>> opt.apply({"w": np.ones(2)}, {"w": np.zeros(2)})
        >>> sorted(opt.get_state())
        ['iterations', 'slot/w/momentum']
        """
        state = {"iterations": np.array(self.iterations, np.int64)}
        state.update(self._own_state())
        for key, entry in self._states.items():
            for name, slot, used in zip(self._slot_names, entry.slots, entry.used,
                                        strict=True):
                if used:
                    state[_state_key("slot", key, name)] = _host_copy(slot, entry.shape)
            if entry.ema is not None:
                state[_state_key("ema", key)] = _host_copy(entry.ema, entry.shape)
        return state

    def set_state(self, state):
        """Take :meth:`get_state`'s arrays (of an optimizer with the same configuration).

        It may be called before the first step (the slots are then made from ``state``)
        or after steps on the same parameters; the arrays are copied.

        Parameters
        ----------
        state : dict of str to array_like
            As :meth:`get_state` returns it.

        Raises
        ------
        ValueError
            If an entry is missing, unexpected (another optimizer's, a slot not in use, an
            average without ``use_ema``), or has the wrong shape or dtype (a slot not
            float32/float64, slots of one key that disagree, or that differ from the
            parameter this optimizer has already stepped); the message names the entry.
            Nothing is changed then.
        TypeError
            If ``state`` is not a dict of strings to arrays.
        """
        if not isinstance(state, Mapping) or not all(isinstance(k, str) for k in state):
            raise TypeError(f"state must be a dict of strings to arrays, as get_state "
                            f"returns; got {type(state).__name__}")
        arrays = dict(state)
        if "iterations" not in arrays:
            raise ValueError("state lacks the entry 'iterations'")
        iterations = np.asarray(arrays.pop("iterations"))
        if iterations.shape != () or iterations.dtype.kind not in "iu" or iterations < 0:
            raise ValueError(f"state entry 'iterations' must be a 0-d integer array >= 0, "
                             f"got {iterations!r}")
        own = self._take_own_state(arrays)
        used = self._used_slots()
        wanted = [name for name, is_used in zip(self._slot_names, used, strict=True)
                  if is_used]
        per_key = {}
        for entry, value in arrays.items():
            kind, _, rest = entry.partition("/")
            if kind == "slot" and "/" in rest:
                key, name = rest.rsplit("/", 1)
                if name not in wanted:
                    raise ValueError(f"unexpected state entry {entry!r}: {type(self).__name__}"
                                     f" with this configuration has the slots {wanted}")
            elif kind == "ema" and rest:
                key, name = rest, None
                if not self.use_ema:
                    raise ValueError(f"unexpected state entry {entry!r}: this optimizer "
                                     "has use_ema=False")
            else:
                raise ValueError(f"unexpected state entry {entry!r}")
            per_key.setdefault(key, {})[name] = (entry, np.asarray(value))
        keys = set(per_key)
        if self._states and (wanted or self.use_ema) and keys != set(map(str, self._states)):
            raise ValueError(
                f"state has entries for the keys {sorted(keys)}, but this optimizer has "
                f"stepped the keys {sorted(map(str, self._states))}")
        new_states = {}
        for key, entries in per_key.items():
            needed = wanted + (["ema"] if self.use_ema else [])
            for name in needed:
                if (None if name == "ema" else name) not in entries:
                    entry = (_state_key("ema", key) if name == "ema"
                             else _state_key("slot", key, name))
                    raise ValueError(f"state lacks the entry {entry!r}")
            reference = self._states.get(key)
            shape = dtype = None
            for entry, value in entries.values():
                if value.dtype not in _FLOAT_DTYPES:
                    raise ValueError(f"state entry {entry!r} must be float32 or float64, got "
                                     f"{value.dtype}")
                if shape is None:
                    shape, dtype = value.shape, value.dtype
                    if reference is not None and (reference.shape, reference.dtype) \
                            != (shape, dtype):
                        raise ValueError(
                            f"state entry {entry!r} has shape {shape} and dtype {dtype}, but "
                            f"the parameter {key!r} has shape {reference.shape} and dtype "
                            f"{reference.dtype}")
                elif (value.shape, value.dtype) != (shape, dtype):
                    raise ValueError(f"state entry {entry!r} has shape {value.shape} and dtype "
                                     f"{value.dtype}, unlike the other entries of {key!r} "
                                     f"({shape}, {dtype})")
            new = _State(shape, dtype)
            size = math.prod(shape)
            new.slots = tuple(
                np.array(entries[name][1], dtype, order="C").reshape(size) if is_used
                else np.zeros(0, dtype)
                for name, is_used in zip(self._slot_names, used, strict=True))
            new.used = used
            if self.use_ema:
                new.ema = np.array(entries[None][1], dtype, order="C").reshape(size)
            new_states[key] = new
        # everything checked: now change the optimizer
        for key in self._states:
            if key not in new_states:
                new_states[key] = self._states[key]   # SGD without momentum: no slots
        self._states = new_states
        self.iterations = int(iterations)
        self._set_own_state(own)

    def _own_state(self):
        return {}

    def _take_own_state(self, arrays):
        return None

    def _set_own_state(self, own):
        pass

    # --- configuration ------------------------------------------------------------------

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal (a
        schedule as ``{"class_name": ..., "config": ...}``, as Keras writes it)."""
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": (schedules.serialize(lr)
                              if isinstance(lr, schedules.LearningRateSchedule) else lr),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new optimizer (without state) from :meth:`get_config`'s dictionary.

        Parameters
        ----------
        config : dict
            As :meth:`get_config` returns it.
        custom_objects : dict of str to class, optional
            Schedule classes that are not sigconv's, by class name.

        Raises
        ------
        TypeError
            If ``config`` is not a dict or holds a value of the wrong type.
        ValueError
            If it holds an unknown key or a value out of range (the message names it).
        """
        config = _checks.check_config(config, cls)
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _host_copy(flat, shape):
    """A host copy of a flat slot (on the host or the GPU), shaped like its parameter."""
    array = flat.copy_to_host() if _checks.on_device(flat) else np.array(flat)
    return array.reshape(shape)


_COMMON_PARAMETERS = """weight_decay : float, optional
        Decoupled weight decay, ``>= 0``: before each update
        ``w -= w * weight_decay * learning_rate`` (Keras 3's rule; not an L2 term in the
        gradient). See :meth:`~Optimizer.exclude_from_weight_decay`.
    clipnorm : float, optional
        Scale each gradient down to this L2 norm if it is larger.
    clipvalue : float, optional
        Clip each gradient entry to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Scale all gradients together down to this global L2 norm if it is larger.
    use_ema : bool, default False
        Keep an exponential moving average of each parameter, updated after each step:
        ``a = ema_momentum * a + (1 - ema_momentum) * w`` (``a = w`` on the first step).
    ema_momentum : float, default 0.99
        In ``[0, 1]``.
    ema_overwrite_frequency : int, optional
        With ``use_ema``, write the averages into the parameters every this many steps
        (when ``iterations + 1`` is a multiple of it); otherwise only
        :meth:`~Optimizer.finalize_variable_values` writes them (``fit`` calls it at the
        end of training).
    name : str, optional
        Defaults to the class name in lower case.
    **kwargs
        ``lr``: TensorFlow 2's alias of ``learning_rate`` (a DeprecationWarning; not
        with ``learning_rate``); ``decay``: ignored with a warning, as in Keras 3."""


def _largest(g):
    """``max(|g|)`` as a float, without a temporary of ``g``'s size."""
    return max(abs(float(g.max())), abs(float(g.min()))) if g.size else 0.0


def _norm(g):
    """The Euclidean norm of a flat gradient; finite whenever it is representable (the
    sum of squares of values beyond 1e154 overflows float64: then it is taken on the
    gradient divided by its largest value)."""
    with np.errstate(over="ignore"):
        square = float(np.dot(g, g))
    if math.isfinite(square):
        return math.sqrt(square)
    largest = _largest(g)
    if not math.isfinite(largest) or largest == 0.0:
        return largest            # NaN or inf: the update is NaN, as in Keras
    scaled = g.astype(np.float64) / largest
    return largest * math.sqrt(float(np.dot(scaled, scaled)))


_RAISES = """ValueError
        If an argument is out of range (the message names it), more than one clipping
        argument is given, or ``lr`` with ``learning_rate``.
    TypeError
        If an argument has the wrong type."""


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        Step size, positive.
    momentum : float, default 0.0
        Momentum factor in ``[0, 1)``; 0 is plain gradient descent.
    nesterov : bool, default False
        Nesterov momentum.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule, with slot ``"momentum"`` :math:`m` (starting at 0):

    .. math::

        m &\\leftarrow \\mu m - \\eta g \\\\
        w &\\leftarrow w + m \\quad\\text{or, Nesterov,}\\quad
        w \\leftarrow w + \\mu m - \\eta g

    and :math:`w \\leftarrow w - \\eta g` without momentum (no slot then).

    Examples
    --------
    >>> w = np.array([1.0, -2.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.apply({"w": np.array([1.0, 1.0])}, {"w": w})
    >>> w
    array([ 0.9, -2.1])
    >>> opt.apply({"w": np.array([1.0, 1.0])}, {"w": w})    # m = 0.9 * -0.1 - 0.1
    >>> w
    array([ 0.71, -2.29])
    """

    _slot_names = ("momentum",)
    _kernel = staticmethod(cpu.sgd_update)

    def __init__(self, learning_rate=_LEARNING_RATE_SGD, momentum=0.0, nesterov=False, *,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, exclusive_maximum=True)
        self.nesterov = _checks.check_flag(nesterov, "nesterov")

    def _used_slots(self):
        return (self.momentum > 0,)

    def _factors(self, learning_rate):
        return learning_rate, self.momentum

    def _flags(self):
        return (self.nesterov,)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: momentum and per-entry step sizes from running moments of the gradient.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    beta_1 : float, default 0.9
        Decay of the first-moment average, in ``[0, 1)``.
    beta_2 : float, default 0.999
        Decay of the second-moment average, in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added to the root of the second moment, ``>= 0`` (Keras's default, not the
        paper's 1e-8).
    amsgrad : bool, default False
        AMSGrad (Reddi et al., 2018): divide by the root of the largest second moment so
        far (slot ``"velocity_hat"``).
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule at step :math:`t` (``iterations + 1``), with slots ``"momentum"``
    :math:`m` and ``"velocity"`` :math:`v`:

    .. math::

        \\alpha &= \\eta \\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t) \\\\
        m &\\leftarrow m + (g - m)(1 - \\beta_1) \\\\
        v &\\leftarrow v + (g^2 - v)(1 - \\beta_2) \\\\
        w &\\leftarrow w - \\alpha m / (\\sqrt{v} + \\epsilon)

    (the bias correction is folded into :math:`\\alpha`, so :math:`\\epsilon` is not
    scaled by it: this differs slightly from the paper's form). With ``amsgrad``,
    :math:`\\hat v \\leftarrow \\max(\\hat v, v)` takes the place of :math:`v` in the
    last line.

    Examples
    --------
    >>> w = np.array([1.0, -1.0])
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.apply({"w": np.array([0.5, -2.0])}, {"w": w})   # first step: ~ -lr * sign(g)
    >>> np.round(w, 4)
    array([ 0.9, -0.9])
    """

    _slot_names = ("momentum", "velocity", "velocity_hat")
    _squares_gradient = True

    def __init__(self, learning_rate=_LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.beta_1 = check_real(beta_1, "beta_1", 0.0, 1.0, exclusive_maximum=True)
        self.beta_2 = check_real(beta_2, "beta_2", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)
        self.amsgrad = _checks.check_flag(amsgrad, "amsgrad")

    @property
    def _kernel(self):
        return cpu.amsgrad_update if self.amsgrad else cpu.adam_update

    def _used_slots(self):
        return True, True, self.amsgrad

    def _kernel_slots(self, slots):
        return slots if self.amsgrad else slots[:2]

    def _factors(self, learning_rate):
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        return alpha, 1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), on by default.

    The same update as :class:`Adam` with ``weight_decay=0.004``: before each update
    ``w -= w * weight_decay * learning_rate``, as Keras 3 does for every optimizer.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    weight_decay : float, default 0.004
        ``>= 0`` (None is refused, as in Keras).
    beta_1, beta_2, epsilon, amsgrad
        As for :class:`Adam`.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    .. math:: w \\leftarrow w - w \\lambda \\eta, \\quad\\text{then Adam's update}

    Examples
    --------
    >>> w = np.array([1.0])
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply({"w": np.array([0.0])}, {"w": w})
    >>> w                                          # 1 - 1 * 0.5 * 0.1; g = 0 moves nothing
    array([0.95])
    """

    def __init__(self, learning_rate=_LEARNING_RATE, weight_decay=0.004, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, *, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW's weight_decay must be a float >= 0, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2016), with Keras's momentum schedule.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    beta_1 : float, default 0.9
        Decay of the first-moment average, in ``[0, 1)``.
    beta_2 : float, default 0.999
        Decay of the second-moment average, in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added to the root of the second moment, ``>= 0``.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule at step :math:`t` (``iterations + 1``), with slots ``"momentum"``
    :math:`m`, ``"velocity"`` :math:`v` and the running product :math:`P_t` of
    :math:`u_s = \\beta_1 (1 - \\tfrac12 0.96^s)` for :math:`s \\le t` (in the state as
    ``"u_product"``):

    .. math::

        m &\\leftarrow m + (g - m)(1 - \\beta_1), \\quad
        v \\leftarrow v + (g^2 - v)(1 - \\beta_2) \\\\
        \\hat m &= \\frac{u_{t+1} m}{1 - P_t u_{t+1}} + \\frac{(1 - u_t) g}{1 - P_t},
        \\quad \\hat v = \\frac{v}{1 - \\beta_2^t} \\\\
        w &\\leftarrow w - \\eta \\hat m / (\\sqrt{\\hat v} + \\epsilon)

    Examples
    --------
    >>> w = np.array([1.0])
    >>> Nadam(learning_rate=0.1).apply({"w": np.array([2.0])}, {"w": w})
    >>> np.round(w, 4)          # the momentum's look-ahead makes the first step > lr
    array([0.8937])
    """

    _slot_names = ("momentum", "velocity")
    _kernel = staticmethod(cpu.nadam_update)
    _squares_gradient = True

    def __init__(self, learning_rate=_LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 *, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.beta_1 = check_real(beta_1, "beta_1", 0.0, 1.0, exclusive_maximum=True)
        self.beta_2 = check_real(beta_2, "beta_2", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)
        self.u_product = 1.0

    def _u(self, step):
        return self.beta_1 * (1.0 - 0.5 * 0.96**step)

    def _begin_step(self):
        self.u_product *= self._u(self.iterations + 1)

    def _factors(self, learning_rate):
        step = self.iterations + 1
        u, u_next = self._u(step), self._u(step + 1)
        return (learning_rate, 1.0 - self.beta_1, 1.0 - self.beta_2, u_next,
                1.0 - self.u_product * u_next, 1.0 - u, 1.0 - self.u_product,
                1.0 - self.beta_2**step, self.epsilon)

    def _own_state(self):
        return {"u_product": np.array(self.u_product, np.float64)}

    def _take_own_state(self, arrays):
        if "u_product" not in arrays:
            raise ValueError("state lacks the entry 'u_product' (Nadam's momentum product)")
        value = np.asarray(arrays.pop("u_product"))
        if value.shape != () or value.dtype.kind != "f" or not np.isfinite(value):
            raise ValueError(f"state entry 'u_product' must be a finite 0-d float array, got "
                             f"{value!r}")
        return float(value)

    def _set_own_state(self, own):
        self.u_product = own

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root mean square of the gradient.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    rho : float, default 0.9
        Decay of the running averages, in ``[0, 1)``.
    momentum : float, default 0.0
        Momentum factor in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added under the square root, ``>= 0``.
    centered : bool, default False
        Divide by the running standard deviation (mean square minus squared mean)
        instead of the root mean square.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule, with slots ``"velocity"`` :math:`v`, ``"momentum"`` :math:`m` (when
    momentum > 0) and ``"average_gradient"`` :math:`a` (when centered):

    .. math::

        v &\\leftarrow \\rho v + (1 - \\rho) g^2, \\qquad
        a \\leftarrow \\rho a + (1 - \\rho) g \\\\
        \\Delta &= \\eta g / \\sqrt{v - a^2 + \\epsilon}
        \\quad (\\sqrt{v + \\epsilon} \\text{ if not centered}) \\\\
        m &\\leftarrow \\mu m + \\Delta, \\quad w \\leftarrow w - m
        \\quad (w \\leftarrow w - \\Delta \\text{ without momentum})

    Examples
    --------
    >>> w = np.array([1.0])
    >>> opt = RMSprop(learning_rate=0.01, epsilon=0.0)
    >>> opt.apply({"w": np.array([3.0])}, {"w": w})   # v = 0.1 * 9: step 0.01 * 3 / sqrt(0.9)
    >>> np.round(w, 6)
    array([0.968377])
    """

    _slot_names = ("velocity", "momentum", "average_gradient")
    _kernel = staticmethod(cpu.rmsprop_update)
    _squares_gradient = True

    def __init__(self, learning_rate=_LEARNING_RATE, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.rho = check_real(rho, "rho", 0.0, 1.0, exclusive_maximum=True)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)
        self.centered = _checks.check_flag(centered, "centered")

    def _used_slots(self):
        return True, self.momentum > 0, self.centered

    def _factors(self, learning_rate):
        return learning_rate, self.rho, 1.0 - self.rho, self.momentum, self.epsilon

    def _flags(self):
        return (self.centered,)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Adagrad: per-entry step sizes from the sum of all squared gradients so far.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    initial_accumulator_value : float, default 0.1
        Starting value of the accumulator, ``>= 0``.
    epsilon : float, default 1e-7
        Added under the square root, ``>= 0``.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule, with slot ``"accumulator"`` :math:`A` (starting at
    ``initial_accumulator_value``):

    .. math::

        A \\leftarrow A + g^2, \\qquad w \\leftarrow w - \\eta g / \\sqrt{A + \\epsilon}

    Examples
    --------
    >>> w = np.array([1.0])
    >>> Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0).apply(
    ...     {"w": np.array([3.0])}, {"w": w})            # 1 - 0.1 * 3 / 3
    >>> w
    array([0.9])
    """

    _slot_names = ("accumulator",)
    _kernel = staticmethod(cpu.adagrad_update)
    _squares_gradient = True

    def __init__(self, learning_rate=_LEARNING_RATE, initial_accumulator_value=0.1,
                 epsilon=1e-7, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.initial_accumulator_value = check_real(initial_accumulator_value,
                                                    "initial_accumulator_value", 0.0)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)

    def _initial_values(self):
        return (self.initial_accumulator_value,)

    def _factors(self, learning_rate):
        return learning_rate, self.epsilon

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of the updates
    and of the gradients.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive (Keras 3's default; the paper's method is 1.0).
    rho : float, default 0.95
        Decay of the running averages, in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added under the square roots, ``>= 0``.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule, with slots ``"accumulated_grad"`` :math:`G` and
    ``"accumulated_delta_var"`` :math:`D`:

    .. math::

        G &\\leftarrow \\rho G + (1 - \\rho) g^2, \\qquad
        \\Delta = -\\sqrt{D + \\epsilon}\\, g / \\sqrt{G + \\epsilon} \\\\
        D &\\leftarrow \\rho D + (1 - \\rho) \\Delta^2, \\qquad
        w \\leftarrow w + \\eta \\Delta

    Examples
    --------
    >>> w = np.array([1.0])
    >>> Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0).apply({"w": np.array([3.0])},
    ...                                                         {"w": w})   # 1 - 3 / sqrt(10)
    >>> np.round(w, 6)
    array([0.051317])
    """

    _slot_names = ("accumulated_grad", "accumulated_delta_var")
    _kernel = staticmethod(cpu.adadelta_update)
    _squares_gradient = True

    def __init__(self, learning_rate=_LEARNING_RATE, rho=0.95, epsilon=1e-7, *,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.rho = check_real(rho, "rho", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)

    def _factors(self, learning_rate):
        return learning_rate, self.rho, 1.0 - self.rho, self.epsilon

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        Step size, positive.
    beta_1 : float, default 0.9
        Decay of the first-moment average, in ``[0, 1)``.
    beta_2 : float, default 0.999
        Decay of the infinity norm, in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added to the norm, ``>= 0``.
    {common}

    Raises
    ------
    {raises}

    Notes
    -----
    Keras 3's rule at step :math:`t` (``iterations + 1``), with slots ``"momentum"``
    :math:`m` and ``"norm"`` :math:`u`:

    .. math::

        m &\\leftarrow m + (g - m)(1 - \\beta_1), \\qquad
        u \\leftarrow \\max(\\beta_2 u, |g|) \\\\
        w &\\leftarrow w - \\eta m / ((1 - \\beta_1^t)(u + \\epsilon))

    Examples
    --------
    >>> w = np.array([1.0])
    >>> Adamax(learning_rate=0.1, epsilon=0.0).apply({"w": np.array([-4.0])}, {"w": w})
    >>> np.round(w, 6)                         # m = -0.4, u = 4: 1 + 0.1 * 0.4 / (0.1 * 4)
    array([1.1])
    """

    _slot_names = ("momentum", "norm")
    _kernel = staticmethod(cpu.adamax_update)

    def __init__(self, learning_rate=_LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 *, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, name=name, **kwargs)
        self.beta_1 = check_real(beta_1, "beta_1", 0.0, 1.0, exclusive_maximum=True)
        self.beta_2 = check_real(beta_2, "beta_2", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)

    def _factors(self, learning_rate):
        step = self.iterations + 1
        return (learning_rate, 1.0 - self.beta_1, self.beta_2, 1.0 - self.beta_1**step,
                self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


_ALL = (SGD, Adam, RMSprop, AdamW, Nadam, Adagrad, Adadelta, Adamax)
fill_docstrings((Optimizer, *_ALL), common=_COMMON_PARAMETERS, raises=_RAISES)

_OPTIMIZERS = {cls.__name__.lower(): cls for cls in _ALL}


def serialize(optimizer):
    """An optimizer's configuration as Keras's ``{"class_name": ..., "config": ...}``.

    Parameters
    ----------
    optimizer : Optimizer

    Returns
    -------
    dict
        JSON-compatible (a schedule nested as its own ``class_name``/``config``). The
        state is not in it: see :meth:`Optimizer.get_state`.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an :class:`Optimizer`.

    Examples
    --------
    >>> serialize(SGD(0.1))["class_name"]
    'SGD'
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer, got {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """A new optimizer from :func:`serialize`'s dictionary (class name case ignored).

    Parameters
    ----------
    config : dict
        ``{"class_name": name, "config": dict}`` (Keras's ``"module"`` and
        ``"registered_name"`` keys are accepted and ignored).
    custom_objects : dict of str to class, optional
        Optimizer or schedule classes that are not sigconv's, by class name.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        If the class is unknown or its configuration is refused.
    TypeError
        If ``config`` is not such a dict.

    Examples
    --------
    >>> opt = deserialize({"class_name": "adamw", "config": {"weight_decay": 0.01}})
    >>> type(opt).__name__, opt.weight_decay
    ('AdamW', 0.01)
    """
    if not isinstance(config, Mapping) or not {"class_name", "config"} <= set(config) \
            or not set(config) <= {"class_name", "config", "module", "registered_name"}:
        raise TypeError(f"an optimizer must be given as {{'class_name': ..., 'config': ...}},"
                        f" got {config!r}")
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise TypeError(f"custom_objects must be a dict of names to classes, got "
                        f"{custom_objects!r}")
    custom = dict(custom_objects or {})
    name = config["class_name"]
    cls = custom.get(name)
    if cls is None:
        if not isinstance(name, str):
            raise TypeError(f"class_name must be a string, got {name!r}")
        cls = lookup_name(name, _OPTIMIZERS, "optimizer")
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise ValueError(f"{name!r} is not an Optimizer class")
    schedules_custom = {k: v for k, v in custom.items()
                        if isinstance(v, type) and issubclass(v, schedules.LearningRateSchedule)}
    return cls.from_config(config["config"], schedules_custom or None)


def get_optimizer(identifier):
    """The optimizer named or described by ``identifier``, or ``identifier`` itself.

    Parameters
    ----------
    identifier : str, dict or Optimizer
        A name (``"sgd"``, ``"adam"``, ``"rmsprop"``, ``"adamw"``, ``"nadam"``,
        ``"adagrad"``, ``"adadelta"``, ``"adamax"``: a new instance with Keras's
        defaults; case is ignored), a ``{"class_name", "config"}`` dict (see
        :func:`deserialize`), or an :class:`Optimizer`, returned as is.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the valid names) or the config is
        refused.
    TypeError
        If ``identifier`` is of another kind.

    Examples
    --------
    >>> get_optimizer("adam")
    Adam(name='adam', learning_rate=0.001, weight_decay=None, clipnorm=None,
         global_clipnorm=None, clipvalue=None, use_ema=False, ema_momentum=0.99,
         ema_overwrite_frequency=None, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
         amsgrad=False)
    """
    if isinstance(identifier, str):
        return lookup_name(identifier, _OPTIMIZERS, "optimizer")()
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, Optimizer):
        return identifier
    raise TypeError(f"optimizer must be a name, a config dict or an Optimizer, got "
                    f"{identifier!r}")
