"""Static checks of every addon's Ukrainian catalogue (no Odoo needed)."""

import glob
import os
import re

import polib
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PO_FILES = sorted(glob.glob(os.path.join(ROOT, "addons", "*", "i18n", "uk.po")))
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdf]|%[sd]|\{[a-z_0-9]*\}")


def test_every_addon_has_uk_po():
    addons = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "addons", "*")) if os.path.isdir(p)}
    have = {p.split(os.sep)[-3] for p in PO_FILES}
    assert addons == have


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.split(os.sep)[-3])
def test_po_is_complete_and_keeps_placeholders(path):
    catalog = polib.pofile(path)
    assert catalog.metadata.get("Language") in ("uk", "uk_UA")
    entries = [e for e in catalog if not e.obsolete]
    assert entries, "empty catalogue"
    for entry in entries:
        assert entry.msgstr.strip(), f"untranslated: {entry.msgid!r}"
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(entry.msgstr)), entry.msgid
