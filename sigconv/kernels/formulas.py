"""Index arithmetic shared by the CPU and CUDA kernels.

Plain Python functions compiled by ``cpu.py`` (numba, inlined) and ``cuda.py`` (CUDA
device functions), so that the twins locate their inputs by the same code. Shapes and
strides come as 1-D int64 arrays (CPU) or as tuples of ints (CUDA: passed by value, so
that a launch copies no bookkeeping to the device); both have ``len`` and indexing.
"""

#: ``boundary`` codes of :func:`boundary_source` (``fill``, ``wrap``, ``symm``)
FILL, WRAP, SYMM = 0, 1, 2


def row_source(o_row, j_row, out_rows, h_rows, x_rows, row_start):
    """The flat row of ``x`` that kernel row ``j_row`` meets at output row ``o_row``, or -1
    when it falls outside ``x``. Rows are multi-indices over the leading convolved axes,
    unravelled on the fly (last axis first) without allocating."""
    rem_out = o_row
    rem_kernel = j_row
    x_row = 0
    stride = 1
    for d in range(len(out_rows) - 1, -1, -1):
        i = rem_out % out_rows[d] + row_start[d] - rem_kernel % h_rows[d]
        rem_out //= out_rows[d]
        rem_kernel //= h_rows[d]
        if i < 0 or i >= x_rows[d]:
            return -1
        x_row += i * stride
        stride *= x_rows[d]
    return x_row


def batch_source(b, batch_shape, input_shape):
    """The flat batch index of an input of batch shape ``input_shape`` (lengths equal to
    ``batch_shape``'s or 1, broadcast) that flat output batch ``b`` reads."""
    rem = b
    source = 0
    stride = 1
    for d in range(len(batch_shape) - 1, -1, -1):
        i = rem % batch_shape[d]
        rem //= batch_shape[d]
        if input_shape[d] != 1:
            source += i * stride
        stride *= input_shape[d]
    return source


def gather_source(j, shape, strides, offset):
    """The flat source index of flat output ``j`` of a C-ordered array of ``shape``
    whose element ``(i_0, ..., i_d)`` is ``source[offset + sum_k i_k strides[k]]``
    (strides in elements, negative for a reversed axis)."""
    rem = j
    source = offset
    for d in range(len(shape) - 1, -1, -1):
        source += (rem % shape[d]) * strides[d]
        rem //= shape[d]
    return source


def boundary_source(i, n, boundary):
    """The index of an axis of length ``n`` that position ``i`` (any integer) of the
    extended axis reads: ``i`` inside; beyond the edges -1 for ``FILL``, ``i mod n`` for
    ``WRAP``, the mirror with the edge repeated for ``SYMM`` (``numpy.pad``'s
    ``symmetric``, period ``2 n``)."""
    if 0 <= i < n:
        return i
    if boundary == FILL:
        return -1
    if boundary == WRAP:
        return i % n
    m = i % (2 * n)
    return m if m < n else 2 * n - 1 - m
