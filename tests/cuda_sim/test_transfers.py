"""sigconv._transfers counts every host-device copy numba.cuda makes (simulator or GPU)."""

import numpy as np
from numba import cuda

from sigconv._transfers import count_transfers


@cuda.jit
def _add_one(a):
    i = cuda.grid(1)
    if i < a.shape[0]:
        a[i] += 1


def test_explicit_copies_are_counted_with_their_sizes():
    with count_transfers() as log:
        d = cuda.to_device(np.zeros(4))
        d.copy_to_host()
        d.copy_to_device(np.ones(4, np.float32).astype(np.float64))
    assert (log.to_device, log.to_host, log.nbytes) == (2, 1, 96)
    assert log.shapes("to_device") == [(4,), (4,)]


def test_device_work_and_device_copies_are_not_transfers():
    d = cuda.to_device(np.zeros(8))
    with count_transfers() as log:
        e = cuda.device_array(8)
        e.copy_to_device(d)
        _add_one[1, 8](e)
    assert log.count == 0


def test_a_kernel_launched_on_a_numpy_array_copies_it_both_ways():
    x = np.zeros(5)
    with count_transfers() as log:
        _add_one[1, 8](x)
    assert (log.to_device, log.to_host) == (1, 1)
    np.testing.assert_array_equal(x, 1)


def test_counting_stops_after_the_block():
    with count_transfers() as log:
        pass
    cuda.to_device(np.zeros(3)).copy_to_host()
    assert log.count == 0
