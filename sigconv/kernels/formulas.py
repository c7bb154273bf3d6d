"""Index arithmetic shared by the CPU and CUDA direct-convolution kernels.

Plain Python functions compiled by ``cpu.py`` (numba, inlined) and ``cuda.py`` (CUDA
device functions), so that the two twins locate their inputs by the same code.
"""


def row_source(o_row, j_row, out_rows, h_rows, x_rows, row_start):
    """The flat row of ``x`` that kernel row ``j_row`` meets at output row ``o_row``, or -1
    when it falls outside ``x``. Rows are multi-indices over the leading convolved axes,
    unravelled on the fly (last axis first) without allocating."""
    rem_out = o_row
    rem_kernel = j_row
    x_row = 0
    stride = 1
    for d in range(out_rows.shape[0] - 1, -1, -1):
        i = rem_out % out_rows[d] + row_start[d] - rem_kernel % h_rows[d]
        rem_out //= out_rows[d]
        rem_kernel //= h_rows[d]
        if i < 0 or i >= x_rows[d]:
            return -1
        x_row += i * stride
        stride *= x_rows[d]
    return x_row
