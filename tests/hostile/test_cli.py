"""Hostile inputs for the ``sigconv`` command: every numeric option fed out-of-range and
malformed values (argparse's one error line naming the option, exit 2, before any work),
and every exception a library call can raise, expected or not (one
``sigconv: error: ...`` line, exit 1, never a traceback; Ctrl-C exits 130 silently)."""

import io
import os
import subprocess
import sys
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sigconv as sc
from sigconv import cli, datasets, nn

FOLDER = "cifar-10-batches-py"


def assert_one_error_line(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sigconv: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SIGCONV_DATA", str(empty))
    monkeypatch.setattr(datasets, "_cache_dir", lambda: empty)
    monkeypatch.chdir(tmp_path)  # figures, if any, land here


# ------------------------------------------------------------------------- bad options


BAD_OPTIONS = {
    "demo": {"--epochs": ["0", "-1", "1.5", "nan", "", "100001", "10" * 30, "1e3"],
             "--seed": ["-1", "4294967296", "1.5", "abc", "nan"]},
    "train --dataset digits": {
        "--epochs": ["0", "-3", "two", "100001"],
        "--batch-size": ["0", "-1", "2147483648", "1.5"],
        "--learning-rate": ["0", "-0.1", "nan", "inf", "1e400", "abc"],
        "--l2": ["-1", "nan", "inf", "-inf", "x"],
        "--validation-split": ["1", "-0.1", "nan", "1.5"],
        "--verbose": ["3", "-1", "1.0", "a"],
        "--seed": ["-1", "4294967296", "0.5"],
        "--optimizer": ["lbfgs", ""],
    },
    "grid": {"--epochs": ["0", "100001", "nan"],
             "--n-jobs": ["0", "-2", "1025", "1.5", "all"],
             "--etas": ["0", "-0.1", "nan", "inf"],
             "--lambdas": ["-1", "nan", "inf"],
             "--seed": ["-5", "2" * 20],
             "--dataset": ["mnist"]},
    "fourier": {"--terms": ["0", "-1", "1000000000", "1000001", "1e3", "2.5", "nan"]},
    "bench": {"--quick": ["yes"]},
}
CASES = [(command, option, value) for command, options in BAD_OPTIONS.items()
         for option, values in options.items() for value in values]


@pytest.mark.parametrize("command, option, value", CASES)
def test_bad_option_values_are_one_argparse_line(command, option, value, capsys):
    argv = [*command.split(), f"{option}={value}"]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, option)
    assert captured.out == ""


def test_l2_with_the_cifar10_network_is_refused(capsys):
    """The CIFAR-10 network has no penalty: --l2 would have been ignored silently."""
    assert cli.main(["train", "--dataset", "cifar10", "--l2", "0.1"]) == 2
    assert_one_error_line(capsys.readouterr().err, "--l2", "cifar10")


@pytest.mark.parametrize("argv, option", [
    (["train", "--dataset", "digits", "--data-dir", "/nonexistent"], "--data-dir"),
    (["train", "--dataset", "digits", "--data-dir", "."], "--data-dir"),
    (["train", "--dataset", "digits", "--no-download"], "--no-download"),
    (["grid", "--dask", "tcp://127.0.0.1:9", "--n-jobs", "2"], "--n-jobs"),
    (["grid", "--n-jobs", "4", "--dask", "tcp://127.0.0.1:9"], "--n-jobs"),
])
def test_options_the_others_make_useless_are_refused(argv, option, capsys, monkeypatch):
    """No option is ignored silently: refused (exit 2, one line naming it) before any
    work."""
    for name in ("_train", "_grid"):
        monkeypatch.setattr(cli, name, raising(AssertionError("must not run")))
    assert cli.main([*argv, "--epochs", "1"]) == 2
    assert_one_error_line(capsys.readouterr().err, f"argument {option}", "not used")


@pytest.mark.parametrize("argv, expected", [
    (["train", "--dataset", "mnist"], {"data_dir": None, "no_download": False}),
    (["train", "--dataset", "cifar10", "--data-dir", "d", "--no-download"],
     {"data_dir": "d", "no_download": True}),
    (["grid"], {"n_jobs": 2, "dask": None}),
    (["grid", "--n-jobs", "3", "--dask", "local"], {"n_jobs": 3, "dask": "local"}),
    (["grid", "--dask", "tcp://host:8786"], {"n_jobs": 2, "dask": "tcp://host:8786"}),
])
def test_options_that_are_used_are_still_taken(argv, expected):
    args = cli._build_parser().parse_args(argv)
    cli._check_combinations(cli._build_parser(), args)  # no SystemExit
    assert {key: getattr(args, key) for key in expected} == expected


@pytest.mark.parametrize("argv", ["fourier", b"fourier", 5, ["fourier", 5],
                                  ("fourier", None), {"fourier": 1}])
def test_argv_that_is_not_a_list_of_str(argv, monkeypatch):
    """A str would be parsed one character per argument: a TypeError naming argv."""
    monkeypatch.setattr(cli, "_fourier", raising(AssertionError("must not run")))
    with pytest.raises(TypeError, match="argv must be a list of str"):
        cli.main(argv)


@pytest.mark.parametrize("argv, option", [
    (["demo", "--out", ""], "--out"), (["fourier", "--out", " "], "--out"),
    (["grid", "--out", ""], "--out"), (["grid", "--dask", ""], "--dask"),
    (["grid", "--cache-dir", ""], "--cache-dir"),
    (["train", "--dataset", "mnist", "--data-dir", ""], "--data-dir"),
    (["train", "--dataset", "digits", "--save", ""], "--save"),
])
def test_empty_paths_and_addresses_are_argument_errors(argv, option, capsys):
    assert cli.main(argv) == 2
    assert_one_error_line(capsys.readouterr().err, f"argument {option}", "expected a path")


NUMERIC = {("demo", "--epochs"): (1, cli._MAX_EPOCHS), ("demo", "--seed"): (0, 2**32 - 1),
           ("train", "--batch-size"): (1, 2**31 - 1), ("fourier", "--terms"): (1, 10**6),
           ("grid", "--n-jobs"): (1, 1024)}


@settings(max_examples=60)
@given(where=st.sampled_from(sorted(NUMERIC)),
       text=st.one_of(st.text(max_size=12), st.integers(-2**40, 2**40).map(str),
                      st.floats(allow_nan=True).map(str)))
def test_any_text_for_an_integer_option(where, text):
    """Parsed to an integer in its range, or refused with one line naming the option."""
    command, option = where
    parser = cli._build_parser()
    argv = [command, *(["--dataset", "digits"] if command == "train" else []),
            f"{option}={text}"]
    stderr = io.StringIO()
    try:
        old, sys.stderr = sys.stderr, stderr
        try:
            args = parser.parse_args(argv)
        finally:
            sys.stderr = old
    except SystemExit as exit_:
        assert exit_.code == 2
        assert_one_error_line(stderr.getvalue(), option)
        return
    value = getattr(args, option.lstrip("-").replace("-", "_"))
    low, high = NUMERIC[where]
    assert type(value) is int and (low <= value <= high or (option == "--n-jobs"
                                                           and value == -1))
    assert value == int(text)


# ----------------------------------------------------------------- library exceptions


class Boom(Exception):
    pass


RAISED = [
    (ValueError("n_terms must be <= 10**6, got 10**9"), "n_terms must be"),
    (TypeError("x must be an array"), "x must be an array"),
    (OverflowError("the sum overflows int64"), "overflows"),
    (MemoryError("terms: the result of shape (10**9,) needs 7.45 GiB"), "needs 7.45 GiB"),
    (MemoryError(), "out of memory"),
    (MemoryError("Unable to allocate 7.28 TiB for an array with shape (10**12,)"),
     "Unable to allocate 7.28 TiB"),
    (OSError(28, "No space left on device"), "No space left"),
    (KeyError("cifar-10-batches-py/test_batch"), "internal error KeyError"),
    (RuntimeError("numba failed\nsecond line\n"), "internal error RuntimeError"),
    (ZeroDivisionError("division by zero"), "internal error ZeroDivisionError"),
    (RecursionError(), "internal error RecursionError: no message"),
    (AssertionError(), "--traceback"),
    (Boom("line one\n\n  line two"), "line one line two"),
]

# where each subcommand first calls the library, and the arguments that reach it
TARGETS = {
    "demo": ((sc, "convolve"), ["demo", "--epochs", "1"]),
    "train": ((nn, "lecture_digits_cnn"), ["train", "--dataset", "digits", "--epochs", "1"]),
    "grid": ((nn, "grid_search"), ["grid", "--etas", "0.1", "--lambdas", "0", "--epochs",
                                   "1", "--n-jobs", "1"]),
    "fourier": ((sc.FourierSeries, "square_wave"), ["fourier", "--terms", "3"]),
    "bench": ((datasets, "load_digits"), ["bench", "--quick"]),
}


def raising(error):
    def function(*args, **kwargs):
        raise error
    return function


@pytest.mark.parametrize("command", TARGETS)
@pytest.mark.parametrize("error, fragment", RAISED, ids=lambda v: type(v).__name__
                         if isinstance(v, BaseException) else None)
def test_any_library_exception_is_one_line(command, error, fragment, capsys, monkeypatch):
    (owner, name), argv = TARGETS[command]
    monkeypatch.setattr(owner, name, raising(error))
    assert cli.main(argv) == 1
    assert_one_error_line(capsys.readouterr().err, fragment)


@pytest.mark.parametrize("command", TARGETS)
def test_ctrl_c_exits_130_silently(command, capsys, monkeypatch):
    (owner, name), argv = TARGETS[command]
    monkeypatch.setattr(owner, name, raising(KeyboardInterrupt()))
    assert cli.main(argv) == 130
    assert capsys.readouterr().err == ""


def test_traceback_flag_reraises_unexpected_errors(monkeypatch):
    monkeypatch.setattr(sc.FourierSeries, "square_wave", raising(KeyError("k")))
    with pytest.raises(KeyError):
        cli.main(["--traceback", "fourier"])


@settings(max_examples=40)
@given(message=st.text(max_size=60),
       kind=st.sampled_from([ValueError, TypeError, OSError, MemoryError, OverflowError,
                             RuntimeError, KeyError, Boom]))
def test_any_message_is_one_line(message, kind):
    """Messages with newlines, tabs, nothing at all: always one non-empty line."""
    stderr = io.StringIO()
    original = sc.FourierSeries.square_wave
    sc.FourierSeries.square_wave = raising(kind(message))
    old, sys.stderr = sys.stderr, stderr
    try:
        assert cli.main(["fourier", "--terms", "2"]) == 1
    finally:
        sys.stderr = old
        sc.FourierSeries.square_wave = original
    assert_one_error_line(stderr.getvalue())
    assert stderr.getvalue().strip() != "sigconv: error:"


@pytest.mark.parametrize("command", [["fourier", "--terms", "2"], ["demo"],
                                     ["train", "--dataset", "digits", "--save"]])
def test_output_that_is_a_named_pipe(command, tmp_path, capsys):
    """Writing to a FIFO would wait for a reader forever."""
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    out = [str(pipe)] if command[-1] == "--save" else ["--out", str(pipe)]
    assert cli.main([*command, *out]) == 1
    assert_one_error_line(capsys.readouterr().err, "named pipe")


def test_cache_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "cells").write_text("not a folder")
    assert cli.main(["grid", "--etas", "0.1", "--lambdas", "0", "--epochs", "1", "--n-jobs",
                     "1", "--cache-dir", str(tmp_path / "cells")]) == 1
    assert_one_error_line(capsys.readouterr().err, "cache_dir")


def test_dask_local_starts_no_more_workers_than_cells(monkeypatch):
    """--n-jobs 1024 with --dask local would start 1024 processes for two cells."""
    started = {}

    class FakeCluster:
        def __init__(self, n_workers, **kwargs):
            started["workers"] = n_workers

        def close(self):
            pass

    class FakeClient:
        def __init__(self, cluster, timeout):
            pass

        def get_executor(self):
            return "executor"

        def close(self):
            pass

    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", FakeClient)
    with cli._dask_executor("local", 1024, 2) as executor:
        assert executor == "executor"
    assert started["workers"] == 2


# ----------------------------------------------------------------- as a real process


def run_module(*args):
    return subprocess.run([sys.executable, "-m", "sigconv.cli", *args], capture_output=True,
                          text=True, check=False, timeout=300)


def test_a_billion_fourier_terms_is_an_argument_error():
    """The probe's case: a MemoryError traceback before the option had a range."""
    result = run_module("fourier", "--terms", "1000000000")
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "--terms", "<= 1000000")


def test_a_cifar_archive_with_a_dangling_link(tmp_path):
    """The probe's case: tarfile's KeyError escaped as a traceback."""
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo(f"{FOLDER}/data_batch_1")
        info.type, info.linkname = tarfile.SYMTYPE, "nowhere"
        tar.addfile(info)
    result = run_module("train", "--dataset", "cifar10", "--data-dir", str(tmp_path),
                        "--no-download")
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "cifar-10-python.tar.gz", "link")


def test_an_unexpected_exception_in_a_real_process(tmp_path):
    code = ("import sys, sigconv\nfrom sigconv import cli\n"
            "def boom(*a, **k):\n    raise MemoryError()\n"
            "sigconv.FourierSeries.square_wave = boom\n"
            "sys.exit(cli.main(['fourier', '--out', 'f.png']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=300, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "out of memory")
    assert not os.path.exists(tmp_path / "f.png")
