from crm_chatbot_leads.tools.text import split_text


def test_split_text_keeps_everything():
    paragraph = "Слово " * 300  # 1800 characters
    text = "\n\n".join([paragraph.strip()] * 5)
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert len(parts) == 3
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_split_text_words_and_huge_word():
    assert split_text("abc", 10) == ["abc"]
    assert split_text("", 10) == []
    parts = split_text("x" * 25, 10)
    assert parts == ["x" * 10, "x" * 10, "x" * 5]
    parts = split_text("aaaa bbbb cccc dddd", 10)
    assert parts == ["aaaa bbbb", "cccc dddd"]
