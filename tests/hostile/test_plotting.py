"""Hostile inputs for sigconv.plotting: arrays of every dtype, layout and shape, NaN and
infinity, empty ones, wrong axes, absurd panel counts and figure sizes. Each call draws
exactly the data (checked on the artists) or raises a TypeError/ValueError naming the
argument."""

import matplotlib

matplotlib.use("Agg")

import harness  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import sigconv as sc  # noqa: E402
from sigconv import plotting  # noqa: E402

REAL_DTYPES = [d for d in harness.NUMERIC_DTYPES if np.dtype(d).kind != "c"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def drawn(function, names, *args, **kwargs):
    """The figure or axes drawn, or None after checking the error names an argument."""
    try:
        return harness.outcome(names, function, *args, **kwargs)
    finally:
        if plt.get_fignums() and len(plt.get_fignums()) > 20:
            plt.close("all")


# ------------------------------------------------------------------------------ heatmap


@settings(max_examples=50)
@given(grid=st.one_of(harness.numeric_arrays(min_dims=0, max_dims=3, max_side=5),
                      harness.awkward_arrays()))
def test_heatmap_any_array(grid):
    shape = np.shape(grid) if isinstance(grid, np.ndarray) else None
    labels = (list(range(shape[0])), list(range(shape[1]))) if shape and len(shape) == 2 \
        else ([0], [0])
    ax = drawn(plotting.heatmap, "grid", grid, *labels)
    plt.close("all")
    if ax is None:
        return
    values = np.asarray(grid)
    assert values.ndim == 2 and values.size and values.dtype.kind in "biuf"
    image = np.ma.masked_invalid(values.astype(float))
    got = ax.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(image))
    np.testing.assert_array_equal(got.filled(0), image.filled(0))
    assert len(ax.texts) == values.size


@pytest.mark.parametrize("kwargs, name", [
    ({"row_labels": "ab"}, "row_labels"), ({"col_labels": 3}, "col_labels"),
    ({"fmt": 3}, "fmt"), ({"fmt": ".3q"}, "fmt"),
    ({"vmin": np.nan}, "vmin"), ({"vmax": "1"}, "vmax"), ({"vmin": True}, "vmin"),
    ({"vmin": 2.0, "vmax": 1.0}, "vmin"), ({"ax": "axes"}, "ax"), ({"ax": 3}, "ax"),
])
def test_heatmap_bad_arguments(kwargs, name):
    arguments = {"grid": [[1.0, 2.0], [3.0, 4.0]], "row_labels": [1, 2],
                 "col_labels": [3, 4], **kwargs}
    with pytest.raises((TypeError, ValueError)) as info:
        plotting.heatmap(**arguments)
    harness.check_error(info.value, name)


def test_heatmap_of_a_huge_grid_is_not_annotated_and_fits():
    """A 120 x 120 grid: no 14400 texts, and a figure of at most 60 inches a side (the
    grid's own size rule asked for 110 inches)."""
    grid = np.arange(120 * 120.0).reshape(120, 120)
    ax = plotting.heatmap(grid, range(120), range(120))
    assert len(ax.texts) == 0
    width, height = ax.figure.get_size_inches()
    assert max(width, height) <= plotting.MAX_FIGURE_INCHES
    np.testing.assert_array_equal(ax.images[0].get_array(), grid)


def test_heatmap_extended_precision_is_drawn_as_float64():
    grid = np.array([[1.5, 2.5]], np.longdouble)
    ax = plotting.heatmap(grid, [0], [0, 1], fmt=".1f")
    assert [text.get_text() for text in ax.texts] == ["1.5", "2.5"]


# ------------------------------------------------------------------------------ history


@settings(max_examples=40)
@given(values=st.one_of(harness.numeric_arrays(min_dims=0, max_dims=2, max_side=5),
                        harness.awkward_arrays()))
def test_history_any_values(values):
    fig = drawn(plotting.plot_history, "history", {"loss": values})
    plt.close("all")
    if fig is None:
        return
    array = np.asarray(values)
    assert array.ndim == 1 and array.size and array.dtype.kind in "biuf"
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), array.astype(float))


def test_history_with_too_many_metrics_or_bad_axes():
    many = {f"m{i}": [1.0] for i in range(plotting.MAX_PANELS + 1)}
    with pytest.raises(ValueError, match="metrics"):
        plotting.plot_history(many)
    with pytest.raises(TypeError) as info:
        plotting.plot_history({"loss": [1.0]}, axes=["not an axes"])
    harness.check_error(info.value, "axes")


# ------------------------------------------------------------------------------ images


@settings(max_examples=50)
@given(images=st.one_of(harness.numeric_arrays(min_dims=1, max_dims=4, max_side=4,
                                               dtypes=REAL_DTYPES),
                        harness.numeric_arrays(min_dims=3, max_dims=3, max_side=4,
                                               dtypes=[np.complex64]),
                        harness.awkward_arrays(max_dims=4)))
# RGB floats spanning the whole float64 range: high - low overflowed (a RuntimeWarning)
@example(images=np.array([[[[1.7976931348623157e308, -1.7976931348623157e308,
                             -1.7976931348623157e308]]]]))
def test_images_any_array(images):
    fig = drawn(plotting.show_images, "images", images)
    plt.close("all")
    if fig is None:
        return
    array = np.asarray(images)
    if array.ndim == 4:
        assert array.shape[-1] in (1, 3)
    assert array.dtype.kind in "biuf" and array.size and np.isfinite(
        array.astype(float)).all()
    assert len(fig.axes) == min(len(array), 32)
    if array.ndim == 3 or array.shape[-1] == 1:  # greyscale: the pixels as they are
        first = np.asarray(fig.axes[0].images[0].get_array(), float)
        np.testing.assert_array_equal(first, array[0].reshape(first.shape).astype(float))


@pytest.mark.parametrize("kwargs, name", [
    ({"max_images": plotting.MAX_PANELS + 1}, "max_images"),
    ({"max_images": True}, "max_images"), ({"n_cols": 0}, "n_cols"),
    ({"n_cols": True}, "n_cols"), ({"n_cols": 2.0}, "n_cols"),
    ({"class_names": "ab"}, "class_names"), ({"class_names": 3}, "class_names"),
    ({"labels": [[1], [2, 3]]}, "labels"), ({"labels": [0, 1, 2]}, "labels"),
    ({"predictions": [[0.5, np.nan], [1.0, 0.0]]}, "predictions"),
    ({"labels": [0.5, 1.0], "class_names": ["a", "b"]}, "labels"),
    ({"labels": [0, 5], "class_names": ["a", "b"]}, "labels"),
])
def test_images_bad_arguments(kwargs, name):
    with pytest.raises((TypeError, ValueError)) as info:
        plotting.show_images(np.zeros((2, 4, 4)), **kwargs)
    harness.check_error(info.value, name)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_images_with_nan_or_infinity(value):
    images = np.zeros((2, 4, 4, 3))
    images[1, 2, 2, 0] = value
    with pytest.raises(ValueError, match="images holds NaN or infinite"):
        plotting.show_images(images)


def test_many_images_in_one_row_fit_the_figure():
    fig = plotting.show_images(np.zeros((100, 2, 2), np.uint8), n_cols=10**9,
                               max_images=100)  # 150 inches wide unless scaled down
    assert len(fig.axes) == 100
    assert max(fig.get_size_inches()) <= plotting.MAX_FIGURE_INCHES


def test_only_the_images_shown_are_converted(monkeypatch):
    """A large float array: only the shown images are read and copied (a memory map of a
    data set stays on disk)."""
    images = np.zeros((5000, 28, 28, 3), np.float32)
    images[-1] = 2.0
    fig = plotting.show_images(images, max_images=2)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), 0.0)
    assert len(fig.axes) == 2


# ----------------------------------------------------------------------------- filters


@settings(max_examples=40)
@given(kernel=st.one_of(harness.numeric_arrays(min_dims=3, max_dims=4, max_side=3,
                                               dtypes=REAL_DTYPES), harness.awkward_arrays()))
# an RGB kernel spanning the whole float64 range (its scaling to [0, 1] overflowed)
@example(kernel=np.array([1.7976931348623157e308, -1.7976931348623157e308]
                         * 3).reshape(1, 1, 3, 2))
# NaN in input channel 1 of a two-channel kernel: not drawn, so not refused
@example(kernel=np.array([[[[6.55e4, 6.55e4], [np.nan, 6.55e4]]]], dtype=np.float16))
def test_filters_any_kernel(kernel):
    fig = drawn(plotting.show_filters, "conv_layer_or_kernel", kernel)
    plt.close("all")
    if fig is None:
        return
    array = np.asarray(kernel).astype(float)
    # the part drawn (and checked, as documented): all three channels of an RGB kernel,
    # else input channel 0
    shown = array if array.ndim == 4 and array.shape[2] == 3 else array[:, :, :1, :]
    assert array.ndim == 4 and array.size and np.isfinite(shown).all()
    assert len(fig.axes) == array.shape[3]
    if array.shape[2] != 3:
        np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), array[:, :, 0, 0])


def test_filters_beyond_the_panel_limit():
    with pytest.raises(ValueError, match="more than the 1024 panels"):
        plotting.show_filters(np.zeros((1, 1, 1, 1025)))


# ------------------------------------------------------------------------ feature maps


class Identity:
    name = "identity"

    def forward(self, x):
        return x


class Model:
    layers = [Identity()]


@settings(max_examples=40)
@given(x=st.one_of(harness.numeric_arrays(min_dims=2, max_dims=5, max_side=3,
                                          dtypes=REAL_DTYPES), harness.awkward_arrays()))
def test_feature_maps_any_input(x):
    fig = drawn(plotting.show_feature_maps, "x", Model(), x)
    plt.close("all")
    if fig is None:
        return
    array = np.asarray(x)
    maps = array[0] if array.ndim == 4 else array
    assert maps.ndim == 3 and maps.size and np.isfinite(maps.astype(float)).all()
    assert len(fig.axes) == min(maps.shape[2], 32)
    np.testing.assert_array_equal(np.asarray(fig.axes[0].images[0].get_array(), float),
                                  maps[:, :, 0].astype(float))


@pytest.mark.parametrize("kwargs, name", [
    ({"max_maps": 2000}, "max_maps"), ({"max_maps": 0}, "max_maps"),
    ({"n_cols": False}, "n_cols"), ({"layer": 1.0}, "layer"), ({"layer": 5}, "layer"),
    ({"layer": "nope"}, "layer"),
])
def test_feature_maps_bad_arguments(kwargs, name):
    with pytest.raises((TypeError, ValueError)) as info:
        plotting.show_feature_maps(Model(), np.zeros((2, 2, 3)), **kwargs)
    harness.check_error(info.value, name)


# ------------------------------------------------------------------ Fourier figures


@pytest.mark.parametrize("function", [plotting.plot_partial_sums, plotting.plot_gibbs])
@pytest.mark.parametrize("n_terms", [[], (), [0], [-1], [1.5], ["3"], [True], [None],
                                     [10**7], "12", 5, [[1, 2]], None])
def test_fourier_figures_bad_n_terms(function, n_terms):
    with pytest.raises((TypeError, ValueError)) as info:
        function(0.2, 0.1, n_terms=n_terms)
    harness.check_error(info.value, "n_terms")
    assert plt.get_fignums() == []  # refused before a figure was made


@pytest.mark.parametrize("t, kind", [([np.nan, 1.0], ValueError), ([[0.0, 1.0]], ValueError),
                                     ([], ValueError), (["a"], TypeError),
                                     ([1j, 2j], TypeError), (None, None)])
def test_partial_sums_times(t, kind):
    if kind is None:  # the default: five periods at 2000 points
        ax = plotting.plot_partial_sums(0.2, 0.1, 2.0, n_terms=[3])
        t = ax.lines[0].get_xdata()
        assert len(t) == 2000 and t[-1] == pytest.approx(1.0)
        np.testing.assert_allclose(ax.lines[1].get_ydata(),
                                   sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 3)(t))
        return
    with pytest.raises(kind) as info:
        plotting.plot_partial_sums(0.2, 0.1, t=t)
    harness.check_error(info.value, "t")


@pytest.mark.parametrize("period", [0.0, -1.0, np.nan, "0.2", None])
def test_partial_sums_bad_period(period):
    with pytest.raises((TypeError, ValueError)) as info:
        plotting.plot_partial_sums(period, 0.1)
    harness.check_error(info.value, "period")


@pytest.mark.parametrize("function, args", [
    (plotting.plot_partial_sums, (0.2, 0.1)), (plotting.plot_gibbs, ()),
])
def test_fourier_figures_bad_axes(function, args):
    with pytest.raises(TypeError) as info:
        function(*args, ax="left")
    harness.check_error(info.value, "ax")


@pytest.mark.parametrize("kwargs, kind, name", [
    ({"t": [0.0, 0.0, 1.0]}, ValueError, "t"), ({"t": [1.0, 0.5]}, ValueError, "t"),
    ({"t": [0.0, np.inf]}, ValueError, "t"), ({"t": [[0.0, 1.0]]}, ValueError, "t"),
    ({"forcing": "square"}, TypeError, "forcing"), ({"ax": 1}, TypeError, "ax"),
])
def test_oscillator_response_bad_arguments(kwargs, kind, name):
    arguments = {"oscillator": sc.DrivenOscillator(1.0, 0.5, 4.0),
                 "forcing": sc.FourierSeries.square_wave(1.0, 0.5, 1.0, 5),
                 "t": np.linspace(0, 1, 5), **kwargs}
    with pytest.raises(kind) as info:
        plotting.plot_oscillator_response(**arguments)
    harness.check_error(info.value, name)


# ------------------------------------------------- sizes: only what is drawn is read


def test_images_scale_and_finiteness_come_from_the_images_shown():
    """The hidden images are never read: a larger or NaN value there changes nothing."""
    images = np.zeros((5, 3, 3))
    images[0, 0, 0], images[1, 1, 1] = 0.5, -0.25
    images[3], images[4, 0, 0] = 7.0, np.nan
    fig = plotting.show_images(images, max_images=2, labels=[[0.0, 1.0]] * 4 + [[np.nan] * 2])
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-0.25, 0.5)] * 2
    assert [ax.get_title() for ax in fig.axes] == ["1", "1"]
    with pytest.raises(ValueError, match="images holds NaN"):
        plotting.show_images(images, max_images=5)


HUGE_CALLS = {
    "heatmap": ("plotting.heatmap(np.broadcast_to(1.0, (10**5, 10**5)), range(10**5), "
                "range(10**5))", "grid"),
    "partial sums": ("plotting.plot_partial_sums(1.0, 0.5, t=np.broadcast_to(1.0, 10**10))",
                     "t"),
    "oscillator": ("plotting.plot_oscillator_response(sc.DrivenOscillator(1.0, 0.5, 4.0), "
                   "sc.FourierSeries.square_wave(1.0, 0.5, 1.0, 5), "
                   "np.broadcast_to(1.0, 10**10))", "t"),
    "history": ("plotting.plot_history({'loss': np.broadcast_to(1.0, 10**10)})",
                "history"),
    "history of many curves": ("plotting.plot_history({f'm{i}': np.broadcast_to(1.0, "
                               "10**8) for i in range(1000)})", "history"),
    "one huge image": ("plotting.show_images(np.broadcast_to(1.0, (1, 10**5, 10**5)))",
                       "images"),
    "RGB kernel": ("plotting.show_filters(np.broadcast_to(1.0, (10**5, 10**5, 3, 2)))",
                   "conv_layer_or_kernel"),
    "long double x": ("plotting.show_feature_maps(nn.Sequential([nn.Flatten()]), "
                      "np.broadcast_to(np.longdouble(1), (10**5, 10**5, 1)))", "x"),
}
PREFIX = ("import matplotlib\nmatplotlib.use('Agg')\nimport numpy as np\n"
          "import sigconv as sc\nfrom sigconv import nn, plotting\n")


@pytest.mark.full
@pytest.mark.parametrize("case", sorted(HUGE_CALLS))
def test_huge_views_are_refused_before_any_copy(case):
    """A view of 10**10 values costs nothing; its float64 copy (or the mask of a NaN check)
    would cost 75 GiB: a MemoryError naming the argument, under a 2 GiB cap."""
    code, name = HUGE_CALLS[case]
    harness.assert_isolated_error(PREFIX + code + "\n", name, kinds=("MemoryError",))


@pytest.mark.full
@pytest.mark.parametrize("code, panels", [
    ("plotting.show_images(np.broadcast_to(1.0, (10**6, 1000, 1000)))", 32),
    ("plotting.show_images(np.broadcast_to(1.0, (10**6, 8, 8)), "
     "labels=np.broadcast_to(0.5, (10**6, 10**4)), max_images=3)", 3),
    ("plotting.show_filters(np.broadcast_to(1.0, (3, 3, 10**9, 4)))", 4),
])
def test_only_the_part_drawn_of_a_huge_view_is_read(code, panels):
    """The first images (labels, input channel of the filters) of a view of 10**12 values:
    drawn in seconds under a 2 GiB cap, the rest never scanned."""
    report = harness.assert_isolated_finishes(
        PREFIX + f"result = len({code}.axes)\n", timeout=60)
    assert report["value"] == str(panels)


# ------------------------------------------------------------- sequences and options


def test_sequences_are_never_listed_whole():
    """range(10**12) or an endless generator as labels, n_terms, metrics or axes: refused
    after reading one item more than can be used."""
    def endless():
        while True:
            yield 1

    for call, name in [
        (lambda: plotting.heatmap([[1.0]], range(10**12), [1]), "row_labels"),
        (lambda: plotting.heatmap([[1.0]], [1], endless()), "col_labels"),
        (lambda: plotting.plot_gibbs(n_terms=range(1, 10**12)), "n_terms"),
        (lambda: plotting.plot_gibbs(n_terms=endless()), "n_terms"),
        (lambda: plotting.plot_history({"loss": [1.0]}, metrics=endless()), "metrics"),
        (lambda: plotting.plot_history({"loss": [1.0]}, axes=range(10**12)), "axes"),
    ]:
        with pytest.raises(ValueError) as info:
            call()
        harness.check_error(info.value, name)
    assert plt.get_fignums() == []


def test_at_most_max_curves_partial_sums():
    ax = plotting.plot_partial_sums(0.2, 0.1, n_terms=range(1, plotting.MAX_CURVES + 1))
    assert len(ax.lines) == plotting.MAX_CURVES + 1
    with pytest.raises(ValueError, match=f"n_terms must hold at most {plotting.MAX_CURVES}"):
        plotting.plot_partial_sums(0.2, 0.1, n_terms=range(1, plotting.MAX_CURVES + 2))


@settings(max_examples=60)
@given(metrics=st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=8),
                         st.sampled_from(["loss", "accuracy", "val_loss", b"loss"]),
                         st.lists(st.one_of(st.sampled_from(["loss", "accuracy", "mae"]),
                                            st.integers(), st.none()), max_size=3),
                         st.tuples(st.sampled_from(["loss", "accuracy"]))))
def test_history_any_metrics(metrics):
    """The panels asked for, in order, or an error naming metrics."""
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75], "val_loss": [1.5, 1.0]}
    fig = drawn(plotting.plot_history, "metrics", history, metrics=metrics)
    if fig is None:
        return
    expected = ["loss", "accuracy"] if metrics is None else (
        [metrics] if isinstance(metrics, str) else list(metrics))
    assert len(set(expected)) == len(expected) and set(expected) <= {"loss", "accuracy"}
    assert [ax.get_title() for ax in fig.axes] == expected
    for ax, metric in zip(fig.axes, expected, strict=True):
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), history[metric])


@pytest.mark.parametrize("axes, kind", [
    (5, TypeError), ("ax", TypeError), ({"a": 1}, TypeError), ([None], TypeError),
    ([], ValueError), (np.array([None, None], dtype=object), ValueError),
])
def test_history_bad_axes(axes, kind):
    with pytest.raises(kind) as info:
        plotting.plot_history({"loss": [1.0]}, axes=axes)
    harness.check_error(info.value, "axes")


def test_history_axes_as_one_axes_a_list_or_a_grid():
    for make in (lambda axes: axes[0, 0], lambda axes: [axes[0, 0], axes[0, 1]],
                 lambda axes: axes):
        fig, grid = plt.subplots(1, 2, squeeze=False)
        given = make(grid)
        metrics = ["loss"] if given is grid[0, 0] else ["loss", "accuracy"]
        assert plotting.plot_history({"loss": [1.0], "accuracy": [0.5]}, metrics=metrics,
                                     axes=given) is fig
        assert [ax.get_title() for ax in fig.axes[:len(metrics)]] == metrics


@pytest.mark.parametrize("function, args", [
    (plotting.heatmap, ([[1.0]], [1], [1])),
    (plotting.show_images, (np.zeros((1, 2, 2)),)),
    (plotting.show_filters, (np.zeros((2, 2, 1, 1)),)),
])
@pytest.mark.parametrize("cmap, kind", [("no such map", ValueError), (5, TypeError),
                                        (None, TypeError), (True, TypeError)])
def test_bad_cmap_is_refused_before_a_figure(function, args, cmap, kind):
    with pytest.raises(kind) as info:
        function(*args, cmap=cmap)
    harness.check_error(info.value, "cmap")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", ["title", "xlabel", "ylabel"])
@pytest.mark.parametrize("value", [5, b"bytes", ["a"], True])
def test_heatmap_texts_must_be_str(name, value):
    with pytest.raises(TypeError) as info:
        plotting.heatmap([[1.0]], [1], [1], **{name: value})
    harness.check_error(info.value, name)


@pytest.mark.parametrize("n", [1, plotting.MAX_TICKS, plotting.MAX_TICKS + 1, 1000])
def test_heatmap_ticks_are_thinned_beyond_max_ticks(n):
    ax = plotting.heatmap(np.zeros((n, 2)), [f"r{i}" for i in range(n)], ["a", "b"])
    step = -(-n // plotting.MAX_TICKS)
    assert list(ax.get_yticks()) == list(range(0, n, step))
    assert [label.get_text() for label in ax.get_yticklabels()] == [
        f"r{i}" for i in range(0, n, step)]
    assert len(ax.get_yticks()) <= plotting.MAX_TICKS


@pytest.mark.parametrize("rows", [np.zeros((2, 0)), np.array([["a", "b"], ["c", "d"]])])
def test_label_rows_that_are_not_scores(rows):
    with pytest.raises(ValueError) as info:
        plotting.show_images(np.zeros((2, 3, 3)), labels=rows)
    harness.check_error(info.value, "labels")


@pytest.mark.parametrize("labels, kind", [
    ([0.0, np.nan], ValueError), ([np.inf, 1.0], ValueError), ([0.73, 0.2], TypeError),
    ([1e300, 0.0], ValueError),
])
def test_float_labels_must_be_whole_class_indices(labels, kind):
    """A 1-D float must be class indices: a NaN or a probability would be a title."""
    for name in ("labels", "predictions"):
        with pytest.raises(kind) as info:
            plotting.show_images(np.zeros((2, 3, 3)), **{name: labels})
        harness.check_error(info.value, name)
    fig = plotting.show_images(np.zeros((2, 3, 3)), labels=[3.0, -0.0],
                               predictions=np.array([3, 1], np.uint8))
    assert [ax.get_title() for ax in fig.axes] == ["3 / 3", "0 / 1"]
