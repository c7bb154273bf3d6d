"""
A convolutional network for handwritten digits
==============================================

The lecture's first CNN, trained on scikit-learn's 8x8 digits with :mod:`sigconv.nn`, the
Keras-like layer library of sigconv. We

* build the network with :class:`~sigconv.nn.Sequential` and read its
  :meth:`~sigconv.nn.Sequential.summary` -- how few weights a convolution needs compared
  with a dense layer,
* train it with SGD and an L2 penalty, and plot the accuracy curves,
* look at what the first layer learned: its filters and its feature maps,
* and repeat the lecture's grid search over the learning rate and the L2 strength, drawn
  as a heatmap.
"""

import os

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from sigconv import datasets, nn, plotting

# the documentation build in CI sets SIGCONV_QUICK_TUTORIALS=1 for shorter training
QUICK = os.environ.get("SIGCONV_QUICK_TUTORIALS") == "1"
EPOCHS, GRID_EPOCHS = (20, 10) if QUICK else (40, 30)
if QUICK:
    print(f"quick build: {EPOCHS} epochs (40 normally), {GRID_EPOCHS} per grid cell (30)")

# %%
# The data
# --------
# 1797 grey images of 8x8 pixels with values 0..16, one channel: the lecture keeps the
# pixel values as they are. Labels become one-hot rows for the categorical cross-entropy.

images, labels = datasets.load_digits()
print("inputs = (n_inputs, pixel_width, pixel_height, depth) =", images.shape)
x_train, x_test, y_train, y_test = train_test_split(
    images, nn.utils.to_categorical(labels), train_size=0.8, test_size=0.2, random_state=0)
plotting.show_images(images[:16], labels=labels[:16], n_cols=8)

# %%
# The network
# -----------
# ``Conv2D(10, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(50, relu) ->
# Dense(10, softmax)``, each kernel with the penalty ``l2 * sum(w**2)`` (Keras's
# convention), as :func:`sigconv.nn.lecture_digits_cnn` builds it.

nn.set_random_seed(0)   # the initial weights, drawn when summary() builds the model
model = nn.lecture_digits_cnn(learning_rate=0.03, l2=1e-3)
model.summary()

# %%
# The convolution has ``3 * 3 * 1 * 10 + 10 = 100`` weights, whatever the size of the
# image: each filter slides over all of it. The first dense layer needs a weight for
# every pair of input value and unit, ``90 * 50 + 50 = 4550``, and that count grows with
# the image: on 128x128 RGB pictures one dense unit alone would need 49152 weights. This
# sharing of weights is why convolutional networks scale to images.
conv, dense = model.layers[0], model.layers[3]
assert conv.count_params() == 100 and dense.count_params() == 4550

# %%
# Training
# --------
# 40 epochs of mini-batches of 100 (fewer in a quick build), holding out the last 20% of
# the training set for validation (Keras's ``validation_split`` takes the last samples,
# before shuffling).

history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=100, validation_split=0.2,
                    verbose=0, seed=0)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"test accuracy {accuracy:.3f}")
assert accuracy > 0.9
plotting.plot_history(history)

# %%
# What the first layer learned
# ----------------------------
# Ten 3x3 filters, and the ten feature maps they produce for one test digit: the
# network's own edge and stroke detectors, the learned cousins of the hand-made filters
# of the image-filter tutorial.

plotting.show_filters(model.layers[0])
plotting.show_feature_maps(model, x_test[0])
predictions = model.predict(x_test[:16]).argmax(axis=1)
plotting.show_images(x_test[:16], labels=y_test[:16].argmax(axis=1),
                     predictions=predictions, n_cols=8)

# %%
# The lecture's grid search
# -------------------------
# Test accuracy for every pair of learning rate ``eta`` and L2 strength ``lambda``. The
# lecture uses 7x7 values in ``logspace(-5, 1, 7)`` and 100 epochs (``sigconv grid`` runs
# exactly that in about 25 s on two cores); here a 4x4 corner of it with 30 epochs keeps
# the page quick. Too small a learning rate barely moves the weights, too large a one
# diverges; too strong a penalty flattens every weight to zero.

etas = [1e-3, 1e-2, 1e-1, 1.0]
lambdas = [1e-4, 1e-3, 1e-2, 1e-1]
result = nn.grid_search(nn.lecture_digits_cnn, {"learning_rate": etas, "l2": lambdas},
                        x_train, y_train, x_test, y_test, epochs=GRID_EPOCHS, batch_size=100,
                        n_jobs=1, seed=0)
grid, rows, columns = result.pivot("test_accuracy")
fig, ax = plt.subplots(figsize=(6, 5))
plotting.heatmap(grid, rows, columns, title="Test accuracy", xlabel=r"$\lambda$",
                 ylabel=r"$\eta$", ax=ax)
best = result.best()
print(f"best: eta={best['learning_rate']}, lambda={best['l2']}, "
      f"test accuracy {best['test_accuracy']:.3f}")
