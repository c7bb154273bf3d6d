"""Weight penalties with the Keras convention (``sigconv.nn.regularizers``).

A regularizer maps a weight array :math:`w` to a penalty that is **added to the loss**,

.. math::

    R(w) = \\ell_1 \\sum_i |w_i| + \\ell_2 \\sum_i w_i^2,
    \\qquad
    \\frac{\\partial R}{\\partial w} = \\ell_1 \\operatorname{sign}(w) + 2 \\ell_2 w .

This is Keras's convention: ``L2(0.01)`` adds ``0.01 * sum(w**2)``. Some texts (and the
``weight_decay`` of several frameworks) write the L2 penalty as
:math:`\\frac{\\lambda}{2} \\lVert w \\rVert^2`, whose gradient is :math:`\\lambda w`; the
same training is obtained there with :math:`\\lambda = 2 \\ell_2`.

Layers call the regularizer on their kernel for the loss value and add
:meth:`Regularizer.gradient` to the kernel's gradient.
"""

import numpy as np

from .._validate import check_real, lookup_name
from . import _checks

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get_regularizer"]


class Regularizer(_checks.FromConfig):
    """Base of the weight penalties: ``l1 * sum(|w|) + l2 * sum(w**2)``.

    Subclasses only choose which of the two factors their constructor takes; value,
    gradient and configuration live here.

    Attributes
    ----------
    l1, l2 : float
        The non-negative factors (0 disables a term).
    """

    #: constructor arguments reported by :meth:`get_config`
    _config_keys = ("l1", "l2")

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = check_real(l1, "l1", 0.0)
        self.l2 = check_real(l2, "l2", 0.0)

    def __call__(self, w):
        """The penalty ``l1 * sum(|w|) + l2 * sum(w**2)`` as a Python float.

        Parameters
        ----------
        w : array_like
            Weights (computed in their floating dtype, float64 for other dtypes).

        Returns
        -------
        float

        Raises
        ------
        TypeError
            If ``w`` is not real numbers (strings, objects, complex, ragged lists).
        MemoryError
            If a temporary of ``w``'s size (or its float64 copy) could not fit in memory,
            checked before allocating (a huge broadcast view costs nothing, its
            temporaries do).
        """
        w = _as_weights(w, 1, "the penalty's temporary")
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(w).sum())
        if self.l2:
            flat = w.reshape(-1)
            penalty += self.l2 * float(np.dot(flat, flat))
        return penalty

    def gradient(self, w):
        """The gradient ``l1 * sign(w) + 2 * l2 * w`` of the penalty.

        At ``w == 0`` the L1 term contributes 0 (the subgradient ``sign(0) = 0``).

        Parameters
        ----------
        w : array_like
            Weights.

        Returns
        -------
        numpy.ndarray
            New array of ``w``'s shape and (floating) dtype.

        Raises
        ------
        TypeError
            If ``w`` is not real numbers.
        MemoryError
            If the gradient and a temporary of ``w``'s size could not fit in memory,
            checked before allocating.
        """
        w = _as_weights(w, 2, "the gradient and its temporary")
        if self.l2:
            grad = w * (2.0 * self.l2)
        else:
            grad = np.zeros_like(w)
        if self.l1:
            grad += self.l1 * np.sign(w)
        return grad

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal."""
        return {key: getattr(self, key) for key in self._config_keys}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _as_weights(w, copies, what):
    """``w`` as a floating array, after checking that it and ``copies`` temporaries of its
    size fit in memory (a broadcast view costs nothing; its temporaries do)."""
    w = _checks.check_real_array(w, "w")    # strings are not read as numbers
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    _checks.check_allocation("w", w.shape, dtype, copies + (dtype != w.dtype), what)
    return w if w.dtype == dtype else w.astype(dtype)


class L1L2(Regularizer):
    """L1 and L2 penalty: ``l1 * sum(|w|) + l2 * sum(w**2)`` (``l1_l2`` is an alias).

    Parameters
    ----------
    l1 : float, default 0.0
        L1 factor, finite and non-negative.
    l2 : float, default 0.0
        L2 factor, finite and non-negative. No factor 1/2: the penalty is added to the
        loss as is, as in Keras.

    Raises
    ------
    ValueError
        If a factor is negative, NaN or infinite (the message names it).

    See Also
    --------
    L1, L2

    Notes
    -----
    Keras 3 defaults both factors to 0 (Keras 2's ``l1_l2`` function defaulted to 0.01).

    Examples
    --------
    >>> reg = L1L2(l1=0.1, l2=0.5)
    >>> w = np.array([1.0, -2.0])
    >>> reg(w)                       # 0.1 * 3 + 0.5 * 5
    2.8
    >>> reg.gradient(w)              # 0.1 * sign(w) + 2 * 0.5 * w
    array([ 1.1, -2.1])
    """


class L1(Regularizer):
    """L1 penalty ``l1 * sum(|w|)`` (``l1`` is an alias).

    Parameters
    ----------
    l1 : float, default 0.01
        Finite, non-negative factor.

    Raises
    ------
    ValueError
        If ``l1`` is negative, NaN or infinite.

    See Also
    --------
    L2, L1L2

    Examples
    --------
    >>> L1(0.5)(np.array([[1.0, -3.0]]))
    2.0
    >>> L1(0.5).gradient(np.array([2.0, 0.0, -1.0]))
    array([ 0.5,  0. , -0.5])
    """

    _config_keys = ("l1",)

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(Regularizer):
    """L2 penalty ``l2 * sum(w**2)`` (Keras convention, no 1/2; ``l2`` is an alias).

    Parameters
    ----------
    l2 : float, default 0.01
        Finite, non-negative factor.

    Raises
    ------
    ValueError
        If ``l2`` is negative, NaN or infinite.

    See Also
    --------
    L1, L1L2

    Notes
    -----
    Gradient descent with learning rate :math:`\\eta` shrinks the weights by the factor
    :math:`1 - 2 \\eta \\ell_2` per step through this term (weight decay
    :math:`2 \\ell_2`).

    Examples
    --------
    >>> reg = L2(0.01)
    >>> reg(np.array([3.0, 4.0]))
    0.25
    >>> reg.gradient(np.array([3.0, 4.0]))
    array([0.06, 0.08])
    """

    _config_keys = ("l2",)

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


# Keras 3 exports the classes under these lower-case names as well
l1 = L1
l2 = L2
l1_l2 = L1L2

_REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get_regularizer(identifier):
    """The regularizer named by ``identifier``.

    Parameters
    ----------
    identifier : None, str or Regularizer
        ``None`` (no penalty), ``"l1"``, ``"l2"`` or ``"l1_l2"`` (a new instance with
        the default factors; ``"L1L2"`` etc. work too), or an object with ``__call__``
        and ``gradient`` such as a :class:`Regularizer`, returned as is.

    Returns
    -------
    Regularizer or None

    Raises
    ------
    ValueError
        If the name is unknown.
    TypeError
        If ``identifier`` is of another kind.

    Examples
    --------
    >>> get_regularizer("l2")
    L2(l2=0.01)
    >>> get_regularizer(None) is None
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return lookup_name(identifier, _REGULARIZERS, "regularizer")()
    if (not isinstance(identifier, type) and callable(identifier)
            and callable(getattr(identifier, "gradient", None))):
        return identifier
    raise TypeError(
        f"regularizer must be None, a name or a Regularizer (callable with a gradient "
        f"method), got {identifier!r}"
    )
