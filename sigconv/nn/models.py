"""Models, saving and cloning, where Keras keeps them (``sigconv.nn.models``).

``from sigconv.nn import models`` then ``models.Sequential()``, as
``from tensorflow.keras import models`` would: :class:`~sigconv.nn.Sequential` and
:func:`~sigconv.nn.load_model` are the same objects as in :mod:`sigconv.nn`;
:func:`save_model` and :func:`clone_model` are Keras's functions of the same names.
"""

import os

from . import layers as _layers
from .model import Input, Sequential, load_model

__all__ = ["Sequential", "clone_model", "load_model", "save_model"]


def save_model(model, filepath, overwrite=True):
    """Save a model to one file, as ``keras.models.save_model`` (``model.save(filepath)``).

    Parameters
    ----------
    model : Sequential
        The model to save (built: its weights are written).
    filepath : str or os.PathLike
        The file to write; sigconv writes an ``.npz`` archive (see
        :meth:`Sequential.save`), whatever the name ends with.
    overwrite : bool, default True
        Whether an existing file may be replaced.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`Sequential`, ``filepath`` not a path or ``overwrite``
        not a bool (or as :meth:`Sequential.save`).
    FileExistsError
        If ``overwrite=False`` and ``filepath`` exists; nothing is written.
    ValueError, OSError
        As :meth:`Sequential.save`.

    See Also
    --------
    load_model : Reads the file back.

    Notes
    -----
    Keras, given ``overwrite=False`` and an existing file, asks on the terminal whether to
    replace it; sigconv never prompts and raises :class:`FileExistsError` instead. Keras 3
    also requires a ``.keras`` (or ``.h5``) name; sigconv's format is its own and takes any
    name.

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> import numpy as np
    >>> from sigconv.nn import layers, models
    >>> model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> models.save_model(model, path)
    >>> x = np.ones((1, 3), np.float32)
    >>> bool(np.array_equal(models.load_model(path).predict(x), model.predict(x)))
    True
    >>> shutil.rmtree(os.path.dirname(path))
    """
    _check_model(model, "save_model")
    if not isinstance(overwrite, bool):
        raise TypeError(f"save_model: overwrite must be True or False, got {overwrite!r}")
    if isinstance(filepath, (str, bytes, os.PathLike)) and not overwrite \
            and os.path.exists(filepath):
        raise FileExistsError(f"save_model: {os.fsdecode(filepath)!r} exists and "
                              "overwrite=False")
    model.save(filepath)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with new weights, as ``keras.models.clone_model``.

    Each layer is rebuilt from its config (``type(layer).from_config(layer.get_config())``,
    or ``clone_function(layer)``); the weights are drawn afresh by the layers' initializers,
    not copied, and the clone is not compiled.

    Parameters
    ----------
    model : Sequential
        The model whose architecture is copied (it is left as it is).
    input_tensors : Input, optional
        The clone's input (a :class:`~sigconv.nn.Input`, or a list holding one); by default
        the original's input shape, when it is known.
    clone_function : callable, optional
        ``clone_function(layer)`` returns the layer to put in the clone in place of
        ``layer``.

    Returns
    -------
    Sequential
        Same name, layers of the same classes and configs (names included), on the same
        device; built when the input shape is known.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`Sequential`, ``input_tensors`` not an ``Input`` (or a
        list of one), ``clone_function`` not callable, or it returns something that is not
        a layer.

    Notes
    -----
    Keras's ``call_function`` and ``recursive`` apply to functional models, which sigconv
    does not have. Copy the weights with ``clone.set_weights(model.get_weights())``, as in
    Keras.

    Examples
    --------
    >>> from sigconv.nn import layers, models
    >>> model = models.Sequential([layers.Dense(4, input_shape=(3,), activation="relu"),
    ...                            layers.Dense(2)])
    >>> clone = models.clone_model(model)
    >>> [type(layer).__name__ for layer in clone.layers], clone.count_params()
    (['Dense', 'Dense'], 26)
    """
    _check_model(model, "clone_model")
    if clone_function is None:
        clone_function = _clone_layer
    elif not callable(clone_function):
        raise TypeError(f"clone_model: clone_function must be callable as "
                        f"clone_function(layer); got {clone_function!r}")
    if isinstance(input_tensors, (list, tuple)):
        if len(input_tensors) != 1:
            raise TypeError(f"clone_model: input_tensors must be one Input (or a list of "
                            f"one); got a list of {len(input_tensors)}")
        input_tensors = input_tensors[0]
    if input_tensors is not None and not isinstance(input_tensors, Input):
        raise TypeError(f"clone_model: input_tensors must be a sigconv.nn Input (or a list "
                        f"of one); got {type(input_tensors).__name__}")
    shape = model.get_config()["input_shape"]
    if input_tensors is None and shape is not None:
        input_tensors = Input(tuple(shape))
    new_layers = []
    for layer in model.layers:
        new_layer = clone_function(layer)
        if not isinstance(new_layer, _layers.Layer):
            raise TypeError(f"clone_model: clone_function must return a sigconv.nn Layer; "
                            f"for {layer.name!r} it returned {type(new_layer).__name__}")
        new_layers.append(new_layer)
    entries = ([] if input_tensors is None else [input_tensors]) + new_layers
    clone = Sequential(entries, name=model.name, device=model.device)
    if clone.input_shape is not None and clone.layers:
        clone.build()
    return clone


def _clone_layer(layer):
    """The default ``clone_function``: the layer rebuilt from its config, unbuilt."""
    return type(layer).from_config(layer.get_config())


def _check_model(model, function):
    if not isinstance(model, Sequential):
        raise TypeError(f"{function}: model must be a sigconv.nn Sequential; got "
                        f"{type(model).__name__}")
