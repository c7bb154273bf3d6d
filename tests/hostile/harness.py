"""Shared tools of the hostile-input suite.

* :func:`outcome` calls a public function and returns its result, or the exception it raised
  after checking that the exception is one of the documented kinds and names the argument.
* :func:`run_isolated` runs a snippet in a child process with an address-space limit and a
  timeout, and reports how it ended (a result, an exception, a hang or a crash).
* ``hostile_arrays`` and friends: Hypothesis strategies for the inputs users get wrong.
"""

import ast
import json
import resource
import subprocess
import sys
import textwrap

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: the exceptions sigconv promises for bad input (OverflowError: an exact integer result
#: that does not fit its dtype; MemoryError: a size refused before allocating)
DOCUMENTED = (ValueError, TypeError, OverflowError, MemoryError)


def check_error(exc, names, kinds=DOCUMENTED):
    """Assert ``exc`` is one of ``kinds`` and its message names one of ``names``."""
    assert isinstance(exc, kinds), f"undocumented exception {type(exc).__name__}: {exc}"
    if isinstance(names, str):
        names = (names,)
    message = str(exc)
    assert any(name in message for name in names), (
        f"{type(exc).__name__} does not name any of {names}: {message!r}")


def outcome(names, function, *args, kinds=DOCUMENTED, **kwargs):
    """``function(*args, **kwargs)``'s result, or None after checking the clear error.

    Parameters
    ----------
    names : str or tuple of str
        The arguments (any one of them) that the error message must name.
    """
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - classified by check_error
        check_error(exc, names, kinds)
        return None


_CHILD = """
import json, sys, traceback
def _report(**fields):
    sys.stdout.write("\\n@@HOSTILE@@" + json.dumps(fields) + "\\n")
try:
{body}
except BaseException as exc:  # noqa
    _report(status="raised", type=type(exc).__name__, message=str(exc)[:2000],
            traceback=traceback.format_exc()[-4000:])
else:
    _report(status="returned", value=repr(globals().get("result"))[:2000])
"""


def run_isolated(code, memory_gib=2.0, timeout=120, env=None):
    """Run ``code`` in a fresh interpreter capped at ``memory_gib`` of address space.

    ``code`` may set a variable ``result``; its repr comes back. Returns a dict with
    ``status`` (``"returned"``, ``"raised"``, ``"hang"`` or ``"crashed"``) and, where
    applicable, ``type``, ``message``, ``value``, ``stderr``.
    """
    limit = int(memory_gib * (1 << 30))

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    source = _CHILD.format(body=textwrap.indent(textwrap.dedent(code), "    "))
    try:
        done = subprocess.run([sys.executable, "-c", source], preexec_fn=cap, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "hang", "timeout": timeout}
    marker = done.stdout.rfind("@@HOSTILE@@")
    if marker < 0:
        return {"status": "crashed", "returncode": done.returncode,
                "stderr": done.stderr[-4000:]}
    return json.loads(done.stdout[marker + len("@@HOSTILE@@"):])


def assert_isolated_error(code, names, kinds=("MemoryError", "ValueError"), **options):
    """Run ``code`` isolated and assert it raised one of ``kinds`` naming one of ``names``
    (never a hang, a crash or NumPy's own MemoryError without the argument's name)."""
    report = run_isolated(code, **options)
    assert report["status"] == "raised", f"expected a clear error, got {report}"
    assert report["type"] in kinds, f"expected one of {kinds}, got {report}"
    if isinstance(names, str):
        names = (names,)
    assert any(name in report["message"] for name in names), report
    return report


def assert_isolated_memory_errors(cases, setup="", memory_gib=2.0, timeout=240):
    """Run every case of ``cases`` (name -> (expression, the text the message must name))
    in one child process under ``memory_gib``, after ``setup``; each must end in sigconv's
    MemoryError naming it, before NumPy tries to allocate: not in NumPy's own MemoryError,
    a result, a crash or a hang."""
    body = "\n".join(f"    {name!r}: (lambda: {expression}, {names!r}),"
                     for name, (expression, names) in cases.items())
    code = f"""
import numpy as np
import sigconv as sc
{setup}
cases = {{
{body}
}}
result = {{}}
for name, (case, names) in cases.items():
    try:
        case()
        result[name] = "returned"
    except Exception as exc:   # the report's repr is cut at 2000 characters: be brief
        message = str(exc)
        result[name] = type(exc).__name__ + (" named" if names in message else
                                             ": " + message[:100])
"""
    report = run_isolated(code, memory_gib=memory_gib, timeout=timeout)
    assert report["status"] == "returned", report
    outcomes = ast.literal_eval(report["value"])
    assert set(outcomes) == set(cases), outcomes
    for name, outcome in outcomes.items():
        assert outcome == "MemoryError named", (name, outcome)


def assert_isolated_finishes(code, **options):
    """Run ``code`` isolated and assert it returned (no hang, no crash) ; its report."""
    report = run_isolated(code, **options)
    assert report["status"] == "returned", f"expected a result, got {report}"
    return report


# --------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------
#: dtypes that sigconv accepts (numeric) and refuses (everything else), the awkward ones
NUMERIC_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64,
                  np.float16, np.float32, np.float64, np.complex64, np.complex128]
AWKWARD_DTYPES = [np.dtype(np.longdouble), np.dtype(np.clongdouble), np.dtype("O"), np.dtype("U3"),
                  np.dtype("S3"), np.dtype("M8[s]"), np.dtype("m8[s]"),
                  np.dtype([("a", "f8")])]


def special_values(dtype):
    """Values at the edges of ``dtype``: limits, zero, NaN and the infinities."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.sampled_from([info.min, info.max, 0, 1, info.max // 2])
    if dtype.kind in "fc":
        info = np.finfo(dtype)
        return st.sampled_from([float(info.max), -float(info.max), float(info.tiny), 0.0,
                                np.nan, np.inf, -np.inf, 1.0])
    return st.booleans()


@st.composite
def numeric_arrays(draw, min_dims=0, max_dims=3, max_side=6, dtypes=NUMERIC_DTYPES,
                   min_side=0, layouts=True):
    """Numeric arrays of any layout: 0-d, empty, Fortran-ordered, strided, reversed,
    read-only; values ordinary or at the dtype's limits."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                  max_side=max_side)) if max_dims else ()
    if draw(st.booleans()):
        elements = special_values(dtype)
    else:
        elements = None
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    if not layouts or array.ndim == 0:
        return array
    layout = draw(st.sampled_from(["c", "f", "reversed", "strided", "readonly"]))
    if layout == "f":
        array = np.asfortranarray(array)
    elif layout == "reversed":
        array = array[..., ::-1]
    elif layout == "strided":
        array = np.repeat(array, 2, axis=-1)[..., ::2]
    elif layout == "readonly":
        array = array.copy()
        array.flags.writeable = False
    return array


@st.composite
def awkward_arrays(draw, max_dims=2):
    """Arrays no numeric function should take: object, str, bytes, datetimes, records,
    extended precision, plus ragged nested lists."""
    if draw(st.booleans()):
        return draw(st.sampled_from([[[1, 2], [3]], [1, [2, 3]], ["a", 1], [None, 1.0],
                                     {"a": 1}, None, "text", b"bytes"]))
    dtype = np.dtype(draw(st.sampled_from(AWKWARD_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=4))
    if dtype.kind in "fc":
        return np.ones(shape, dtype)
    if dtype.kind == "O":
        return np.full(shape, None, dtype)
    return np.zeros(shape, dtype)


class Opaque:
    """An object of no kind an argument asks for. Its repr, unlike ``object()``'s, holds
    no memory address, so test ids are the same in every process (pytest-xdist's workers
    compare their collections)."""

    def __repr__(self):
        return "Opaque()"


#: numbers that are not the finite real an argument asks for
BAD_REALS = [np.nan, np.inf, -np.inf, "1", None, 1 + 1j, [1.0], True, np.float64("nan"),
             Opaque()]
#: numbers that are not the positive integer an argument asks for
BAD_COUNTS = [0, -1, 1.5, "3", None, np.nan, True, 2**70, [3]]
