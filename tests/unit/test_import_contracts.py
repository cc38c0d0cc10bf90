"""The import contracts of pyproject.toml bite: a copy of the code with forbidden arrows added fails and names
each arrow, an import for type checking only does not count, and the real repository passes."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("allegro", "shop", "orders", "selly_allegro", "allegro_emulator")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Each bad module (or code added to a real one), the contract it breaks and the arrow the report must name.
BAD_ARROWS = {
    "shop/bad_arrow.py": (
        "from allegro.offers.models import Offer  # noqa\n",
        "shop and orders know nothing of Allegro BROKEN",
        "shop.bad_arrow -> allegro.offers.models",
    ),
    "orders/bad_arrow.py": (
        "import allegro_emulator  # noqa\n",
        "No product code imports the emulator BROKEN",
        "orders.bad_arrow -> allegro_emulator",
    ),
    "allegro/offers/services/bad_arrow.py": (
        "import requests  # noqa\n",
        "Only allegro.integration.client talks HTTP (imports requests) BROKEN",
        "allegro.offers.services.bad_arrow -> requests",
    ),
    "allegro/core/services/bad_arrow.py": (
        "from allegro.accounts.models import AllegroAccount  # noqa\n",
        "allegro.core is not allowed to import allegro.accounts",
        "allegro.core.services.bad_arrow -> allegro.accounts.models",
    ),
    "allegro/sync/services/bad_arrow.py": (
        "from allegro.sync.tasks import sync_flush_task  # noqa\n",
        "allegro.sync.services is not allowed to import allegro.sync.tasks",
        "allegro.sync.services.bad_arrow -> allegro.sync.tasks",
    ),
    # A lazy import inside a function is an arrow too: a model may not reach up to a service.
    "allegro/sync/models.py": (
        "\n\ndef _bad_arrow():\n    from allegro.sync.services.queue import offers_queue  # noqa\n",
        "allegro.sync.models is not allowed to import allegro.sync.services",
        "allegro.sync.models -> allegro.sync.services.queue",
    ),
}

TYPE_CHECKING_ONLY = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from allegro.accounts.models import AllegroAccount  # noqa\n"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH is only the tree under test, so the graph is built from that copy and nothing else.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory) -> subprocess.CompletedProcess:
    tree = tmp_path_factory.mktemp("contracts")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    for relative, (source, _contract, _arrow) in BAD_ARROWS.items():
        path = tree / relative
        path.write_text(path.read_text() + source if path.exists() else source)
    (tree / "allegro/core/services/typed_only.py").write_text(TYPE_CHECKING_ONLY)
    return lint_imports(tree)


def test_a_copy_with_forbidden_arrows_fails(broken_copy):
    assert broken_copy.returncode != 0, broken_copy.stdout


@pytest.mark.parametrize("relative", sorted(BAD_ARROWS))
def test_the_report_names_each_forbidden_arrow(broken_copy, relative):
    _source, contract, arrow = BAD_ARROWS[relative]
    assert contract in broken_copy.stdout, broken_copy.stdout
    assert arrow in broken_copy.stdout, broken_copy.stdout


def test_an_import_for_type_checking_only_is_no_arrow(broken_copy):
    assert "typed_only" not in broken_copy.stdout, broken_copy.stdout


def test_the_repository_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_integration_room_imports_no_django_model():
    """allegro/integration talks HTTP and limits the rate; the ORM stays outside (settings are fine)."""
    offending = []
    for path in sorted((ROOT / "allegro/integration").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if name.startswith(("django.db", "django.contrib", "django.apps")) or "models" in parts:
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offending == []
