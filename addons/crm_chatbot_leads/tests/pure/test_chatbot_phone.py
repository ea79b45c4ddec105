import pytest

from crm_chatbot_leads.tools.phone import normalize_ua_phone, phone_tail


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
