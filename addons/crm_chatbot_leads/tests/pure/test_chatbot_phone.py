import pytest

from crm_chatbot_leads.tools.phone import find_phone, normalize_ua_phone, phone_tail, typed_phone


@pytest.mark.parametrize("raw, expected", [
    ("380671234567", "+380671234567"),
    ("+380671234567", "+380671234567"),
    ("+38 (067) 123-45-67", "+380671234567"),
    ("067 123 45 67", "+380671234567"),
    ("80671234567", "+380671234567"),
    ("671234567", "+380671234567"),
    ("00380671234567", "+380671234567"),
    ("+48 601 234 567", "+48601234567"),
    ("12345", False),
    ("", False),
    (None, False),
    ("+3806712345", False),
])
def test_normalize_ua_phone(raw, expected):
    assert normalize_ua_phone(raw) == expected


def test_phone_tail():
    assert phone_tail("+38 (067) 123-45-67") == "671234567"
    assert phone_tail("123") is False


@pytest.mark.parametrize("text,expected", [
    ("067 000 11 22", "+380670001122"),
    ("+380670001122", "+380670001122"),
    ("+38 (067) 000-11-22", "+380670001122"),
    ("0670001122", "+380670001122"),
    ("123456789", False),  # 9 digits: an article or an amount, not a phone
    ("артикул 123456789", False),
    ("Хочу 2 дивани по 670001122", False),
    ("", False),
])
def test_typed_phone(text, expected):
    assert typed_phone(text) == expected


def test_find_phone():
    assert find_phone("S00042 067 000 11 22") == "+380670001122"
    assert find_phone("замовлення S00042, телефон +380670001122") == "+380670001122"
    assert find_phone("S00042 123456789") is False
