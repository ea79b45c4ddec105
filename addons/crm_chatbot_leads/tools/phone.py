"""Phone helpers (pure Python)."""

import re

_NON_DIGITS = re.compile(r"\D+")


def normalize_ua_phone(raw):
    """Normalise a phone number to the Ukrainian E.164 form ``+380XXXXXXXXX``.

    Accepts what customers and messengers send: ``380671234567`` (Telegram contact),
    ``+38 (067) 123-45-67``, ``0671234567``, ``80671234567``, ``671234567``.
    Foreign numbers with an explicit country code are returned as ``+<digits>``.

    :param str raw: the number as typed or shared
    :return: the normalised number, or ``False`` when it cannot be a phone number
    """
    if not raw or not isinstance(raw, str):
        return False
    has_plus = raw.strip().startswith("+") or raw.strip().startswith("00")
    digits = _NON_DIGITS.sub("", raw)
    if raw.strip().startswith("00"):
        digits = digits[2:]
    if digits.startswith("380") and len(digits) == 12:
        return "+" + digits
    if not has_plus:
        if digits.startswith("80") and len(digits) == 11:
            return "+3" + digits
        if digits.startswith("0") and len(digits) == 10:
            return "+38" + digits
        if len(digits) == 9 and not digits.startswith("0"):
            return "+380" + digits
    if has_plus and 8 <= len(digits) <= 15 and not digits.startswith("380"):
        return "+" + digits
    return False


def phone_tail(phone, size=9):
    """Last `size` digits of a phone, used to find candidate partners whatever their formatting."""
    digits = _NON_DIGITS.sub("", phone or "")
    return digits[-size:] if len(digits) >= size else False


# a number as people type it: optional +38 / 38 / 8, a 0XX operator code (maybe in brackets), 7 digits
# grouped with spaces, dots or dashes; a bare 9-digit run (an article, an amount) is not a phone
_TYPED_PHONE = re.compile(r"(?<![\d+])(?:\+?3?8[\s.-]?)?\(?0\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{2}[\s.-]?\d{2}(?!\d)")
_ONLY_PHONE = re.compile(r"^[\d\s()+.-]+$")


def typed_phone(text):
    """The phone a customer typed as the whole message (``067 123 45 67``, ``+380671234567``...).

    :return: normalised ``+380...`` or False when the text is anything else (a text that merely contains
        digits, an article number, 9 digits without the leading 0)
    """
    text = (text or "").strip()
    if not text or len(text) > 25 or not _ONLY_PHONE.match(text):
        return False
    match = _TYPED_PHONE.fullmatch(text)
    return normalize_ua_phone(match.group(0)) if match else False


def find_phone(text):
    """First phone number written inside a longer text (``S00042 067 123 45 67``), normalised, or False."""
    match = _TYPED_PHONE.search(text or "")
    return normalize_ua_phone(match.group(0)) if match else False
