"""``model.summary()`` as Keras 3 prints it: the same table, totals and sizes, in plain text.

Keras 3 draws the summary with ``rich``: a table of ``line_length`` characters (88 by
default, at most the terminal's width less 4) whose columns start at the fractions
``positions`` of it (``[0.45, 0.80, 1.0]``), each cell padded by one space on either side,
cells wrapped at spaces and cut with an ellipsis, heavy rules around the header and light
rules between rows. This module reproduces that layout without ``rich``; the numbers under
the table are Keras's: every weight is counted once, sizes in bytes of the weights' dtypes
(``B``, ``KB``, ``MB``, ... in steps of 1024, two decimals), and the optimizer's variables
(its step counter, its learning rate unless a schedule sets it, its slots) once it has
stepped.
"""

import itertools
import math
import numbers
import re
import shutil

import numpy as np

from . import _checks

__all__ = ["format_summary"]

#: Keras 3's default width for a sequence of layers, and its columns' right edges
DEFAULT_LINE_LENGTH = 88
DEFAULT_POSITIONS = (0.45, 0.80, 1.0)

#: rich's HEAVY_HEAD box: (left, fill, between columns, right) for each kind of line
_TOP = ("┏", "━", "┳", "┓")
_HEADER = ("┃", " ", "┃", "┃")
_HEADER_RULE = ("┡", "━", "╇", "┩")
_ROW = ("│", " ", "│", "│")
_ROW_RULE = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")

#: the size of Keras's optimizer step counter (int64 under TensorFlow) and learning rate
#: variable (float32, Keras's floatx), in bytes
_ITERATIONS_BYTES = 8
_LEARNING_RATE_BYTES = 4


def format_summary(model, line_length=None, positions=None, show_trainable=False):
    """The summary of a Sequential model as Keras 3 prints it, as one string.

    Parameters
    ----------
    model : Sequential
        Built here if its input shape is known (as Keras builds a model with an input
        shape); otherwise its layers show ``?`` and ``0 (unbuilt)``, as in Keras.
    line_length : int, optional
        Width of the table in characters. Default: 88, or the terminal's width less 4 if
        that is smaller (80 - 4 = 76 when the output is not a terminal), as Keras 3.
    positions : sequence of float, optional
        Right edge of each column as a fraction of ``line_length``, increasing, the last
        at most 1. Default ``[0.45, 0.80, 1.0]``; with ``show_trainable`` Keras scales
        them by 0.9 and appends 1.0 for the extra column.
    show_trainable : bool, default False
        Add Keras's "Trainable" column: ``Y`` for a trainable layer with weights, ``N``
        for a frozen one (``layer.trainable = False``), ``-`` for a layer without weights
        (and 12 more characters of default width).

    Returns
    -------
    str
        The title, the table and the totals, each line ending with a newline: the text
        that Keras 3 hands to ``summary(print_fn=...)``.

    Raises
    ------
    TypeError
        If ``model`` has no list of layers, ``line_length`` is not an int, ``positions``
        not a sequence of real numbers, or ``show_trainable`` not a bool.
    ValueError
        If ``line_length`` is below 1, ``positions`` has another length than the number of
        columns, is not increasing or ends beyond 1, or a column would be narrower than
        4 characters (Keras's "Insufficient console width to print summary.").

    Notes
    -----
    Column ``k`` gets ``int(positions[k] * line_length) - int(positions[k - 1] *
    line_length)`` characters; rich adds one space of padding on each side and
    ``n_columns + 1`` border characters, then takes the excess over ``line_length``
    back evenly from the columns, left to right (``round(excess * 1 / remaining)`` each,
    rounding half to even). The totals are

    * ``Trainable params``: the weights that training changes (``layer.params`` of the
      trainable layers), with their size in bytes;
    * ``Non-trainable params``: the other weights (BatchNormalization's moving mean and
      variance, a frozen layer's weights);
    * ``Optimizer params`` (only once the optimizer has stepped, as Keras shows it after
      ``fit``): Keras's optimizer variables, i.e. the step counter (int64), the learning
      rate (float32, unless a schedule gives it), every slot array (momenta,
      velocities, ...) of the parameters' dtype, with ``use_ema`` a moving average of
      every trained weight, and Nadam's product of momentum factors (one number);
    * ``Total params``: their sum.

    The layout is Keras's plain-text (non-terminal) output: no colours or bold; Keras's
    rich console also cuts lines that are wider than the terminal, which this string does
    not.

    Examples
    --------
    >>> from sigconv import nn
    >>> model = nn.Sequential([nn.Dense(4, input_shape=(3,), name="dense"),
    ...                        nn.BatchNormalization(name="batch_normalization"),
    ...                        nn.Dense(2, activation="softmax", name="dense_1")])
    >>> print(format_summary(model, line_length=60), end="")
    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
    ┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
    │ dense (Dense)            │ (None, 4)         │        16 │
    ├──────────────────────────┼───────────────────┼───────────┤
    │ batch_normalization      │ (None, 4)         │        16 │
    │ (BatchNormalization)     │                   │           │
    ├──────────────────────────┼───────────────────┼───────────┤
    │ dense_1 (Dense)          │ (None, 2)         │        10 │
    └──────────────────────────┴───────────────────┴───────────┘
     Total params: 42 (168.00 B)
     Trainable params: 34 (136.00 B)
     Non-trainable params: 8 (32.00 B)
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        raise TypeError(f"model must be a Sequential model (with a list of layers); got "
                        f"{type(model).__name__}")
    if line_length is not None:
        line_length = _checks.check_count(line_length, "line_length")
    show_trainable = _checks.check_flag(show_trainable, "show_trainable")
    header = ["Layer (type)", "Output Shape", "Param #"]
    justify = ["left", "left", "right"]
    default_length = DEFAULT_LINE_LENGTH
    positions = _check_positions(positions, len(header) + show_trainable, show_trainable)
    if show_trainable:
        default_length += 12
        header.append("Trainable")
        justify.append("center")
    if line_length is None:
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, positions)

    if not model.built and getattr(model, "input_shape", None) is not None and layers:
        model.build()
    rows = [_layer_fields(layer, shape, show_trainable)
            for layer, shape in zip(layers, _output_shapes(model), strict=True)]
    lines = [f'Model: "{model.name}"', *_table(header, justify, rows, widths)]

    trainable, frozen = _weights(layers)
    optimizer = _optimizer_variables(model, trainable)
    totals = [("Total params", [*trainable, *frozen, *(optimizer or [])]),
              ("Trainable params", trainable), ("Non-trainable params", frozen)]
    if optimizer is not None:
        totals.append(("Optimizer params", optimizer))
    for label, sizes in totals:
        count = sum(size for size, _ in sizes)
        memory = sum(size * itemsize for size, itemsize in sizes)
        lines.append(f" {label}: {count:,} ({readable_memory_size(memory)})")
    return "".join(line + "\n" for line in lines)


def readable_memory_size(size):
    """Bytes as Keras 3 writes them: two decimals and the largest unit (steps of 1024,
    ``B`` to ``PB``) that leaves at least 1.

    Examples
    --------
    >>> readable_memory_size(139304), readable_memory_size(0), readable_memory_size(1023)
    ('136.04 KB', '0.00 B', '1023.00 B')
    """
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


# --- the numbers ------------------------------------------------------------------------

def _check_positions(positions, n_columns, show_trainable):
    """``positions`` (Keras's default if None) as floats for ``n_columns`` columns."""
    if positions is None:
        positions = list(DEFAULT_POSITIONS)
    else:
        if isinstance(positions, (str, bytes)) or not hasattr(positions, "__len__"):
            raise TypeError(f"positions must be a list of fractions of line_length such as "
                            f"{list(DEFAULT_POSITIONS)}; got {positions!r}")
        if not all(isinstance(p, numbers.Real) and not isinstance(p, bool)
                   for p in positions):
            raise TypeError(f"positions must hold real numbers; got {positions!r}")
        positions = [float(p) for p in positions]
        if len(positions) != n_columns - show_trainable:
            raise ValueError(f"positions must give the right edge of each of the "
                             f"{n_columns - show_trainable} columns; got {len(positions)}")
        if not (all(0 < p <= 1 for p in positions)
                and all(a < b for a, b in itertools.pairwise(positions))):
            raise ValueError(f"positions must increase within (0, 1] (fractions of "
                             f"line_length, as Keras 3 reads them); got {positions}")
    if show_trainable:
        positions = [p * 0.9 for p in positions] + [1.0]
    return positions


def _column_widths(line_length, positions):
    """The columns' widths, padding included, as rich lays out Keras's table."""
    requested, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError(f"Insufficient console width to print summary: line_length="
                             f"{line_length} leaves a column {width} characters wide (at "
                             f"least 4)")
        requested.append(width)
        current += width
    # rich: one space of padding on each side of a cell, a border between and around the
    # columns; a table wider than line_length gives the excess back evenly
    available = line_length - (len(positions) + 1)
    widths = [min(width + 2, available) for width in requested]
    excess = sum(widths) - available
    if excess > 0:
        remaining, shares = excess, len(widths)
        for k, width in enumerate(widths):
            taken = min(width, round(remaining / shares))
            widths[k] = width - taken
            remaining -= taken
            shares -= 1
    return widths


def _output_shapes(model):
    """Each layer's output shape, or None where it is not known (an unbuilt layer)."""
    shapes = []
    shape = model.input_shape if model.built else None
    for layer in model.layers:
        if shape is None and layer.built:
            shape = layer.input_shape
        shape = None if shape is None or not layer.built else layer.compute_output_shape(shape)
        shapes.append(shape)
    return shapes


def _layer_fields(layer, shape, show_trainable):
    name = f"{layer.name} ({type(layer).__name__})"
    shape_text = "?" if shape is None else f"({', '.join(str(n) for n in shape)})"
    params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    fields = [name, shape_text, params]
    if show_trainable:
        has_weights = layer.built and len(layer.weights) > 0
        fields.append(("Y" if getattr(layer, "trainable", True) else "N") if has_weights
                      else "-")
    return fields


def _weights(layers):
    """``(trainable, non_trainable)``: ``(size, itemsize)`` of every weight, each counted
    once (a layer's ``params`` are trained unless ``layer.trainable`` is False)."""
    trainable, frozen, seen = [], [], set()
    for layer in layers:
        if not layer.built:
            continue
        trained = {id(value) for value in layer.params.values()} \
            if getattr(layer, "trainable", True) else set()
        for weight in layer.weights:
            if id(weight) in seen:
                continue
            seen.add(id(weight))
            entry = (math.prod(tuple(weight.shape)), np.dtype(weight.dtype).itemsize)
            (trainable if id(weight) in trained else frozen).append(entry)
    return trainable, frozen


def _optimizer_variables(model, trainable):
    """``(size, itemsize)`` of Keras's optimizer variables, or None before the optimizer
    has stepped (Keras prints the line once the optimizer is built, i.e. after fit);
    ``trainable`` the model's trained weights as :func:`_weights` gives them."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(model, "loss", None) is None:
        return None
    variables = getattr(optimizer, "variables", None)
    if isinstance(variables, (list, tuple)):      # an optimizer that lists them as Keras
        if not getattr(optimizer, "built", True) or not variables:
            return None
        return [(math.prod(tuple(np.shape(v))), np.asarray(v).dtype.itemsize)
                for v in variables]
    if not getattr(optimizer, "iterations", 0):
        return None
    sizes = [(1, _ITERATIONS_BYTES)]
    # a float learning rate is a variable in Keras; a schedule is not
    if getattr(optimizer, "learning_rate_schedule", None) is None:
        sizes.append((1, _LEARNING_RATE_BYTES))
    for slots in getattr(optimizer, "slots", {}).values():
        sizes.extend((math.prod(tuple(slot.shape)), np.dtype(slot.dtype).itemsize)
                     for slot in slots.values())
    if getattr(optimizer, "use_ema", False):      # Keras's "average" of every weight
        sizes.extend(trainable)
    if hasattr(optimizer, "u_product"):
        # Nadam's running product of the momentum factors: one more variable in Keras,
        # of the first weight's dtype
        sizes.append((1, trainable[0][1] if trainable else _LEARNING_RATE_BYTES))
    return sizes


# --- the table --------------------------------------------------------------------------

def _table(header, justify, rows, widths):
    """The lines of rich's table (HEAVY_HEAD box, lines between rows)."""
    def rule(box):
        left, fill, between, right = box
        return left + between.join(fill * width for width in widths) + right

    def cells(fields, box, bottom=False):
        left, _, between, right = box
        columns = [_wrap(text, width - 2, how) for text, width, how
                   in zip(fields, widths, justify, strict=True)]
        height = max(len(column) for column in columns)
        # the header's cells sit at the bottom of their row, the others at the top
        columns = [[" " * (width - 2)] * (height - len(column)) + column if bottom
                   else column + [" " * (width - 2)] * (height - len(column))
                   for column, width in zip(columns, widths, strict=True)]
        return [left + between.join(" " + column[k] + " " for column in columns) + right
                for k in range(height)]

    lines = [rule(_TOP), *cells(header, _HEADER, bottom=True), rule(_HEADER_RULE)]
    for k, fields in enumerate(rows):
        if k:
            lines.append(rule(_ROW_RULE))
        lines.extend(cells(fields, _ROW))
    lines.append(rule(_BOTTOM))
    return lines


_WORD = re.compile(r"\s*\S+\s*")


def _wrap(text, width, justify):
    """``text`` as rich wraps a cell: words (with their trailing spaces) moved to the
    next line when they do not fit, a word longer than the line cut with an ellipsis,
    each line justified to ``width`` characters."""
    if width < 1:
        return [""]
    breaks, offset = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:           # on a line of its own, cut below
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(text)]
    lines = []
    for begin, end in itertools.pairwise(bounds):
        line = text[begin:end]
        if len(line) > width:           # trailing spaces beyond the width go
            spaces = len(line) - len(line.rstrip())
            line = line[:len(line) - min(spaces, len(line) - width)]
        if justify != "left":
            line = line.rstrip()
        if len(line) > width:
            line = line[:width - 1] + "…"
        if justify == "right":
            line = line.rjust(width)
        elif justify == "center":
            line = " " * ((width - len(line)) // 2) + line
            line = line.ljust(width)
        else:
            line = line.ljust(width)
        lines.append(line)
    return lines or [" " * width]
