"""Finite-difference checks of backpropagated gradients."""

import copy

import numpy as np

from .._validate import check_allocation, check_real
from . import _checks
from .layers import Layer


def _relative_error(analytic, numeric):
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), np.finfo(float).tiny)
    return float(np.linalg.norm(analytic - numeric) / scale)


def _numeric_gradient(objective, array, entries, eps):
    """Central differences of ``objective()`` with respect to ``array.flat[entries]``,
    perturbing ``array`` in place (and restoring it)."""
    flat = array.reshape(-1)
    out = np.empty(len(entries))
    for n, index in enumerate(entries):
        saved = flat[index]
        flat[index] = saved + eps
        plus = objective()
        flat[index] = saved - eps
        minus = objective()
        flat[index] = saved
        out[n] = (plus - minus) / (2 * eps)
    return out


def _entries(size, max_entries, rng):
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, max_entries, replace=False))


def check_gradients(layer_or_loss, x, y_true=None, *, training=False, eps=1e-5,
                    max_entries=None, seed=0):
    """Compare backpropagated gradients with float64 central finite differences.

    For a layer, the scalar checked is ``sum(layer(x) * R) + layer.regularization_loss()``
    with a fixed random ``R``, so ``layer.backward(R)`` must give its gradient with respect
    to the input and to every parameter. For a loss, it is ``loss(y_true, x)`` and
    ``loss.gradient(y_true, x)`` its gradient with respect to the predictions ``x``.

    The check runs on a float64 copy; the layer or loss passed in is left untouched.

    Parameters
    ----------
    layer_or_loss : Layer or Loss
    x : array_like
        The input batch (layer) or the predictions (loss). Use random, non-uniform values:
        on ties (equal values in a max-pool window, zeros under a ReLU) a function has no
        derivative to check.
    y_true : array_like, optional
        Targets, for a loss.
    training : bool
        Run the layer in training mode (batch statistics of BatchNormalization).
    eps : float
        Step of the central differences.
    max_entries : int, optional
        Check at most this many randomly chosen entries of each array (all by default).
    seed : int
        Seed of ``R`` and of the entries chosen.

    Returns
    -------
    dict of str to float
        ``||analytic - numeric|| / max(||analytic||, ||numeric||)`` for ``"input"`` and for
        every parameter (layer), or for ``"y_pred"`` (loss).

    Raises
    ------
    TypeError
        If ``layer_or_loss`` is neither a layer nor a loss (callable with a ``gradient``
        method), ``x`` or ``y_true`` is not real numbers, or an option has the wrong type.
    ValueError
        If ``x`` is empty, holds NaN or inf, ``y_true`` is missing for a loss, ``eps`` is
        not positive, or ``max_entries`` below 1; or
    MemoryError
        If the float64 copy of ``x`` could not fit in memory.

        If checking every entry (``max_entries=None``) would take more than
        :data:`MAX_WORK` values computed (two passes over ``x`` per entry: hours for a
        batch of images); pass ``max_entries``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import Conv2D, check_gradients
    >>> x = np.random.default_rng(0).standard_normal((2, 6, 6, 3))
    >>> errors = check_gradients(Conv2D(4, 3, strides=2, padding="same"), x)
    >>> sorted(errors), max(errors.values()) < 1e-8
    (['bias', 'input', 'kernel'], True)
    """
    is_layer = isinstance(layer_or_loss, Layer)
    if not is_layer and not (callable(layer_or_loss) and callable(
            getattr(layer_or_loss, "gradient", None))) or isinstance(layer_or_loss, type):
        raise TypeError(f"layer_or_loss must be a Layer or a loss (callable with a gradient "
                        f"method); got {layer_or_loss!r}")
    training = _checks.check_flag(training, "training")
    eps = check_real(eps, "eps", 0.0, exclusive_minimum=True)
    if max_entries is not None:
        max_entries = _checks.check_count(max_entries, "max_entries")
    rng = np.random.default_rng(_checks.check_seed(seed))
    x = _checks.check_real_array(x, "x")
    if x.size == 0:
        raise ValueError(f"x cannot be empty; got shape {x.shape}")
    _checks.check_finite(x, "x")
    check_allocation("x", x.shape, np.float64, copies=3, what="the float64 copies")
    x = np.array(x, dtype=np.float64)
    if not is_layer:
        loss = layer_or_loss
        if y_true is None:
            raise ValueError("y_true is needed to check a loss's gradient")
        targets = _checks.check_real_array(y_true, "y_true")
        analytic = np.asarray(loss.gradient(targets, x), dtype=np.float64)
        _check_work(x.size, [x.size], max_entries)
        entries = _entries(x.size, max_entries, rng)
        numeric = _numeric_gradient(lambda: loss(targets, x), x, entries, eps)
        return {"y_pred": _relative_error(analytic.reshape(-1)[entries], numeric)}

    layer = copy.deepcopy(layer_or_loss)
    if not layer.built:
        layer.build((None, *x.shape[1:]), rng=rng)
    _check_work(x.size, [x.size, *(p.size for p in layer.params.values())], max_entries)
    layer._cast(np.float64)
    projection = rng.standard_normal(layer.forward(x, training=training).shape)

    def objective():
        return float(np.vdot(layer.forward(x, training=training), projection)
                     + layer.regularization_loss())

    layer.forward(x, training=training)
    analytic = {"input": layer.backward(projection)}
    analytic.update({key: grad.copy() for key, grad in layer.grads.items()})
    arrays = {"input": x, **layer.params}
    errors = {}
    for key, array in arrays.items():
        entries = _entries(array.size, max_entries, rng)
        numeric = _numeric_gradient(objective, array, entries, eps)
        errors[key] = _relative_error(analytic[key].reshape(-1)[entries], numeric)
    return errors


#: the most values (entries checked x 2 passes x values per pass) that check_gradients
#: computes when every entry is checked (``max_entries=None``): seconds, not hours
MAX_WORK = 2 * 10**9


def _check_work(pass_size, array_sizes, max_entries):
    """ValueError naming ``max_entries`` if checking every entry would not finish soon."""
    if max_entries is not None:
        return
    work = 2 * sum(array_sizes) * pass_size
    if work > MAX_WORK:
        raise ValueError(
            f"checking every one of the {sum(array_sizes)} entries would compute {work:.3g} "
            f"values (two passes over x of {pass_size} values per entry), more than "
            f"MAX_WORK={MAX_WORK:.0e}; pass max_entries (e.g. 100) to check a random sample")
