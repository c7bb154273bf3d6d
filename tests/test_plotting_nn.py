"""The neural-network figures draw the data they are given (checked on the artists, Agg)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sigconv import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _image_data(ax):
    (image,) = ax.images
    return np.asarray(image.get_array())


# --- heatmap ------------------------------------------------------------------------------

def test_heatmap_annotations_ticks_and_image_are_the_grid():
    grid = np.array([[0.912, 0.8765, np.nan], [0.5, 0.25, 0.0625]])
    ax = plotting.heatmap(grid, row_labels=[1e-3, 0.01], col_labels=[0, 1e-5, 1e-4],
                          fmt=".2f", title="test accuracy", xlabel="L2 lambda",
                          ylabel="learning rate")
    texts = [(text.get_position(), text.get_text()) for text in ax.texts]
    expected = [((j, i), "nan" if np.isnan(v) else format(v, ".2f"))
                for (i, j), v in np.ndenumerate(grid)]
    assert texts == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1e-05", "0.0001"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.01"]
    np.testing.assert_array_equal(ax.get_xticks(), [0, 1, 2])
    np.testing.assert_array_equal(ax.get_yticks(), [0, 1])
    image = ax.images[0].get_array()
    np.testing.assert_array_equal(image.mask, np.isnan(grid))  # the NaN cell is blank
    np.testing.assert_array_equal(image.filled(np.nan), grid)
    assert ax.images[0].get_clim() == (0.0625, 0.912)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "test accuracy", "L2 lambda", "learning rate")
    assert len(ax.figure.axes) == 2  # the heatmap and its colorbar


def test_heatmap_text_contrasts_with_the_cell():
    ax = plotting.heatmap([[0.0, 1.0]], ["a"], ["low", "high"])  # viridis: purple, yellow
    assert [t.get_color() for t in ax.texts] == ["white", "black"]
    ax = plotting.heatmap([[0.0, 1.0]], ["a"], ["low", "high"], cmap="gray")
    assert [t.get_color() for t in ax.texts] == ["white", "black"]
    ax = plotting.heatmap([[0.0, 1.0]], ["a"], ["low", "high"], cmap="gray_r")
    assert [t.get_color() for t in ax.texts] == ["black", "white"]


def test_heatmap_on_given_axes_with_limits_and_integer_format():
    fig, ax = plt.subplots()
    grid = np.array([[3, 14], [15, 92]])
    assert plotting.heatmap(grid, [1, 2], ["x", "y"], ax=ax, fmt="d", vmin=0, vmax=100) is ax
    assert [t.get_text() for t in ax.texts] == ["3", "14", "15", "92"]
    assert ax.images[0].get_clim() == (0, 100)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]


@pytest.mark.parametrize("grid", [[1.0, 2.0], np.ones((2, 2, 2))])
def test_heatmap_rejects_grids_that_are_not_2d(grid):
    with pytest.raises(ValueError, match="grid must be 2-D"):
        plotting.heatmap(grid, [1, 2], [1, 2])


def test_heatmap_rejects_bad_labels_and_formats():
    grid = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"row_labels must have one label per row .*\(2\), got 3"):
        plotting.heatmap(grid, [1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match=r"col_labels must have one label per column .*\(3\)"):
        plotting.heatmap(grid, [1, 2], [1, 2])
    with pytest.raises(TypeError, match="row_labels must be a sequence"):
        plotting.heatmap(grid, 5, [1, 2, 3])
    with pytest.raises(ValueError, match="fmt 'd' is not a valid format spec"):
        plotting.heatmap(grid, [1, 2], [1, 2, 3], fmt="d")
    with pytest.raises(TypeError, match="grid must have a boolean, integer"):
        plotting.heatmap([["a", "b"]], [1], [1, 2])
    with pytest.raises(ValueError, match="grid cannot be empty"):
        plotting.heatmap(np.zeros((0, 2)), [], [1, 2])


# --- plot_history -------------------------------------------------------------------------

class _History:
    """What Keras's ``fit`` returns: the per-epoch logs in ``.history``."""

    def __init__(self, history):
        self.history = history


HISTORY = {"loss": [0.9, 0.5, 0.4, 0.35], "accuracy": [0.6, 0.8, 0.85, 0.9],
           "val_loss": [1.0, 0.7, 0.6, 0.65], "val_accuracy": [0.55, 0.7, 0.75, 0.74]}


@pytest.mark.parametrize("history", [HISTORY, _History(HISTORY)], ids=["dict", "History"])
def test_history_panels_hold_training_and_validation_curves(history):
    fig = plotting.plot_history(history)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, metric in zip(fig.axes, ["loss", "accuracy"], strict=True):
        training, validation = ax.lines
        assert (training.get_label(), validation.get_label()) == ("training", "validation")
        np.testing.assert_array_equal(training.get_ydata(), HISTORY[metric])
        np.testing.assert_array_equal(validation.get_ydata(), HISTORY["val_" + metric])
        np.testing.assert_array_equal(training.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(validation.get_xdata(), [1, 2, 3, 4])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training",
                                                                       "validation"]
        assert ax.get_xlabel() == "epoch"


def test_history_selected_metrics_on_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert plotting.plot_history(HISTORY, metrics=["accuracy", "loss"],
                                 axes=[left, right]) is fig
    np.testing.assert_array_equal(left.lines[0].get_ydata(), HISTORY["accuracy"])
    np.testing.assert_array_equal(right.lines[1].get_ydata(), HISTORY["val_loss"])
    fig, ax = plt.subplots()
    plotting.plot_history(HISTORY, metrics="loss", axes=ax)
    assert len(ax.lines) == 2


def test_history_without_validation_draws_training_only():
    fig = plotting.plot_history({"loss": [2.0, 1.0]})
    (line,) = fig.axes[0].lines
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [2.0, 1.0])


def test_history_rejects_bad_logs():
    with pytest.raises(ValueError, match="history is empty"):
        plotting.plot_history({})
    with pytest.raises(ValueError, match="history is empty"):
        plotting.plot_history(_History({}))
    with pytest.raises(ValueError, match=r"history\['loss'\] is empty"):
        plotting.plot_history({"loss": []})
    with pytest.raises(ValueError, match="lengths .*'loss': 3, 'val_loss': 2"):
        plotting.plot_history({"loss": [1, 2, 3], "val_loss": [1, 2]})
    with pytest.raises(ValueError, match=r"history\['loss'\] must be a list"):
        plotting.plot_history({"loss": [[1, 2]]})
    with pytest.raises(TypeError, match="history must be a dict"):
        plotting.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match=r"'mae' is not in history; .*\['loss', 'accuracy'\]"):
        plotting.plot_history(HISTORY, metrics=["mae"])
    with pytest.raises(ValueError, match=r"axes must hold one Axes per metric panel \(2"):
        plotting.plot_history(HISTORY, axes=plt.subplots()[1])


# --- show_images --------------------------------------------------------------------------

def test_images_titles_data_and_mispredictions_in_red():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(5, 6, 7))
    names = ["zero", "one", "two"]
    fig = plotting.show_images(images, labels=[0, 1, 2, 2, 1], predictions=[0, 2, 2, 1, 1],
                               class_names=names)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == [
        "zero / zero", "one / two", "two / two", "two / one", "one / one"]
    assert [ax.title.get_color() for ax in fig.axes] == [
        "black", "red", "black", "red", "black"]
    for ax, image in zip(fig.axes, images, strict=True):
        np.testing.assert_array_equal(_image_data(ax), image)
        # one shared scale: the whole array's extremes
        assert ax.images[0].get_clim() == (images.min(), images.max())
        assert ax.images[0].get_cmap().name == "gray_r"


def test_images_limit_layout_and_one_hot_or_probability_rows():
    images = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 4, 4, 1)
    labels = np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1, 2, 0]]  # one-hot
    scores = np.full((10, 3), 0.1)
    scores[:, 1] = 0.8  # always predicts class 1
    fig = plotting.show_images(images, labels=labels, predictions=scores, n_cols=3,
                               max_images=7)
    assert len(fig.axes) == 7
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (3, 3)
    assert [ax.get_title() for ax in fig.axes] == [
        "0 / 1", "1 / 1", "2 / 1", "0 / 1", "1 / 1", "2 / 1", "0 / 1"]
    np.testing.assert_array_equal(_image_data(fig.axes[6]), images[6, :, :, 0])
    assert fig.axes[0].images[0].get_clim() == (0, 255)  # uint8 pixels keep their scale


def test_images_rgb_floats_are_scaled_by_the_whole_array():
    rng = np.random.default_rng(2)
    images = rng.normal(size=(3, 5, 5, 3))
    fig = plotting.show_images(images, labels=["cat", "dog", "cat"])
    scaled = (images - images.min()) / (images.max() - images.min())
    for ax, expected in zip(fig.axes, scaled, strict=True):
        np.testing.assert_allclose(_image_data(ax), expected)
    assert [ax.get_title() for ax in fig.axes] == ["cat", "dog", "cat"]


def test_images_reject_bad_inputs():
    images = np.zeros((2, 4, 4))
    with pytest.raises(ValueError, match="images must have shape"):
        plotting.show_images(np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match="images must have shape"):
        plotting.show_images(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="images cannot be empty"):
        plotting.show_images(np.zeros((0, 4, 4)))
    with pytest.raises(ValueError, match=r"labels must have one entry per image \(2\)"):
        plotting.show_images(images, labels=[1, 2, 3])
    with pytest.raises(ValueError, match=r"predictions must have one entry per image"):
        plotting.show_images(images, labels=[0, 1], predictions=[1])
    with pytest.raises(ValueError, match="labels entry 5 is out of range for 2 class_names"):
        plotting.show_images(images, labels=[0, 5], class_names=["a", "b"])
    with pytest.raises(ValueError, match="n_cols must be >= 1"):
        plotting.show_images(images, n_cols=0)
    with pytest.raises(TypeError, match="max_images must be an integer"):
        plotting.show_images(images, max_images=2.5)


# --- show_filters -------------------------------------------------------------------------

class _Conv:
    name = "conv2d"

    def __init__(self, kernel):
        self.kernel = kernel

    def get_weights(self):
        return [self.kernel, np.zeros(self.kernel.shape[-1])]


def test_filters_of_a_layer_are_input_channel_0_slices_with_symmetric_limits():
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 2, 5))
    kernel[0, 0, 1, 0] = 100.0  # channel 1 neither shown nor setting the limits
    fig = plotting.show_filters(_Conv(kernel), n_cols=4)
    assert len(fig.axes) == 5
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 4)
    limit = np.abs(kernel[:, :, 0, :]).max()
    for index, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(_image_data(ax), kernel[:, :, 0, index])
        assert ax.images[0].get_clim() == (-limit, limit)
        assert ax.images[0].get_cmap().name == "RdBu_r"
        assert ax.get_title() == str(index)
    assert fig.get_suptitle().startswith("conv2d: 5 filters 3x3")


def test_filters_with_three_input_channels_are_rgb_composites():
    kernel = np.random.default_rng(4).normal(size=(5, 5, 3, 4))
    fig = plotting.show_filters(kernel)
    scaled = (kernel - kernel.min()) / (kernel.max() - kernel.min())
    for index, ax in enumerate(fig.axes):
        np.testing.assert_allclose(_image_data(ax), scaled[:, :, :, index])


def test_filters_reject_bad_kernels():
    with pytest.raises(ValueError, match="must be 4-D"):
        plotting.show_filters(np.zeros((3, 3, 4)))

    class Unbuilt:
        name = "conv2d_1"

        def get_weights(self):
            return []

    with pytest.raises(ValueError, match="'conv2d_1' has no weights"):
        plotting.show_filters(Unbuilt())
    with pytest.raises(ValueError, match="n_cols must be >= 1"):
        plotting.show_filters(np.zeros((3, 3, 1, 2)), n_cols=-1)


# --- show_feature_maps --------------------------------------------------------------------

class _Layer:
    """A fake layer: a fixed function, recording the inputs it was called on."""

    def __init__(self, name, function):
        self.name = name
        self.function = function
        self.calls = []

    def forward(self, x):
        self.calls.append(x)
        return self.function(x)


class _Model:
    def __init__(self):
        self.layers = [
            _Layer("scale", lambda x: 10.0 * x),  # keeps the input's 4-D shape
            _Layer("conv", lambda x: x * np.array([1.0, 2.0, 3.0])),  # 1 -> 3 channels
            _Layer("relu", lambda x: np.maximum(x - 20.0, 0.0)),
            _Layer("flatten", lambda x: x.reshape(len(x), -1)),
        ]


def _sample():
    return np.arange(4 * 5, dtype=float).reshape(4, 5, 1)


def test_feature_maps_default_to_the_first_4d_output():
    model = _Model()
    model.layers.pop(0)  # the first layer is now "conv"
    x = _sample()
    fig = plotting.show_feature_maps(model, x)
    expected = x[None] * np.array([1.0, 2.0, 3.0])
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "2"]
    for channel, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(_image_data(ax), expected[0, :, :, channel])
    np.testing.assert_array_equal(model.layers[0].calls[0], x[None])
    assert model.layers[1].calls == []  # nothing after the shown layer runs
    assert fig.get_suptitle() == "conv: 3 feature maps 4x5"


@pytest.mark.parametrize("layer", ["relu", 2, -2])
def test_feature_maps_of_a_chosen_layer(layer):
    model = _Model()
    x = _sample()[None]  # a batch of one
    fig = plotting.show_feature_maps(model, x, layer=layer, cmap="magma")
    expected = np.maximum(10.0 * x * np.array([1.0, 2.0, 3.0]) - 20.0, 0.0)
    assert len(fig.axes) == 3
    for channel, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(_image_data(ax), expected[0, :, :, channel])
        assert ax.images[0].get_cmap().name == "magma"
    assert model.layers[3].calls == []


def test_feature_maps_limit_and_layout():
    model = _Model()
    fig = plotting.show_feature_maps(model, _sample(), layer="conv", n_cols=2, max_maps=2)
    assert [ax.get_title() for ax in fig.axes] == ["0", "1"]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (1, 2)
    assert fig.get_suptitle().endswith("first 2 shown")


def test_feature_maps_reject_bad_layers_and_inputs():
    model = _Model()
    x = _sample()
    with pytest.raises(ValueError, match=r"'pool' is not a layer of model; its layers are "
                                         r"\['scale', 'conv', 'relu', 'flatten'\]"):
        plotting.show_feature_maps(model, x, layer="pool")
    with pytest.raises(ValueError, match="layer index 4 is out of range .* 4 layers"):
        plotting.show_feature_maps(model, x, layer=4)
    with pytest.raises(TypeError, match="layer must be a layer index"):
        plotting.show_feature_maps(model, x, layer=1.5)
    with pytest.raises(ValueError, match=r"'flatten' outputs shape \(1, 60\), not 4-D"):
        plotting.show_feature_maps(model, x, layer="flatten")
    with pytest.raises(ValueError, match="x must be one sample"):
        plotting.show_feature_maps(model, np.zeros((2, 4, 5, 1)))
    with pytest.raises(ValueError, match="x must be one sample"):
        plotting.show_feature_maps(model, np.zeros((4, 5)))
    with pytest.raises(TypeError, match="model must have a .layers list"):
        plotting.show_feature_maps(object(), x)

    class Dense:
        layers = [_Layer("flatten", lambda x: x.reshape(len(x), -1))]

    with pytest.raises(ValueError, match=r"no layer of model outputs 4-D .*\['flatten'\]"):
        plotting.show_feature_maps(Dense(), x)
