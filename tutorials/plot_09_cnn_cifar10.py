"""
A convolutional network for CIFAR-10
====================================

The lecture's colour-image network: three convolutions, two poolings and two dense
layers on 32x32 RGB images, trained with Adam on the sparse categorical cross-entropy of
the logits (``from_logits=True``), as in TensorFlow's CIFAR-10 tutorial.

The real data set is read from ``cifar-10-python.tar.gz`` when it is on this machine
(:func:`sigconv.datasets.load_cifar10`: the ``path`` argument, ``$SIGCONV_DATA`` or the
cache directory). Where it is not -- as when this page is built offline -- a small
synthetic stand-in in the same layout (:func:`sigconv.datasets.synthetic_cifar10`) takes
its place, so that everything below runs either way.
"""

import os

import numpy as np

from sigconv import datasets, nn, plotting

# the documentation build in CI sets SIGCONV_QUICK_TUTORIALS=1 for shorter training
EPOCHS = 3 if os.environ.get("SIGCONV_QUICK_TUTORIALS") == "1" else 6
print(f"training for {EPOCHS} epochs")

try:
    (x_train, y_train), (x_test, y_test) = datasets.load_cifar10(download=False)
    x_train, y_train = x_train[:5000], y_train[:5000]   # a quick subset for the page
    x_test, y_test = x_test[:1000], y_test[:1000]
    class_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                   "horse", "ship", "truck"]
except FileNotFoundError:
    (x_train, y_train), (x_test, y_test) = datasets.synthetic_cifar10(2000, 500)
    class_names = [f"pattern {k}" for k in range(10)]
print("training images", x_train.shape, x_train.dtype, "labels", y_train.shape)
plotting.show_images(x_train[:16], labels=y_train[:16, 0], class_names=class_names,
                     n_cols=8)

# %%
# Pixel values to [0, 1], then the network of the lecture.

x_train, x_test = x_train / 255.0, x_test / 255.0
nn.set_random_seed(0)   # the initial weights, drawn when summary() builds the model
model = nn.Sequential([
    nn.Input((32, 32, 3)),
    nn.Conv2D(32, (3, 3), activation="relu"),
    nn.MaxPooling2D((2, 2)),
    nn.Conv2D(64, (3, 3), activation="relu"),
    nn.MaxPooling2D((2, 2)),
    nn.Conv2D(64, (3, 3), activation="relu"),
    nn.Flatten(),
    nn.Dense(64, activation="relu"),
    nn.Dense(10),
])
model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.summary()

# %%
# Training, with the test set as validation data, and the accuracy curves.

history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32,
                    validation_data=(x_test, y_test), verbose=0, seed=0)
plotting.plot_history(history)
test_loss, test_accuracy = model.evaluate(x_test, y_test)
print(f"test accuracy after {len(history.epoch)} epochs: {test_accuracy:.3f}")
assert test_accuracy > 0.3   # well above the 0.1 of guessing

# %%
# Predictions: the logits' largest entry is the predicted class.

predicted = model.predict(x_test[:16]).argmax(axis=1)
plotting.show_images(x_test[:16], labels=y_test[:16, 0], predictions=predicted,
                     class_names=class_names, n_cols=8)
print("first predictions:", np.array(class_names)[predicted[:5]])
