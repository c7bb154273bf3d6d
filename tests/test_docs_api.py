"""The API reference covers every public name, and every docstring's parameters match its
signature (numpydoc's validation: PR01 undocumented, PR02 unknown parameter, GL08 no
docstring)."""

import inspect
import pathlib
import re

import pytest
from numpydoc.validate import validate

import sigconv
from sigconv import dask as sigconv_dask
from sigconv import datasets, filters, nn, plotting

API = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()
MODULES = {"sigconv": sigconv, "sigconv.nn": nn, "sigconv.filters": filters,
           "sigconv.plotting": plotting, "sigconv.datasets": datasets,
           "sigconv.dask": sigconv_dask}


def autosummary_entries():
    """``module.name`` of every autosummary entry, with the module of its currentmodule."""
    entries, module = set(), "sigconv"
    for line in API.splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            module = match.group(1)
        elif re.match(r"   [A-Za-z_][\w.]*$", line):
            entries.add(f"{module}.{line.strip()}")
    return entries


PUBLIC = [(module_name, name) for module_name, module in MODULES.items()
          for name in module.__all__ if not inspect.ismodule(getattr(module, name))]


@pytest.mark.parametrize(("module_name", "name"), PUBLIC,
                         ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_public_name_is_in_the_api_reference_and_documented(module_name, name):
    assert f"{module_name}.{name}" in autosummary_entries(), "missing from docs/api.rst"
    problems = [(code, message) for code, message in validate(f"{module_name}.{name}")["errors"]
                if code in ("PR01", "PR02", "GL08")]
    assert not problems, problems
