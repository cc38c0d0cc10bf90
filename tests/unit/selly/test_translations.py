"""The panel speaks Polish: every string the code and the templates mark for translation has a Polish text in
``locale/pl``, none of them fuzzy (a fuzzy entry is left out of the compiled catalogue, so the panel shows the
English source), and the compiled ``django.mo`` is the one the ``.po`` gives.

The check runs Django's own ``makemessages`` over a copy of the tree's layout (symlinks to the code, a copy of
the catalogue), so the repository's files are never touched; it needs GNU gettext (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import re
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
    not (shutil.which("xgettext") and shutil.which("msgmerge") and shutil.which("msgfmt")),
    reason="GNU gettext (xgettext, msgmerge, msgfmt) is not installed",
)


def _entries(po: str) -> list[tuple[list[str], str, list[str]]]:
    """(flags, msgid, msgstrs) of each live entry of a .po text (obsolete ``#~`` entries and the header left out)."""

    def unquote(lines: list[str]) -> str:
        return "".join(re.fullmatch(r'\s*"(.*)"\s*', line).group(1) for line in lines)

    entries = []
    for block in po.split("\n\n"):
        lines = [line for line in block.strip().split("\n") if line and not line.startswith("#~")]
        flags = [flag.strip() for line in lines if line.startswith("#,") for flag in line[2:].split(",")]
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (.*)$", line)
            if match:
                current = match.group(1)
                fields[current] = [match.group(2)]
            elif current:
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        msgid = unquote(fields["msgid"])
        if not msgid:
            continue  # the header
        msgstrs = [unquote(value) for key, value in fields.items() if key.startswith("msgstr")]
        entries.append((flags, msgid, msgstrs))
    return entries


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> str:
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
    return (tree / "locale" / "pl" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def test_every_marked_string_has_a_polish_text(refreshed):
    untranslated = [msgid for _flags, msgid, msgstrs in _entries(refreshed) if not all(msgstrs)]
    assert not untranslated, "no Polish text for: " + "; ".join(untranslated)


def test_no_polish_text_is_fuzzy(refreshed):
    fuzzy = [msgid for flags, msgid, _msgstrs in _entries(refreshed) if "fuzzy" in flags]
    assert not fuzzy, "fuzzy (shown in English until checked): " + "; ".join(fuzzy)


def test_the_committed_catalogue_is_up_to_date_with_the_code(refreshed):
    """Every string of the code is in the committed ``.po`` (run ``make messages`` after adding some)."""
    committed = {msgid for _flags, msgid, _msgstrs in _entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))}
    missing = [msgid for _flags, msgid, _msgstrs in _entries(refreshed) if msgid not in committed]
    assert not missing, "not in locale/pl (run make messages): " + "; ".join(missing)


def test_the_compiled_catalogue_matches_the_po(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True, timeout=60)
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run make messages: django.mo is stale"


def test_the_check_finds_an_untranslated_and_a_fuzzy_entry():
    po = (
        'msgid ""\nmsgstr ""\n"Language: pl\\n"\n\n'
        'msgid "Offers"\nmsgstr "Oferty"\n\n'
        'msgid "New string"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\n#| msgid "old %(n)s"\nmsgid "new %(n)s"\nmsgstr "stary %(n)s"\n\n'
        'msgid "%(n)s offer"\nmsgid_plural "%(n)s offers"\nmsgstr[0] "%(n)s oferta"\nmsgstr[1] ""\nmsgstr[2] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n'
    )
    entries = _entries(po)
    assert [msgid for _f, msgid, strs in entries if not all(strs)] == ["New string", "%(n)s offer"]
    assert [msgid for flags, msgid, _s in entries if "fuzzy" in flags] == ["new %(n)s"]
