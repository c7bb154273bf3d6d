"""Convolutional neural networks with backpropagation (``sigconv.nn``).

Keras names and defaults, channels-last data ``(batch, height, width, channels)``, every
layer with its forward and backward pass side by side and every gradient checkable with
:func:`check_gradients`.
"""

from .._lazy import attach

# Every name loads with its submodule on first use (PEP 562): ``import sigconv.nn`` imports
# neither numba nor the layers, and ``nn.Dense`` imports what a dense layer needs.
_NAMES = {
    **dict.fromkeys(["ActivationFunction", "get_activation"], "activations"),
    **dict.fromkeys(["BackupAndRestore", "Callback", "CallbackList", "CSVLogger",
                     "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
                     "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau",
                     "TerminateOnNaN"],
                    "callbacks"),
    **dict.fromkeys(["check_gradients"], "gradcheck"),
    **dict.fromkeys(["GridResult", "grid_search", "lecture_digits_cnn"], "grid"),
    **dict.fromkeys(["get_initializer"], "initializers"),
    **dict.fromkeys(["Activation", "AveragePooling1D", "AveragePooling2D",
                     "BatchNormalization", "Conv1D", "Conv2D", "Dense", "Dropout",
                     "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                     "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Layer", "LeakyReLU",
                     "MaxPooling1D", "MaxPooling2D", "ReLU", "Softmax", "set_random_seed"],
                    "layers"),
    **dict.fromkeys(["BinaryCrossentropy", "CategoricalCrossentropy", "Loss",
                     "MeanSquaredError", "SparseCategoricalCrossentropy", "get_loss"],
                    "losses"),
    **dict.fromkeys(["Input", "Sequential", "load_model"], "model"),
    **dict.fromkeys(["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "Nadam",
                     "Optimizer", "RMSprop", "get_optimizer"],
                    "optimizers"),
    **dict.fromkeys(["L1", "L1L2", "L2", "get_regularizer", "l1", "l1_l2", "l2"],
                    "regularizers"),
}
_SUBMODULES = ["activations", "callbacks", "datasets", "functional", "gradcheck", "grid",
               "initializers", "kernels", "layers", "losses", "metrics", "model", "models",
               "optimizers", "regularizers", "schedules", "utils"]
__getattr__, __dir__ = attach(__name__, _SUBMODULES, _NAMES)

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
