"""The layers of docs/architecture.md hold: no app imports a layer above it, no import is hidden.

The contract itself is `[tool.importlinter]` in pyproject.toml; these tests run import-linter on the tree
(so `make test` and CI check it), show that it really fails on a planted upward import, and read the AST
for imports that import-linter cannot see (`importlib.import_module`, `__import__`).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qingcheng"

# Calls that import a module named by a string. Allowed nowhere in qingcheng/ outside tests; Django's
# own discovery (INSTALLED_APPS, `autodiscover_modules`) does the dynamic imports the framework needs.
HIDDEN_IMPORTS = {"import_module", "__import__"}
# (path relative to the repository, reason). Empty: nothing of ours needs a hidden import today.
HIDDEN_IMPORT_ALLOWED: dict[str, str] = {}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter as `make test` would, in a fresh interpreter rooted at `cwd`."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_tree(dest: Path) -> None:
    """The Python files of qingcheng/ and pyproject.toml, enough for import-linter to build the graph."""
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for source in PACKAGE.rglob("*.py"):
        target = dest / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


def test_the_layer_contract_holds():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every contract of pyproject.toml ran and held (the app layers, the enforcement sub-domains, the
    # emergency service modules, the intake channels, the test support imported only by tests, the
    # case service sections), so a contract that stops being read fails here too.
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 6
    assert f"{len(contracts)} kept, 0 broken" in result.stdout


def test_the_layer_contract_fails_on_a_planted_upward_import(tmp_path):
    _copy_tree(tmp_path)
    assert _lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    # cases is below intake: a case service reaching up into a channel must break the contract.
    (tmp_path / "qingcheng" / "cases" / "planted.py").write_text(
        "from qingcheng.intake import services  # noqa: F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "qingcheng.cases is not allowed to import qingcheng.intake" in result.stdout
    assert "qingcheng.cases.planted -> qingcheng.intake.services" in result.stdout


def test_emergency_service_modules_may_not_import_each_other(tmp_path):
    _copy_tree(tmp_path)
    incidents = tmp_path / "qingcheng" / "emergency" / "services" / "incidents.py"
    incidents.write_text(incidents.read_text() + "\nfrom . import supplies  # noqa: E402, F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "qingcheng.emergency.services.incidents is not allowed to import" in result.stdout


def test_peer_domains_may_not_import_each_other(tmp_path):
    _copy_tree(tmp_path)
    (tmp_path / "qingcheng" / "sensing" / "planted.py").write_text(
        "from qingcheng.emergency import models  # noqa: F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "qingcheng.sensing is not allowed to import qingcheng.emergency" in result.stdout


def test_the_penalty_procedure_may_not_import_a_sub_domain_built_on_it(tmp_path):
    # Payments register into the penalty hooks (enforcement/apps.py); a direct import back is a cycle.
    _copy_tree(tmp_path)
    (tmp_path / "qingcheng" / "enforcement" / "penalty" / "planted.py").write_text(
        "from qingcheng.enforcement.payments import services  # noqa: F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())  # the report wraps long module names
    assert "qingcheng.enforcement.penalty is not allowed to import qingcheng.enforcement.payments" in report
    assert "qingcheng.enforcement.penalty.planted -> qingcheng.enforcement.payments.services" in report


def test_enforcement_sub_domains_may_not_import_each_other(tmp_path):
    _copy_tree(tmp_path)
    (tmp_path / "qingcheng" / "enforcement" / "disclosure" / "planted.py").write_text(
        "from qingcheng.enforcement.transfers import services  # noqa: F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())
    assert (
        "qingcheng.enforcement.disclosure is not allowed to import qingcheng.enforcement.transfers" in report
    )


def test_only_tests_may_import_the_test_support(tmp_path):
    _copy_tree(tmp_path)
    (tmp_path / "qingcheng" / "web" / "planted.py").write_text(
        "from qingcheng.testing.browser import XSS_PAYLOADS  # noqa: F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())
    assert "qingcheng.web is not allowed to import qingcheng.testing" in report


def test_case_service_sections_may_not_import_each_other(tmp_path):
    # Sweeps, reporting and actions share only services.records; a sweep reaching into the actions would
    # tie the periodic jobs to the request path again.
    _copy_tree(tmp_path)
    sweeps = tmp_path / "qingcheng" / "cases" / "services" / "sweeps.py"
    sweeps.write_text(
        sweeps.read_text() + "from qingcheng.cases.services import actions  # noqa: E402, F401\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())
    assert (
        "qingcheng.cases.services.sweeps is not allowed to import qingcheng.cases.services.actions" in report
    )


def test_intake_channels_may_not_import_each_other(tmp_path):
    # A channel reaching into another (the hotline into the public reports) would make one channel's
    # change a change of both; what they share lives in the case services and catalogue.
    _copy_tree(tmp_path)
    hotline = tmp_path / "qingcheng" / "intake" / "services" / "hotline.py"
    hotline.write_text(hotline.read_text() + "from . import public  # noqa: E402, F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    report = " ".join(result.stdout.split())
    assert (
        "qingcheng.intake.services.hotline is not allowed to import qingcheng.intake.services.public"
        in report
    )


def _hidden_imports(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in HIDDEN_IMPORTS:
            lines.append(node.lineno)
    return lines


def test_hidden_imports_are_found(tmp_path):
    # The reader below must see every spelling, or the next test proves nothing.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import importlib\nfrom importlib import import_module\n"
        "importlib.import_module('x')\nimport_module('y')\nm = __import__('z')\n"
    )
    assert _hidden_imports(sample) == [3, 4, 5]


def test_no_import_is_hidden_from_the_contract():
    # Tests may import what they need (e.g. a migration module whose name starts with a digit).
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "tests" in relative.parts or str(relative) in HIDDEN_IMPORT_ALLOWED:
            continue
        found += [f"{relative}:{line}" for line in _hidden_imports(path)]
    assert not found, f"imports hidden from import-linter (use a plain import): {found}"


def _app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _private_reads(path: Path, root: Path = ROOT) -> list[str]:
    """Private names (`_x`) of another app this module imports or reads off an imported module."""
    relative = path.relative_to(root)
    own = relative.parts[1] if len(relative.parts) > 2 else relative.stem
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: dict[str, str] = {}  # local name → module of another app
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qingcheng."):
            if _app_of(node.module) == own:
                continue
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{relative}:{node.lineno} {node.module}.{alias.name}")
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("qingcheng.") and _app_of(alias.name) != own and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        target = name = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target, name = node.value.id, node.attr
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant)
        ):
            target, name = node.args[0].id, str(node.args[1].value)
        if target in modules and name.startswith("_") and not name.startswith("__"):
            found.append(f"{relative}:{node.lineno} {modules[target]}.{name}")
    return found


def test_private_reads_are_found(tmp_path):
    sample = tmp_path / "qingcheng" / "evaluation" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "from qingcheng.cases import export as case_export\n"
        "from qingcheng.cases.export import _as_of\n"
        "from qingcheng.evaluation.models import _own\n"
        "rows = case_export._FIELDS\n"
        "guards = getattr(case_export, '_GUARDS', {})\n"
    )
    found = _private_reads(sample, root=tmp_path)
    assert [entry.split(" ", 1)[1] for entry in found] == [
        "qingcheng.cases.export._as_of",
        "qingcheng.cases.export._FIELDS",
        "qingcheng.cases.export._GUARDS",
    ]


def test_no_app_reads_a_private_name_of_another_app():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        found += _private_reads(path)
    assert not found, f"private names read across apps (make them public, e.g. in selectors): {found}"
