#!/usr/bin/env python3
"""Write i18n/uk.po of an addon from its .pot and a translations table.

    python3 scripts/po_fill.py addons/<mod>/i18n/<mod>.pot /path/to/terms.py

The terms file defines ``TERMS = {"English msgid": "Український переклад", ...}``.
Keeps existing translations of uk.po for msgids missing from the table; fails listing untranslated msgids.
"""

import os
import runpy
import sys

import polib


def main(pot_path, terms_path):
    terms = runpy.run_path(terms_path)["TERMS"]
    po_path = os.path.join(os.path.dirname(pot_path), "uk.po")
    old = {e.msgid: e.msgstr for e in polib.pofile(po_path)} if os.path.exists(po_path) else {}
    catalog = polib.pofile(pot_path)
    catalog.metadata.update({"Language": "uk", "Language-Team": "Ukrainian",
                             "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
                                             "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"})
    missing = []
    for entry in catalog:
        entry.msgstr = terms.get(entry.msgid) or old.get(entry.msgid) or ""
        if not entry.msgstr:
            missing.append(entry.msgid)
    catalog.save(po_path)
    if missing:
        print("untranslated:\n  " + "\n  ".join(missing))
        return 1
    print(f"wrote {po_path}: {len(catalog)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
