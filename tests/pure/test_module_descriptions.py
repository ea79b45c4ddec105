"""Static checks of what Apps shows for every addon: icon, description page, screenshots, Ukrainian name and summary."""

import ast
import glob
import hashlib
import os
import re
import struct

import polib
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDONS = sorted(os.path.basename(os.path.dirname(p))
                for p in glob.glob(os.path.join(ROOT, "addons", "*", "__manifest__.py")))


def _manifest(module):
    with open(os.path.join(ROOT, "addons", module, "__manifest__.py"), encoding="utf-8") as f:
        return ast.literal_eval(f.read())


def _description(module, *parts):
    return os.path.join(ROOT, "addons", module, "static", "description", *parts)


@pytest.mark.parametrize("module", ADDONS)
def test_icon_description_page_and_screenshots(module):
    with open(_description(module, "icon.png"), "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "icon.png is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    assert min(width, height) >= 128, (width, height)
    with open(_description(module, "index.html"), encoding="utf-8") as f:
        page = f.read()
    assert 'class="oe_container"' in page and "oe_slogan" in page
    for src in re.findall(r'<img[^>]+src="([^"]+)"', page):
        assert os.path.isfile(_description(module, src)), f"index.html shows a missing picture {src}"
    for image in _manifest(module).get("images", []):
        assert os.path.isfile(os.path.join(ROOT, "addons", module, image)), image


def test_icons_are_distinct():
    digests = {}
    for module in ADDONS:
        with open(_description(module, "icon.png"), "rb") as f:
            digests.setdefault(hashlib.sha256(f.read()).hexdigest(), []).append(module)
    assert all(len(mods) == 1 for mods in digests.values()), [m for m in digests.values() if len(m) > 1]


@pytest.mark.parametrize("module", ADDONS)
def test_ukrainian_name_and_summary_in_apps(module):
    """Apps reads ir.module.module shortdesc/summary translations from the module's own uk.po and .pot."""
    manifest = _manifest(module)
    for catalogue in (f"{module}.pot", "uk.po"):
        entries = {}
        for entry in polib.pofile(os.path.join(ROOT, "addons", module, "i18n", catalogue)):
            for occurrence, _line in entry.occurrences:
                entries[occurrence] = entry
        for field, text in (("shortdesc", manifest["name"]), ("summary", manifest["summary"])):
            entry = entries.get(f"model:ir.module.module,{field}:base.module_{module}")
            assert entry is not None, f"{catalogue}: no {field} entry"
            assert entry.msgid == text, f"{catalogue}: {field} entry is not the manifest's text"
            if catalogue == "uk.po":
                assert entry.msgstr.strip() and entry.msgstr != entry.msgid, f"{field} not translated"
