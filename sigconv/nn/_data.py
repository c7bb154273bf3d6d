"""The data that :meth:`Sequential.fit`, ``evaluate`` and ``predict`` take, as batches.

Keras 3's three kinds of input, one class each, all yielding ``(x, y, sample_weight)``
batches (``y`` and ``sample_weight`` may be None):

- :class:`ArrayData`: NumPy arrays, cut into batches of ``batch_size`` (shuffled once per
  pass over the data when asked);
- :class:`SequenceData`: an object with ``__len__`` and ``__getitem__`` returning one batch
  (Keras's ``PyDataset``/``Sequence``): its ``on_epoch_end`` is called after each pass;
- :class:`IterableData`: any other iterable of batches (a generator, a list of tuples), whose
  length is found by running out.

:class:`EpochIterator` then gives each epoch its batches, as Keras's does: without
``steps_per_epoch`` every epoch is one pass over the data; with it, an epoch is that many
batches taken from one iterator that continues across epochs and starts again (a new
shuffle) when the data runs out; data that runs out before ``steps_per_epoch`` batches ends
the epoch early with a warning, as in Keras.
"""

import warnings

import numpy as np

from . import _checks


def unpack(batch, where):
    """``(x, y, sample_weight)`` of one batch given as ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (Keras's ``unpack_x_y_sample_weight``)."""
    if isinstance(batch, tuple):
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"{where} must be x, (x,), (x, y) or (x, y, sample_weight); got "
                             f"a tuple of {len(batch)} entries")
        return (*batch, None, None)[:3]
    if isinstance(batch, list) and len(batch) in (2, 3) and not _all_numbers(batch):
        return (*batch, None)[:3]
    return batch, None, None


def _all_numbers(items):
    return all(isinstance(item, (int, float, np.number)) for item in items)


def is_array_like(value):
    """Whether ``value`` is array data (NumPy, a list of numbers, a device array) rather
    than a source of batches."""
    if isinstance(value, np.ndarray) or _checks.on_device(value):
        return True
    if isinstance(value, (list, tuple)):
        return True
    return hasattr(value, "__array__") or hasattr(value, "__array_interface__")


def is_sequence(value):
    """A Keras ``PyDataset``-like object: ``len()`` and batches by index."""
    return (not is_array_like(value) and hasattr(value, "__len__")
            and hasattr(value, "__getitem__"))


class ArrayData:
    """Batches of checked arrays ``x``, ``y``, ``sample_weight`` (``y``/weights may be
    None); ``rng`` shuffles each pass when ``shuffle``."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle=False, rng=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.shuffle, self.rng = batch_size, shuffle, rng
        self.num_batches = -(-len(x) // batch_size)

    def __iter__(self):
        n, size = len(self.x), self.batch_size
        order = self.rng.permutation(n) if self.shuffle else None
        for start in range(0, n, size):
            stop = min(n, start + size)
            index = slice(start, stop) if order is None else order[start:stop]
            yield (self.x[index], None if self.y is None else self.y[index],
                   None if self.sample_weight is None else self.sample_weight[index])

    def end_of_pass(self):
        pass


class SequenceData:
    """Batches ``data[0]``, ..., ``data[len(data) - 1]`` of a ``PyDataset``-like object,
    in a shuffled order of the batches when ``shuffle`` (as Keras's adapter does)."""

    def __init__(self, data, shuffle=False, rng=None):
        self.data, self.shuffle, self.rng = data, shuffle, rng
        length = len(data)
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"x: len() of a batch sequence must be an int >= 0; got "
                             f"{length!r}")
        self.num_batches = int(length)

    def __iter__(self):
        count = len(self.data)
        order = self.rng.permutation(count) if self.shuffle else range(count)
        for index in order:
            yield unpack(self.data[int(index)], f"x[{int(index)}] (a batch)")

    def end_of_pass(self):
        end = getattr(self.data, "on_epoch_end", None)
        if callable(end):
            end()


class IterableData:
    """Batches of any other iterable; ``iter(data)`` starts each pass (a generator object
    gives its batches once)."""

    num_batches = None

    def __init__(self, data):
        self.data = data

    def __iter__(self):
        for k, batch in enumerate(self.data):
            yield unpack(batch, f"x's batch {k}")

    def end_of_pass(self):
        pass


class EpochIterator:
    """The batches of each epoch (see the module's docstring).

    ``epoch_batches()`` returns an iterator over ``(step, batch)`` for one epoch;
    ``num_batches`` is ``steps_per_epoch``, or the data's number of batches (None while an
    iterable's length is unknown).
    """

    def __init__(self, data, steps_per_epoch=None):
        self.data, self.steps_per_epoch = data, steps_per_epoch
        self._known = data.num_batches
        self._iterator = None
        self._seen = 0

    @property
    def num_batches(self):
        return self.steps_per_epoch or self._known

    def _restart(self):
        self._iterator, self._seen = iter(self.data), 0

    def epoch_batches(self):
        if self.steps_per_epoch is None:
            self._restart()
            step = 0
            for batch in self._iterator:
                yield step, batch
                step += 1
            self._known = step
            self._iterator = None
            self.data.end_of_pass()
            return
        if self._iterator is None:
            self._restart()
        for step in range(self.steps_per_epoch):
            if self._known is not None and self._seen >= self._known:
                self._ran_out()
                break
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._known = self._seen
                self._ran_out()
                break
            self._seen += 1
            yield step, batch
        if self._known is not None and self._seen >= self._known:
            self.data.end_of_pass()
            self._restart()

    @staticmethod
    def _ran_out():
        warnings.warn("x ran out of data before steps_per_epoch batches; the epoch ends "
                      "early (as in Keras: make sure the data gives at least "
                      "steps_per_epoch * epochs batches)", UserWarning, stacklevel=4)
