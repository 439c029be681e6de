"""The package as a user gets it: `uv build` makes an sdist and a wheel; the wheel installs into a fresh
virtual environment and runs the demo from there, far from this checkout.

The install resolves the dependencies from uv's cache when it can (offline) and from the package
index otherwise; every step is bounded in time. Takes a few seconds with a warm cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement

from hyperrep_mcp import __version__
from hyperrep_mcp.sandbox import SandboxConfig, create_app

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
NAME = PYPROJECT["project"]["name"]
DIST = NAME.replace("-", "_")
REPOSITORY_URL = "https://github.com/hyperrep/hyperrep-mcp"
MCP_NAME_MARKER = "mcp-name: io.github.hyperrep/hyperrep-mcp"
# Never in an sdist: environments, caches, build output, other ecosystems' installs, the lock file.
FORBIDDEN_PARTS = {
    ".venv", "node_modules", "__pycache__", ".git", ".pytest_cache", ".ruff_cache", ".hypothesis",
    "dist", "build", "results",
}  # fmt: skip
STEP_TIMEOUT_S = 240


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.fail("uv is needed to build and install the package: python3 -m pip install uv")
    return uv


def _clean_env() -> dict[str, str]:
    """The environment of a user's shell: nothing pointing into this checkout or its virtualenv."""
    drop = (
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "UV_PROJECT_ENVIRONMENT",
        "CONDA_PREFIX",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("HYPERREP_")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if str(REPO) not in p)
    env["NO_COLOR"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _run_with_index(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A uv command that may need the package index: from the cache if possible, else online."""
    try:
        return _run([*args, "--offline"], cwd)
    except AssertionError:
        return _run(args, cwd)


@dataclass
class Built:
    sdist: Path
    wheel: Path


@dataclass
class Installed:
    root: Path  # a directory outside the checkout, the working directory of every command
    python: Path
    script: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([self.script, *args], self.root)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    _run_with_index([_uv(), "build", "--out-dir", out, REPO], REPO)
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert [p.name for p in sdists] == [f"{DIST}-{__version__}.tar.gz"]
    assert [p.name for p in wheels] == [f"{DIST}-{__version__}-py3-none-any.whl"]
    return Built(sdists[0], wheels[0])


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("user")
    assert REPO not in root.parents
    venv = root / "venv"
    # The interpreter this test runs on (no download); uv finds its base installation.
    _run([_uv(), "venv", "--python", sys.executable, venv], root)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run_with_index([_uv(), "pip", "install", "--python", python, built.wheel], root)
    script = venv / ("Scripts/hyperrep-mcp.exe" if os.name == "nt" else "bin/hyperrep-mcp")
    assert script.is_file(), "the wheel did not install the hyperrep-mcp console script"
    return Installed(root, python, script)


def _repo_files(folder: str, pattern: str) -> set[str]:
    base = REPO / folder
    return {
        p.relative_to(REPO).as_posix()
        for p in base.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }


# --- the wheel, installed ------------------------------------------------------------------------


def test_the_installed_wheel_runs_the_demo_outside_the_checkout(installed: Installed) -> None:
    done = installed.run("call", "list_organizations", "--demo")
    data = create_app(SandboxConfig()).state.sandbox.data
    names = [org.org.name for org in data.orgs.values()]
    assert done.stdout.startswith(f"Organizations this key can access — {len(names)}\n"), done.stdout
    for org in data.orgs.values():
        assert f"- {org.org.name} · organization_id={org.organization_id}" in done.stdout
    assert done.stderr == ""


def test_the_installed_code_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    probe = (
        "import json, hyperrep_mcp, hyperrep_mcp.sandbox\n"
        "from hyperrep_mcp.server.prompts import load_prompt_files, prompts_dir\n"
        "print(json.dumps({'package': hyperrep_mcp.__file__, 'version': hyperrep_mcp.__version__,\n"
        "  'prompts': str(prompts_dir()), 'names': sorted(p.name for p in load_prompt_files())}))"
    )
    # -I: isolated mode, so neither the working directory nor PYTHON* variables reach sys.path.
    found = json.loads(_run([installed.python, "-I", "-c", probe], installed.root).stdout)
    package = Path(found["package"]).resolve()
    venv = (installed.root / "venv").resolve()
    assert venv in package.parents and "site-packages" in package.parts, package
    assert REPO not in package.parents
    assert Path(found["prompts"]).resolve() == package.parent / "prompts"
    assert found["names"] == sorted(p.stem for p in (REPO / "prompts").glob("*.md"))
    assert found["version"] == __version__


def test_the_installed_command_reports_its_version_and_passes_the_demo_doctor(installed: Installed) -> None:
    assert installed.run("--version").stdout.strip() == f"hyperrep-mcp {__version__}"
    doctor = installed.run("doctor", "--demo").stdout
    assert "All checks passed." in doctor
    assert "[FAIL]" not in doctor


# --- the wheel's contents -------------------------------------------------------------------------


def test_the_wheel_carries_the_package_the_prompts_and_the_sandbox(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        prompts = {
            n: wheel.read(n) for n in names if n.startswith("hyperrep_mcp/prompts/") and n.endswith(".md")
        }
    assert _repo_files("hyperrep_mcp", "*.py") <= names  # sandbox and all
    assert any(n.startswith("hyperrep_mcp/sandbox/") for n in names)
    assert {
        f"hyperrep_mcp/prompts/{PurePosixPath(p).name}": (REPO / p).read_bytes()
        for p in _repo_files("prompts", "*.md")
    } == prompts
    assert f"{DIST}-{__version__}.dist-info/licenses/LICENSE" in names
    assert not any(n.startswith(("tests/", "bench/", "prompts/")) for n in names)
    assert not any(n.endswith(".pyc") or "__pycache__" in n for n in names)


def test_the_wheel_metadata_is_complete(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        meta_bytes = wheel.read(f"{DIST}-{__version__}.dist-info/METADATA")
        entry_points = wheel.read(f"{DIST}-{__version__}.dist-info/entry_points.txt").decode()
    meta = BytesHeaderParser().parsebytes(meta_bytes)
    assert meta["Name"] == NAME and meta["Version"] == __version__
    assert meta["Summary"] and meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "MIT"
    # PEP 639: with a license expression, license classifiers are deprecated (and refused on upload).
    assert not [c for c in meta.get_all("Classifier", []) if c.startswith("License ::")]
    assert "Repository, " + REPOSITORY_URL in meta.get_all("Project-URL", [])
    assert meta["Description-Content-Type"] == "text/markdown"
    assert MCP_NAME_MARKER in meta_bytes.decode()  # the registry's ownership check reads this
    assert "hyperrep-mcp = hyperrep_mcp.cli:main" in entry_points


def test_dependencies_are_bounded_and_as_declared(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        meta = BytesHeaderParser().parsebytes(wheel.read(f"{DIST}-{__version__}.dist-info/METADATA"))
    shipped = {str(Requirement(r)) for r in meta.get_all("Requires-Dist", [])}
    declared = {str(Requirement(r)) for r in PYPROJECT["project"]["dependencies"]}
    assert shipped == declared
    for requirement in map(Requirement, shipped):
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", "~=", "=="}, f"{requirement} has no lower bound"
        assert operators & {"<", "~=", "=="}, f"{requirement} has no upper bound"


# --- the sdist -------------------------------------------------------------------------------------


def test_the_sdist_holds_the_sources_and_nothing_local(built: Built) -> None:
    top = f"{DIST}-{__version__}"
    with tarfile.open(built.sdist) as sdist:
        members = [m.name for m in sdist.getmembers() if m.isfile()]
    assert all(m.startswith(top + "/") for m in members)
    files = {m.removeprefix(top + "/") for m in members}
    bad = sorted(
        f
        for f in files
        if FORBIDDEN_PARTS & set(PurePosixPath(f).parts) or f.endswith((".pyc", ".whl")) or f == "uv.lock"
    )
    assert bad == []
    assert not any(f.startswith("tests/e2e/clients/node_modules") for f in files)
    assert {"pyproject.toml", "README.md", "LICENSE", "server.json", "PKG-INFO"} <= files
    assert _repo_files("hyperrep_mcp", "*.py") | _repo_files("prompts", "*.md") <= files
    assert len(files) < 400, f"{len(files)} files: something unexpected was swept in"


# --- files that are committed --------------------------------------------------------------------

# Written in parts so that this file does not itself name a registry host.
REGISTRY_HOSTS = [
    ".".join(parts)
    for parts in (
        ("pypi", "org"),
        ("pythonhosted", "org"),
        ("npmjs", "org"),
        ("npmjs", "com"),
        ("yarnpkg", "com"),
        ("crates", "io"),
        ("rubygems", "org"),
        ("proxy", "golang", "org"),
        ("registry", "modelcontextprotocol", "io"),
    )
]


def _committed_files() -> list[Path]:
    """Tracked files (git), or this project's own top-level files where there is no git checkout."""
    if (REPO / ".git").exists() and shutil.which("git"):
        done = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, timeout=30, check=False
        )
        if done.returncode == 0:
            return [REPO / name for name in done.stdout.decode().split("\0") if name]
    return [REPO / n for n in ("README.md", "server.json", "pyproject.toml", "LICENSE")]


def test_no_committed_file_names_a_package_registry_host() -> None:
    pattern = re.compile("|".join(re.escape(h) for h in REGISTRY_HOSTS), re.IGNORECASE)
    offenders = []
    for path in _committed_files():
        if path.is_file() and (match := pattern.search(path.read_bytes().decode("utf-8", "replace"))):
            offenders.append(f"{path.relative_to(REPO)}: {match.group(0)}")
    assert offenders == []


def test_the_lock_file_stays_out_of_git() -> None:
    assert "uv.lock" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert REPO / "uv.lock" not in _committed_files()
