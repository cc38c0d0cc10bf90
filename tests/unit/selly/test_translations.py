"""The panel speaks Polish: every string the code and the templates mark for translation has a Polish text in
``locale/pl``, none of them fuzzy (a fuzzy entry is left out of the compiled catalogue, so the panel shows the
English source), and the compiled ``django.mo`` is the one the ``.po`` gives.

The check runs Django's own ``makemessages`` over a copy of the tree's layout (symlinks to the code, a copy of
the catalogue), so the repository's files are never touched, and reads the result with gettext's ``msgattrib``
and ``msgcmp``; it needs GNU gettext (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "locale" / "pl" / "LC_MESSAGES"
# What `make messages` leaves out: the emulator speaks for Allegro, not for the panel.
NOT_SCANNED = {".git", ".venv", "var", "locale", "allegro_emulator", "node_modules"}

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgfmt", "msgattrib", "msgcmp")),
    reason="GNU gettext (xgettext, msgmerge, msgfmt, msgattrib, msgcmp) is not installed",
)


def _gettext(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def _entries_with(attribute: str, po: Path) -> list[str]:
    """The live entries of ``po`` that ``msgattrib --<attribute>`` selects (its header, always printed, left out)."""
    selected = _gettext("msgattrib", f"--{attribute}", "--no-obsolete", "--no-wrap", str(po))
    assert selected.returncode == 0, selected.stderr
    return [block for block in selected.stdout.strip().split("\n\n")[1:] if block]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> Path:
    """The Polish catalogue as ``make messages`` would refresh it from today's code."""
    tree = tmp_path_factory.mktemp("messages")
    for entry in ROOT.iterdir():
        if entry.name not in NOT_SCANNED and not entry.name.startswith("."):
            (tree / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    shutil.copytree(CATALOGUE, tree / "locale" / "pl" / "LC_MESSAGES")
    env = {**os.environ, "DJANGO_DEBUG": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "--no-location", "--symlinks"]
        + [f"--ignore={name}" for name in sorted(NOT_SCANNED)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return tree / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def test_every_marked_string_has_a_polish_text(refreshed):
    untranslated = _entries_with("untranslated", refreshed)
    assert not untranslated, "no Polish text for:\n" + "\n".join(untranslated)


def test_no_polish_text_is_fuzzy(refreshed):
    fuzzy = _entries_with("only-fuzzy", refreshed)
    assert not fuzzy, "fuzzy (shown in English until checked):\n" + "\n".join(fuzzy)


def test_the_committed_catalogue_is_up_to_date_with_the_code(refreshed):
    """Every string of the code is in the committed ``.po`` (run ``make messages`` after adding some)."""
    compared = _gettext(
        "msgcmp",
        "--no-fuzzy-matching",
        "--use-untranslated",
        "--use-fuzzy",
        str(CATALOGUE / "django.po"),
        str(refreshed),
    )
    assert compared.returncode == 0, "not in locale/pl (run make messages):\n" + compared.stderr


def test_the_compiled_catalogue_matches_the_po(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True, timeout=60)
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run make messages: django.mo is stale"
