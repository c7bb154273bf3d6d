"""The lecture's code, kept as scripts that tests/test_nn_keras_layout.py runs.

They are not test modules, and importing them (as ``--doctest-modules`` would) would
train the networks at collection time: pytest collects nothing here.
"""

collect_ignore_glob = ["*.py"]
