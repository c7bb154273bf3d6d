"""Sphinx configuration for the sigconv documentation.

Build from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build must work offline (CI and the build machines have no internet), so the
intersphinx inventories of NumPy, SciPy, Matplotlib and Python are only fetched when
``SIGCONV_DOCS_INTERSPHINX=1`` is set.
"""

import inspect
import os
import sys
from pathlib import Path

# document the checkout next to this file, even when another sigconv is installed
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sigconv  # noqa: E402

# -- project information ---------------------------------------------------------------
project = "sigconv"
author = "The sigconv developers"
copyright = "The sigconv developers"
release = sigconv.__version__
version = ".".join(release.split(".")[:2])

# -- general configuration -------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

# -- tutorials: executed by sphinx-gallery into pages with figures and notebooks ------------
# SIGCONV_QUICK_TUTORIALS=1 (set by CI) caps the epochs of the training tutorials; each
# page says so when it is on
sphinx_gallery_conf = {
    "examples_dirs": "../tutorials",
    "gallery_dirs": "auto_tutorials",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reference_url": {"sigconv": None},
    "abort_on_example_error": True,
    "run_stale_examples": True,
}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- autodoc / autosummary ---------------------------------------------------------------
# stubs land in docs/api/generated (gitignored), next to api.rst's :toctree:
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types

# -- numpydoc ------------------------------------------------------------------------------
# the class template lists ToeplitzOperator's own methods with autodoc; numpydoc's member
# tables would point at stubs of every inherited LinearOperator method, which do not exist
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- intersphinx (opt-in: needs the network) ---------------------------------------------
_INTERSPHINX_TARGETS = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
if os.environ.get("SIGCONV_DOCS_INTERSPHINX", "0") == "1":
    intersphinx_mapping = _INTERSPHINX_TARGETS
else:
    intersphinx_mapping = {}
intersphinx_timeout = 10

# -- HTML output ---------------------------------------------------------------------------
html_theme = "furo"
html_title = f"sigconv {release}"
html_theme_options = {"navigation_with_keys": True}
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True


# -- signatures ------------------------------------------------------------------------------
def _init_signature(app, what, name, obj, options, signature, return_annotation):
    """Show ``__init__``'s signature for sigconv classes.

    :class:`scipy.sparse.linalg.LinearOperator` defines ``__new__(cls, *args, **kwargs)``,
    which autodoc would otherwise show for :class:`sigconv.ToeplitzOperator`.
    """
    if what != "class" or not getattr(obj, "__module__", "").startswith("sigconv"):
        return None
    init = obj.__dict__.get("__init__")
    if init is None:
        return None
    parameters = list(inspect.signature(init).parameters.values())[1:]  # drop self
    return str(inspect.Signature(parameters)), return_annotation


def setup(app):
    app.connect("autodoc-process-signature", _init_signature)
