"""Numba kernels of Winograd's minimal filtering F(m, 3) for the convolution layers.

A convolution with a 3-tap kernel computes ``m`` outputs of a tile from ``alpha = m + 2``
inputs with ``alpha`` multiplications instead of ``3 m`` (Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", 2016)::

    y = A^T [(G g) * (B^T d)]                  (one axis)
    Y = A^T [(G g G^T) * (B^T d B)] A          (two axes)

Over the channels the elementwise product becomes one matrix product per transformed tile
element ``e``: ``M[e] = V[e] @ U[e]`` with ``V[e, tile, ch]`` the transformed input and
``U[e, ch, f]`` the transformed kernel. The kernels here do the two-axis transforms of tiles,
the host driver (:mod:`sigconv.nn._conv_winograd`) the matrix products with BLAS.

A transform matrix is stored sparsely as rows of ``(index, coefficient)`` pairs (row ``i``
spans ``starts[i]:starts[i + 1]``), so the zeros of ``B^T`` and ``A^T`` cost nothing; the
innermost loop runs over channels (contiguous in the channels-last layout) and vectorizes.

Tiles are numbered ``t = (b * tiles_h + th) * tiles_w + tw``. Tile ``(th, tw)`` of image ``b``
sits at ``(th * step_h + offset_h, tw * step_w + offset_w)`` of the array it is read from or
written to; positions outside that array read as zeros and are never written, so no index
leaves its array.
"""

import numpy as np

from ..._jit import jit


@jit(inline="always")
def _apply(matrix, src, src_base, src_stride, dst, dst_base, dst_stride, n_channels):
    """Rows ``i`` of ``dst = matrix @ src`` on flat arrays: row ``k`` of ``src`` is
    ``src[src_base + k * src_stride:][:n_channels]``, row ``i`` of ``dst`` likewise."""
    starts, index, coef = matrix
    n = np.uint64(n_channels)
    for i in range(starts.shape[0] - 1):
        d = np.uint64(dst_base + i * dst_stride)
        for c in range(n):
            dst[d + c] = 0
        for q in range(starts[i], starts[i + 1]):
            s = np.uint64(src_base + index[q] * src_stride)
            w = coef[q]
            for c in range(n):
                dst[d + c] += w * src[s + c]


@jit(inline="always")
def _tile_origin(t, tiles, step, offset):
    """Image and top-left position of tile ``t``."""
    per_image = tiles[0] * tiles[1]
    b = t // per_image
    rest = t - b * per_image
    th = rest // tiles[1]
    tw = rest - th * tiles[1]
    return b, th * step[0] + offset[0], tw * step[1] + offset[1]


@jit
def tile_transform(x, out, t0, t1, tiles, step, offset, mat_h, mat_w):
    """``out[e, t - t0, :] = (M_h d M_w^T)[e]`` for the tile ``d`` of ``x`` of each tile ``t``
    in ``[t0, t1)``, ``e = i * rows_w + l``.

    ``x`` has shape (batch, height, width, channels); the tile read has as many rows as
    ``mat_h`` has columns, as many columns as ``mat_w`` has. Returns False when a value read
    is not finite (the caller then computes the convolution another way, so that NaN and
    inf act as they do in a direct convolution instead of spreading over whole tiles).
    """
    batch, height, width, channels = x.shape
    n_in_h = mat_h[1].max() + 1
    n_in_w = mat_w[1].max() + 1
    rows_h = mat_h[0].shape[0] - 1
    rows_w = mat_w[0].shape[0] - 1
    per_chunk = out.shape[1]
    xf = x.reshape(-1)
    of = out.reshape(-1)
    d = np.empty(n_in_h * n_in_w * channels, x.dtype)
    half = np.empty(rows_h * n_in_w * channels, x.dtype)
    # v - v is 0 for finite v, NaN otherwise; one sum per channel keeps the loop vectorized
    check = np.zeros(channels, x.dtype)
    n = np.uint64(channels)
    for t in range(t0, t1):
        b, h0, w0 = _tile_origin(t, tiles, step, offset)
        for k in range(n_in_h):
            h = h0 + k
            for j in range(n_in_w):
                w = w0 + j
                dst = np.uint64((k * n_in_w + j) * channels)
                if 0 <= h < height and 0 <= w < width:
                    src = np.uint64(((b * height + h) * width + w) * channels)
                    for c in range(n):
                        v = xf[src + c]
                        d[dst + c] = v
                        check[c] += v - v
                else:
                    for c in range(n):
                        d[dst + c] = 0
        # along the height: rows of the tile are contiguous, one pass over all columns
        _apply(mat_h, d, 0, n_in_w * channels, half, 0, n_in_w * channels,
               n_in_w * channels)
        for i in range(rows_h):                      # along the width
            _apply(mat_w, half, i * n_in_w * channels, channels, of,
                   (i * rows_w * per_chunk + t - t0) * channels, per_chunk * channels,
                   channels)
    return check.sum() == 0


@jit
def tile_untransform(src, y, t0, t1, tiles, step, offset, mat_h, mat_w, accumulate):
    """The way back: tile ``t`` of ``y`` gets ``M_h S M_w^T`` of ``S = src[:, t - t0, :]``
    (``e = k * cols_w + l`` indexes ``S[k, l]``); added to ``y`` when ``accumulate`` (tiles
    that overlap), else written; positions outside ``y`` are dropped.
    """
    batch, height, width, channels = y.shape
    rows_h = mat_h[0].shape[0] - 1
    rows_w = mat_w[0].shape[0] - 1
    cols_w = mat_w[1].max() + 1
    per_chunk = src.shape[1]
    sf = src.reshape(-1)
    yf = y.reshape(-1)
    n_src = src.shape[0]
    local = np.empty(n_src * channels, y.dtype)
    half = np.empty(rows_h * cols_w * channels, y.dtype)
    tile = np.empty(rows_w * channels, y.dtype)
    n = np.uint64(channels)
    for t in range(t0, t1):
        b, h0, w0 = _tile_origin(t, tiles, step, offset)
        # the tile's elements side by side, so that its rows are contiguous
        for e in range(n_src):
            s = np.uint64((e * per_chunk + t - t0) * channels)
            dst = np.uint64(e * channels)
            for c in range(n):
                local[dst + c] = sf[s + c]
        _apply(mat_h, local, 0, cols_w * channels, half, 0, cols_w * channels,
               cols_w * channels)                    # along the height
        for i in range(rows_h):                      # along the width
            h = h0 + i
            if h < 0 or h >= height:
                continue
            _apply(mat_w, half, i * cols_w * channels, channels, tile, 0, channels, channels)
            for j in range(rows_w):
                w = w0 + j
                if 0 <= w < width:
                    dst = np.uint64(((b * height + h) * width + w) * channels)
                    src = np.uint64(j * channels)
                    if accumulate:
                        for c in range(n):
                            yf[dst + c] += tile[src + c]
                    else:
                        for c in range(n):
                            yf[dst + c] = tile[src + c]
