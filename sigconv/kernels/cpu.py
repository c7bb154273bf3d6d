"""CPU kernels for direct convolution (numba, serial and ``prange``-parallel).

Layout shared by the kernels
----------------------------
The dispatcher brings every problem to one shape: the convolved axes are moved last, the
batch (broadcast) axes are flattened first, and the convolved axes other than the last
("row" axes) are flattened into one. So

* ``x`` has shape ``(Bx, Rx, n)``, ``h`` has shape ``(Bh, Rh, k)``;
* ``out`` has shape ``(B, Ro, m)``;
* ``x_batch[b]`` / ``h_batch[b]`` give the input batch entry of output batch entry ``b``
  (this is how broadcasting over batch axes is expressed without copies);
* ``x_rows``, ``h_rows``, ``out_rows`` are the shapes of the row axes and ``row_start`` /
  ``col_start`` the index, in the *full* convolution, of ``out[:, 0, 0]`` (this is how the
  modes "full", "same" and "valid" select their window).

The full convolution is ``y[F, f] = sum_{J, j} h[J, j] x[F - J, f - j]`` over row
multi-indices ``F, J`` and the last axis ``f, j``. Work is split into tasks of one output
row and one block of ``block`` outputs along the last axis; a task owns its writes, so the
parallel loop needs no atomics. Inside a task the accumulator block stays in L1 while each
kernel tap streams over it (``acc[t] += h[j] * x[f0 + t - j]``): the inner loop is
contiguous, branch-free and vectorised by LLVM. Blocks that touch the edges of ``x`` clip
each tap's loop bounds instead of testing inside the loop, so no index is ever out of
bounds.
"""

import numpy as np
from numba import prange

from .._jit import jit, twins
from . import formulas


@jit(inline="always")
def _accumulate_interior(acc, x, h, f0):
    """``acc[t] += sum_j h[j] x[f0 + t - j]`` where every index is known to be valid.

    Four taps per sweep over ``acc`` quarter the loads and stores of the accumulator;
    the remainder of ``k / 4`` takes one more sweep.
    """
    k = h.shape[0]
    length = acc.shape[0]
    j = 0
    while j + 4 <= k:
        h0 = h[j]
        h1 = h[j + 1]
        h2 = h[j + 2]
        h3 = h[j + 3]
        # indexing a view from 0 lets LLVM drop numba's negative-index wraparound,
        # which is what allows the loop to vectorise
        start = f0 - j - 3
        xs = x[start:start + length + 3]
        for t in range(length):
            acc[t] += h0 * xs[t + 3] + h1 * xs[t + 2] + h2 * xs[t + 1] + h3 * xs[t]
        j += 4
    # the last k % 4 taps in one sweep too (a 3-tap kernel touches acc once)
    remaining = k - j
    if remaining == 3:
        h0 = h[j]
        h1 = h[j + 1]
        h2 = h[j + 2]
        start = f0 - j - 2
        xs = x[start:start + length + 2]
        for t in range(length):
            acc[t] += h0 * xs[t + 2] + h1 * xs[t + 1] + h2 * xs[t]
    elif remaining == 2:
        h0 = h[j]
        h1 = h[j + 1]
        start = f0 - j - 1
        xs = x[start:start + length + 1]
        for t in range(length):
            acc[t] += h0 * xs[t + 1] + h1 * xs[t]
    elif remaining == 1:
        h0 = h[j]
        xs = x[f0 - j:f0 - j + length]
        for t in range(length):
            acc[t] += h0 * xs[t]


@jit(inline="always")
def _accumulate_edges(acc, x, h, f0):
    """Same sum as :func:`_accumulate_interior`, each tap's range clipped to ``x``."""
    n = x.shape[0]
    k = h.shape[0]
    length = acc.shape[0]
    for j in range(k):
        hj = h[j]
        # valid t: 0 <= f0 + t - j < n
        t_lo = max(0, j - f0)
        t_hi = min(length, n + j - f0)
        if t_lo < t_hi:
            xs = x[f0 - j + t_lo:f0 - j + t_hi]
            part = acc[t_lo:t_hi]
            for t in range(t_hi - t_lo):
                part[t] += hj * xs[t]


@jit(inline="always")
def _accumulate_row(acc, x, h, f0):
    """``acc[t] += (x * h)[f0 + t]`` (1-D full convolution) for one block."""
    if f0 >= h.shape[0] - 1 and f0 + acc.shape[0] <= x.shape[0]:
        _accumulate_interior(acc, x, h, f0)
    else:
        _accumulate_edges(acc, x, h, f0)


_row_source = jit(inline="always")(formulas.row_source)


@jit(inline="always")
def _any_nonfinite(acc):
    """Whether ``acc`` holds an inf or NaN: ``v - v`` is 0 for a finite ``v`` and NaN
    otherwise. A count over the block (in L1 just after its sums) that LLVM vectorises
    (faster than an OR of booleans), so the caller needs no pass over the output; always
    False for integers."""
    count = 0
    for t in range(acc.shape[0]):
        v = acc[t]
        count += (v - v) != 0
    return count != 0


@jit
def all_finite(x):
    """True if the 1-D array ``x`` holds no inf or NaN: one vectorised pass, no
    temporary (a NumPy mask would be of its size), no BLAS threads."""
    return not _any_nonfinite(x)


@jit
def max_abs_bits(bits, mask):
    """The largest ``bits[i] & mask`` of a non-empty integer view of real floats, with
    ``mask`` clearing the sign bit: the bits of ``max |x|`` (NaN if there is one, its
    patterns being above inf's). An integer maximum, which LLVM vectorises."""
    largest = bits[0] & mask
    for i in range(1, bits.shape[0]):
        largest = max(largest, bits[i] & mask)
    return largest


@jit(inline="always")
def _direct_task(task, x, h, out, x_batch, h_batch, x_rows, h_rows, out_rows,
                 row_start, col_start, block):
    """Compute one output block: row ``task // n_blocks``, block ``task % n_blocks``;
    True if it holds an inf or NaN."""
    m = out.shape[2]
    n_blocks = (m + block - 1) // block
    flat_row = task // n_blocks
    t0 = (task % n_blocks) * block
    t1 = min(m, t0 + block)
    b = flat_row // out.shape[1]
    o_row = flat_row % out.shape[1]
    xb = x_batch[b]
    hb = h_batch[b]
    acc = out[b, o_row][t0:t1]
    acc[:] = 0
    for j_row in range(h.shape[1]):
        # x row = full output row - kernel row, skipped when outside x
        x_row = _row_source(o_row, j_row, out_rows, h_rows, x_rows, row_start)
        if x_row >= 0:
            _accumulate_row(acc, x[xb, x_row], h[hb, j_row], col_start + t0)
    return _any_nonfinite(acc)


def _direct_nd(x, h, out, x_batch, h_batch, x_rows, h_rows, out_rows, row_start,
               col_start, block):
    """Direct N-D convolution into ``out``, one task per output block.

    Returns True if every output is finite (each task flags its own block, a reduction
    over the tasks). Compiled twice, as :data:`direct_nd_serial` (the calling thread,
    small problems) and :data:`direct_nd_parallel` (tasks spread over numba's threads)."""
    n_tasks = out.shape[0] * out.shape[1] * ((out.shape[2] + block - 1) // block)
    bad = 0
    for task in prange(n_tasks):
        bad += _direct_task(task, x, h, out, x_batch, h_batch, x_rows, h_rows,
                            out_rows, row_start, col_start, block)
    return bad == 0


direct_nd_serial, direct_nd_parallel = twins(_direct_nd)


@jit
def direct_1d_serial(x, h, out, col_start, block):
    """1-D direct convolution into ``out`` (``out[t] = (x * h)[col_start + t]``).

    The same blocks as :func:`direct_nd_serial` without the batch and row bookkeeping,
    for the small 1-D calls whose cost is mostly the call itself. Returns True if every
    output is finite.
    """
    m = out.shape[0]
    bad = False
    for t0 in range(0, m, block):
        acc = out[t0:min(m, t0 + block)]
        acc[:] = 0
        _accumulate_row(acc, x, h, col_start + t0)
        bad |= _any_nonfinite(acc)
    return not bad


# --------------------------------------------------------------------------------------
# Fourier series
# --------------------------------------------------------------------------------------
#: harmonics between two exact re-seeds of the angle-addition recurrence
_RESEED = 64


@jit(parallel=True)
def fourier_synthesis(t, f, g, omega, out, block):
    """``out[i] = f[0]/2 + sum_n f[n] cos(n w t_i) + g[n] sin(n w t_i)``.

    Parallel over blocks of ``t``; inside a block the harmonics advance by the angle
    addition recurrence ``cos((n+1)x) = cos(nx) cos(x) - sin(nx) sin(x)`` (and its sine
    twin), vectorised across the block: no trigonometric call per term and no
    ``points x harmonics`` temporary. Every ``_RESEED`` harmonics the recurrence restarts
    from exact values, so rounding does not grow with the number of terms.
    """
    n_points = t.shape[0]
    n_terms = f.shape[0]
    n_blocks = (n_points + block - 1) // block
    for b in prange(n_blocks):
        i0 = b * block
        i1 = min(n_points, i0 + block)
        length = i1 - i0
        c1 = np.empty(length)
        s1 = np.empty(length)
        c = np.empty(length)
        s = np.empty(length)
        acc = np.empty(length)
        for i in range(length):
            x = omega * t[i0 + i]
            c1[i] = np.cos(x)
            s1[i] = np.sin(x)
            acc[i] = 0.5 * f[0]
        for n in range(1, n_terms):
            fn = f[n]
            gn = g[n]
            if (n - 1) % _RESEED == 0:
                for i in range(length):
                    x = n * omega * t[i0 + i]
                    c[i] = np.cos(x)
                    s[i] = np.sin(x)
                    acc[i] += fn * c[i] + gn * s[i]
            else:
                # one sweep: advance the harmonic and accumulate it
                for i in range(length):
                    cn = c[i] * c1[i] - s[i] * s1[i]
                    sn = s[i] * c1[i] + c[i] * s1[i]
                    c[i] = cn
                    s[i] = sn
                    acc[i] += fn * cn + gn * sn
        out[i0:i1] = acc


@jit(parallel=True)
def fourier_projection(samples, t0, step, omega, f, g):
    """Quadrature of ``(2/T) int F(t) {cos, sin}(n w t) dt`` on a uniform periodic grid.

    ``samples[k] = F(t0 + k step)`` over one period (``len * step = T``); the rectangle
    rule, exact for trigonometric polynomials of degree below ``len / 2``. Parallel over
    harmonics ``n``; along the samples the angle advances by recurrence, re-seeded every
    ``_RESEED`` samples.
    """
    n_samples = samples.shape[0]
    scale = 2.0 / n_samples
    for n in prange(f.shape[0]):
        delta = n * omega * step
        cd = np.cos(delta)
        sd = np.sin(delta)
        sum_c = 0.0
        sum_s = 0.0
        c = 0.0
        s = 0.0
        for k in range(n_samples):
            if k % _RESEED == 0:
                x = n * omega * (t0 + k * step)
                c = np.cos(x)
                s = np.sin(x)
            else:
                cn = c * cd - s * sd
                s = s * cd + c * sd
                c = cn
            sum_c += samples[k] * c
            sum_s += samples[k] * s
        f[n] = scale * sum_c
        g[n] = scale * sum_s
