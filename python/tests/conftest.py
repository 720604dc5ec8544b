"""Test set-up: a gennctl binary ($GENNCTL, else built from this repository),
a private module cache, and a temporary working directory per test (models
write <name>_CODE/ and sweeps out/ there)."""
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session", autouse=True)
def gennctl_binary(tmp_path_factory):
    cache = tmp_path_factory.mktemp("module-cache")
    os.environ["GENNCTL_CACHE"] = str(cache)
    if os.environ.get("GENNCTL"):
        return os.environ["GENNCTL"]
    go = shutil.which("go") or "/usr/local/go/bin/go"
    exe = str(tmp_path_factory.mktemp("bin") / "gennctl")
    subprocess.run([go, "build", "-o", exe, "./cmd/gennctl"], cwd=REPO, check=True)
    os.environ["GENNCTL"] = exe
    return exe


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(params=["cpu", "cuda"])
def backend(request, monkeypatch):
    """Each backend in turn: cuda is the CUDA backend's module with its
    kernels run thread by thread on the host (GENNCTL_CUDA_EMULATION=1), so
    the CUDA code path is tested without a GPU."""
    if request.param == "cuda":
        monkeypatch.setenv("GENNCTL_CUDA_EMULATION", "1")
    return request.param
