"""examples/quickstart.ipynb runs from top to bottom in a real Jupyter kernel.

The notebook is executed with nbclient in an IPython kernel (ipykernel) started with this
interpreter; any cell that raises fails the test.  Checked besides: the committed file has
no outputs, the version line is printed, the Results table and the DataFrame are shown, the
plot is drawn, and the exported network loads back with the same outputs.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def _kernel_here(tmp_path: Path, monkeypatch) -> None:
    """A ``python3`` kernel spec that runs this interpreter (JUPYTER_PATH comes first)."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (superpose tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    data = output.get("data", {})
    return data.get("text/plain", "") + data.get("text/html", "")


def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    import superpose

    _kernel_here(tmp_path, monkeypatch)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()          # raises CellExecutionError if any cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(_text(o) for o in outputs)
    assert f"superpose {superpose.__version__}\n" in text
    assert "Results('uand-random', seed=0, trials=2000)" in text
    assert "all checks passed: True" in text
    assert 'class="dataframe"' in text                          # the DataFrame (pandas)
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot
    assert "same as the built network: True" in text
    assert not list(tmp_path.glob("*.png"))                        # nothing saved to disk
