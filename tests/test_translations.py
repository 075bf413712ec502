"""Greek is complete: every string the code marks for translation has a Greek translation."""

import shutil
import subprocess

import polib
import pytest

from tests.helpers import PROJECT_DIR, PYTHON

PO_FILE = PROJECT_DIR / "locale/el/LC_MESSAGES/django.po"


def test_every_greek_entry_is_translated():
    catalogue = polib.pofile(str(PO_FILE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (check and unmark): {fuzzy}"


@pytest.mark.slow
def test_catalogue_holds_every_string_of_the_code(tmp_path):
    """Extract the strings afresh (what `make messages` does) in a copy and compare with the committed file."""
    copy = tmp_path / "src"
    shutil.copytree(PROJECT_DIR, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "tests", "static",
                                                                      "__pycache__", "*.mo"))
    result = subprocess.run(
        [PYTHON, "manage.py", "makemessages", "-l", "el", "--no-obsolete"],
        cwd=copy, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "GANETIMGR_VAR_DIR": str(tmp_path / "var")},
    )
    assert result.returncode == 0, result.stderr
    extracted = {entry.msgid for entry in polib.pofile(str(copy / "locale/el/LC_MESSAGES/django.po"))}
    committed = {entry.msgid for entry in polib.pofile(str(PO_FILE))}
    assert not extracted - committed, f"run `make messages` and translate: {sorted(extracted - committed)}"
    assert not committed - extracted, f"stale entries, run `make messages`: {sorted(committed - extracted)}"
