"""Winograd convolution F(2x2, 3x3) and F(4x4, 3x3): algorithms ``"winograd2"`` and
``"winograd4"`` of the convolution layers.

Forward, for tiles of ``m x m`` outputs read from ``alpha x alpha`` inputs
(``alpha = m + 2``) and every transformed element ``e`` of a tile::

    U[e] = (G g G^T)[e]                  (alpha^2, in_channels, filters), once per call
    V[e] = (B^T d B)[e]                  (alpha^2, tiles, in_channels)
    M[e] = V[e] @ U[e]                   alpha^2 matrix products (BLAS)
    y    = A^T M A                       each tile's outputs

Backward is the exact adjoint of these linear maps (so the gradients are those of the
computed forward, rounding included)::

    Z[e]  = (A dy A^T)[e]                the output gradient, transformed
    dU[e] = sum over tiles V[e]^T @ Z[e]         ->  dg = G^T dU G
    W[e]  = Z[e] @ U[e]^T                        ->  dx += B W B^T on each tile

F(4, 3) does ``36 / (16 * 9) = 1/4`` of the direct method's multiplications, F(2, 3)
``16 / (4 * 9) = 4/9``; the larger tile has the larger transform coefficients and so the
larger rounding error (measured in ``tests/test_nn_conv_algorithms.py``). An axis with a
one-tap kernel (the height of a Conv1D) uses the identity, so 1-D layers run the same code.

A non-finite value in the input, kernel or output gradient would turn a whole tile into
NaN, where the direct convolution keeps inf in the windows that read it. The transforms
detect such values as they read them, and the call is then computed by ``"gemm"``: every
algorithm gives the same non-finite results.
"""

import functools
from typing import NamedTuple

import numpy as np

from .. import _config
from .._validate import all_finite, check_allocation
from . import functional
from .kernels import winograd as kernels

# the transforms of F(m, 3) with the points 0, 1, -1 (m = 2) and 0, +-1, +-2 (m = 4),
# and infinity; Y = A^T [(G g) * (B^T d)] is the 3-tap cross-correlation of d with g
_TRANSFORMS = {
    2: dict(
        BT=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        G=[[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
        AT=[[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: dict(
        BT=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
           [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        AT=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
            [0, 1, -1, 8, -8, 1]],
    ),
    1: dict(BT=[[1]], G=[[1]], AT=[[1]]),     # a one-tap axis: nothing to transform
}


def _sparse(matrix, dtype):
    """``(starts, index, coef)``: the nonzeros of ``matrix`` row by row."""
    matrix = np.asarray(matrix, np.float64)
    rows, cols = np.nonzero(matrix)
    starts = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int64)
    return starts, cols.astype(np.int64), matrix[rows, cols].astype(dtype)


@functools.cache
def _axis(m, dtype):
    """The transforms of one axis as dense float64 (G) and sparse arrays of ``dtype``."""
    t = _TRANSFORMS[m]
    BT, AT = np.asarray(t["BT"], np.float64), np.asarray(t["AT"], np.float64)
    return dict(m=m, alpha=BT.shape[0], G=np.asarray(t["G"], np.float64),
                BT=_sparse(BT, dtype), B=_sparse(BT.T, dtype),
                AT=_sparse(AT, dtype), A=_sparse(AT.T, dtype))


def _axes(geometry, m, dtype):
    return tuple(_axis(m if k == 3 else 1, np.dtype(dtype)) for k in geometry.kernel)


def misfit(geometry, in_channels, filters, dtype):
    """Why Winograd F(m, 3) cannot compute this convolution (None when it can)."""
    if any(k not in (1, 3) for k in geometry.kernel) or geometry.kernel == (1, 1):
        return f"needs a 3x3, 1x3 or 3x1 kernel (3 taps in 1-D), got {geometry.kernel}"
    if geometry.strides != (1, 1):
        return f"needs strides 1, got {geometry.strides}"
    if any(d != 1 for d, k in zip(geometry.dilation, geometry.kernel, strict=True) if k > 1):
        return f"needs dilation_rate 1, got {geometry.dilation}"
    return None


def _tiles(batch, geometry, axes):
    tiles = tuple(-(-out // axis["m"]) for out, axis in zip(geometry.out_size, axes,
                                                            strict=True))
    return tiles, batch * tiles[0] * tiles[1]


def _chunk_tiles(axes, channels, itemsize):
    """Tiles per chunk: the transformed tiles of a chunk stay in the core's cache."""
    per_tile = axes[0]["alpha"] * axes[1]["alpha"] * channels * itemsize
    return max(16, min(_config.NN_WINOGRAD_CHUNK_TILES, _config.NN_CHUNK_BYTES * 4 // per_tile))


def _kernel_transform(kernel, axes):
    """``U[e, ch, f] = (G_h g G_w^T)[e]``: one product with ``G_h (x) G_w`` over the taps.
    (In the kernel's dtype: G's coefficients rounded to float32 change U by ~1e-7 relative,
    far below the transforms' own rounding, and the product is 3x cheaper than in float64.)
    """
    taps = kernel.shape[0] * kernel.shape[1]
    u = _kron_g(axes[0]["m"], axes[1]["m"], kernel.dtype) @ kernel.reshape(taps, -1)
    return u.reshape(u.shape[0], *kernel.shape[2:])


@functools.cache
def _kron_g(m_h, m_w, dtype):
    """``(G_h (x) G_w)[(k, l), (a, c)] = G_h[k, a] G_w[l, c]``, of ``dtype``."""
    return np.kron(np.asarray(_TRANSFORMS[m_h]["G"]), np.asarray(_TRANSFORMS[m_w]["G"])) \
        .astype(dtype)


def forward(x, kernel, geometry, m=4):
    """Winograd F(m x m, 3 x 3) convolution; see the module's docstring. The cache is the
    transformed kernel, for :func:`backward`."""
    # every product here is small or runs on one of several threads: one BLAS thread each
    with functional._one_blas_thread():
        return _forward(x, kernel, geometry, m)


def backward(x, grad, kernel, geometry, input_grad, cache, m=4):
    """Gradients of :func:`forward`: its exact adjoint; see the module's docstring."""
    with functional._one_blas_thread():
        return _backward(x, grad, kernel, geometry, input_grad, cache, m)


class _Plan(NamedTuple):
    """How a call is cut into tiles and chunks of tiles."""

    axes: tuple
    tiles: tuple          # tiles per image along each axis
    n_tiles: int
    n_elements: int       # transformed elements per tile
    per_chunk: int        # tiles per chunk
    step: tuple           # outputs per tile along each axis
    offset: tuple         # where a tile's input starts, relative to its outputs

    def transforms(self, name):
        return self.axes[0][name], self.axes[1][name]


def _plan(x, geometry, m, channels_per_tile):
    """The :class:`_Plan` of a pass whose chunks hold ``channels_per_tile`` transformed
    channels per tile element, their memory (per thread) checked first."""
    axes = _axes(geometry, m, x.dtype)
    tiles, n_tiles = _tiles(x.shape[0], geometry, axes)
    n_elements = axes[0]["alpha"] * axes[1]["alpha"]
    per_chunk = _chunk_tiles(axes, channels_per_tile, x.itemsize)
    check_allocation("x, kernel", (functional.n_threads(), n_elements, per_chunk,
                                   channels_per_tile), x.dtype, what="the transformed tiles")
    return _Plan(axes, tiles, n_tiles, n_elements, per_chunk, (axes[0]["m"], axes[1]["m"]),
                 (-geometry.pad[0], -geometry.pad[1]))


def _forward(x, kernel, geometry, m):
    if not all_finite(kernel):
        return functional._conv_forward(x, kernel, geometry), None
    batch, channels, filters = x.shape[0], x.shape[3], kernel.shape[3]
    plan = _plan(x, geometry, m, channels + filters)
    _, tiles, n_tiles, n_elements, per_chunk, step, offset = plan
    u = _kernel_transform(kernel, plan.axes)
    out = np.empty((batch, *geometry.out_size, filters), x.dtype)
    bt, at = plan.transforms("BT"), plan.transforms("AT")

    def task(first, last):
        v = np.empty((n_elements, per_chunk, channels), x.dtype)
        y = np.empty((n_elements, per_chunk, filters), x.dtype)
        for t0 in range(first, last, per_chunk):
            t1 = min(last, t0 + per_chunk)
            if not kernels.tile_transform(x, v, t0, t1, tiles, step, offset, *bt):
                return False
            np.matmul(v[:, :t1 - t0], u, out=y[:, :t1 - t0])
            kernels.tile_untransform(y, out, t0, t1, tiles, step, (0, 0), *at, False)
        return True

    macs = n_tiles * n_elements * channels * filters
    parts = functional._split(1, n_tiles, macs, by_image=False)
    if not all(functional._run(parts, task)):
        return functional._conv_forward(x, kernel, geometry), None
    return out, u


def _backward(x, grad, kernel, geometry, input_grad, cache, m):
    if not all_finite(kernel):
        return functional._conv_backward(x, grad, kernel, geometry, input_grad)
    batch, channels, filters = x.shape[0], x.shape[3], kernel.shape[3]
    plan = _plan(x, geometry, m, 2 * channels + filters)
    axes, tiles, n_tiles, n_elements, per_chunk, step, offset = plan
    per_image = tiles[0] * tiles[1]
    u = _kernel_transform(kernel, axes) if cache is None else cache
    u_t = np.ascontiguousarray(u.transpose(0, 2, 1))
    dx = np.zeros(x.shape, x.dtype) if input_grad else None
    bt, a, b = plan.transforms("BT"), plan.transforms("A"), plan.transforms("B")

    def task(first, last):
        v = np.empty((n_elements, per_chunk, channels), x.dtype)
        z = np.empty((n_elements, per_chunk, filters), x.dtype)
        w = np.empty((n_elements, per_chunk, channels), x.dtype) if input_grad else None
        du = np.zeros((n_elements, channels, filters), x.dtype)
        partial = np.empty_like(du)
        for t0 in range(first, last, per_chunk):
            t1 = min(last, t0 + per_chunk)
            n = t1 - t0
            if not (kernels.tile_transform(grad, z, t0, t1, tiles, step, (0, 0), *a)
                    and kernels.tile_transform(x, v, t0, t1, tiles, step, offset, *bt)):
                return None
            np.matmul(v[:, :n].transpose(0, 2, 1), z[:, :n], out=partial)
            du += partial
            if input_grad:
                np.matmul(z[:, :n], u_t, out=w[:, :n])
                kernels.tile_untransform(w, dx, t0, t1, tiles, step, offset, *b, True)
        return du

    macs = n_tiles * n_elements * channels * filters * (2 if input_grad else 1)
    parts = [(first // geometry.out_size[0] * per_image, last // geometry.out_size[0]
              * per_image) for first, last in functional._split(batch, geometry.out_size[0],
                                                                macs, by_image=True)]
    partials = functional._run(parts, task)
    if any(p is None for p in partials):
        return functional._conv_backward(x, grad, kernel, geometry, input_grad)
    du = functools.reduce(np.add, partials)
    dkernel = _kron_g(axes[0]["m"], axes[1]["m"], x.dtype).T @ du.reshape(n_elements, -1)
    return dx, dkernel.reshape(kernel.shape)
