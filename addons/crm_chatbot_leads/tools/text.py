"""Text helpers (pure Python)."""


def split_text(text, limit):
    """Split `text` into parts of at most `limit` characters without cutting it: at a blank line if
    possible, else at a line break, else at a space, else (one huge word) hard at the limit.

    :return: list of non-empty parts; joined with the separators they were split at they give the text back
    """
    text = (text or "").strip()
    parts = []
    while len(text) > limit:
        window = text[:limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit + 1)
            if cut > limit // 4:  # not a tiny first part
                break
            cut = -1
        if cut == -1:
            part, text = text[:limit], text[limit:]
        else:
            part, text = text[:cut], text[cut:]
        parts.append(part.rstrip())
        text = text.lstrip()
    if text:
        parts.append(text)
    return parts
