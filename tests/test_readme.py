"""The README's Python examples run and do what they say."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)   # the CNN example saves a model
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own README
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.startswith("True")
    loss, accuracy = (float(v) for v in second.strip("[]").split(","))
    assert accuracy > 0.9 and (tmp_path / "digits.npz").exists()
