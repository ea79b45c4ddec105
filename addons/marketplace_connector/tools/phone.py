def normalize_phone(phone):
    """Ukrainian phone numbers to +380XXXXXXXXX; anything else unchanged-but-stripped or None."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    if len(digits) == 12 and digits.startswith("380"):
        return "+" + digits
    return None
