"""Every Python example in docs/python.md and the README runs as written
(from the repository root, in a fresh interpreter)."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

FENCE = re.compile(r"```python\n(.*?)```", re.S)


def blocks(path):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return [(path, k, code) for k, code in enumerate(FENCE.findall(text))]


ALL = blocks("docs/python.md") + blocks("README.md")


def test_the_docs_have_examples():
    assert len(blocks("docs/python.md")) >= 9
    assert len(blocks("README.md")) >= 1


@pytest.mark.parametrize("path,k,code", ALL, ids=[f"{p}#{k}" for p, k, _ in ALL])
def test_example_runs(path, k, code):
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{path} example {k} failed:\n{code}\n--- stderr ---\n{run.stderr[-3000:]}"
