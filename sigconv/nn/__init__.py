"""Convolutional neural networks with backpropagation (``sigconv.nn``).

Keras names and defaults, channels-last data ``(batch, height, width, channels)``, every
layer with its forward and backward pass side by side and every gradient checkable with
:func:`check_gradients`.
"""

from . import (
    activations,
    callbacks,
    datasets,
    functional,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from .activations import ActivationFunction, get_activation
from .callbacks import (
    BackupAndRestore,
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .gradcheck import check_gradients
from .grid import GridResult, grid_search, lecture_digits_cnn
from .initializers import get_initializer
from .layers import (
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Layer,
    LeakyReLU,
    MaxPooling1D,
    MaxPooling2D,
    ReLU,
    Softmax,
    set_random_seed,
)
from .losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    get_loss,
)
from .model import Input, Sequential, load_model
from .optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    get_optimizer,
    schedules,
)
from .regularizers import L1, L1L2, L2, get_regularizer, l1, l1_l2, l2

__all__ = [
    "L1", "L1L2", "L2", "SGD", "Activation", "ActivationFunction", "Adam",
    "AveragePooling1D", "AveragePooling2D", "BatchNormalization", "BinaryCrossentropy",
    "CategoricalCrossentropy", "Conv1D", "Conv2D", "Dense", "Dropout", "Flatten",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "Layer", "LeakyReLU", "Loss", "MaxPooling1D", "MaxPooling2D",
    "MeanSquaredError", "Optimizer", "RMSprop", "ReLU", "Softmax",
    "SparseCategoricalCrossentropy", "activations", "check_gradients", "functional",
    "get_activation", "get_initializer", "get_loss", "get_optimizer", "get_regularizer",
    "initializers", "l1", "l1_l2", "l2", "losses", "optimizers", "regularizers",
    "set_random_seed", "Sequential", "Input", "load_model", "callbacks", "utils", "Callback",
    "EarlyStopping", "History", "ModelCheckpoint", "TerminateOnNaN", "GridResult",
    "grid_search", "lecture_digits_cnn", "datasets", "layers", "metrics", "models",
    "schedules", "AdamW", "Nadam", "Adagrad", "Adadelta", "Adamax", "BackupAndRestore",
    "CallbackList", "CSVLogger", "LambdaCallback", "LearningRateScheduler", "ProgbarLogger",
    "ReduceLROnPlateau",
]
