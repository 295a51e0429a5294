"""`make wheel`'s artifact installs into a fresh venv outside the source tree and works there."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        pytest.fail("uv is not installed: run scripts/setup (requirements/dev.txt installs it)")
    return found


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_tree(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [str(Path(sys.executable).parent / "maturin"), "build", "--release", "--out", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=900,
    )
    wheels = list(dist.glob("archer_rl-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp_path / "venv"
    uv = _uv()
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120
    )
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    subprocess.run([uv, "pip", "install", "-q", str(wheels[0])], check=True, env=env, timeout=600)

    # Run from an unrelated directory so the source tree cannot be imported by accident.
    work = tmp_path / "elsewhere"
    work.mkdir()
    help_out = subprocess.run(
        [str(venv / "bin" / "archer"), "--help"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert help_out.returncode == 0, help_out.stderr
    assert "version" in help_out.stdout
    version_out = subprocess.run(
        [str(venv / "bin" / "archer"), "version"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert version_out.returncode == 0, version_out.stderr
    assert "archer._native 0.1.0" in version_out.stdout
    code = (
        "import archer, archer._native as n; from archer.scoring import advantages;"
        "r = advantages([1.0, 0.0], [0, 0]);"
        "assert 'site-packages' in archer.__file__, archer.__file__;"
        "print(round(float(r.advantages[0]), 4), r.valid)"
    )
    native = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert native.returncode == 0, native.stderr
    assert native.stdout.split() == ["0.7071", "1"]
    # The type stubs and the py.typed marker ship in the wheel.
    site = next((venv / "lib").glob("python3*/site-packages/archer"))
    assert (site / "_native.pyi").exists() and (site / "py.typed").exists()
