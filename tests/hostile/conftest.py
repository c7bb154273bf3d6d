"""The hostile-input suite: every public argument fed what a careless or malicious caller
might pass, each case ending in the oracle's result or a documented exception whose message
names the argument. Cases that could allocate without bound or hang run in a child process
under a memory limit and a timeout (``harness.run_isolated``), so that a regression fails its
test instead of taking the test run down."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
