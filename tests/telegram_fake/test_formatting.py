"""Unit tests of the text rules the fake enforces (entities, parse modes, image sniffing)."""

from __future__ import annotations

import pytest

from simulator.telegram.errors import ApiError
from simulator.telegram.formatting import check_message_text, command_entities, plain_text
from simulator.telegram.media import image_size
from tests.telegram_fake.helpers import tiny_png


def test_command_entities_use_utf16_offsets() -> None:
    assert command_entities("/status") == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert command_entities("/close@usdc_futures_bot BTC") == [{"type": "bot_command", "offset": 0, "length": 23}]
    assert command_entities("📈 /pnl and /risk") == [
        {"type": "bot_command", "offset": 3, "length": 4}, {"type": "bot_command", "offset": 12, "length": 5}]
    assert command_entities("a/b and http://x/y") == []


@pytest.mark.parametrize(
    ("text", "mode", "plain"),
    [
        ("<b>BTC</b> &lt;up&gt; &amp; <a href='https://x'>link</a>", "HTML", "BTC <up> & link"),
        (r"*Bold* _it_ __under__ ~s~ ||sp|| `c.d` [l](https://x.y/\)) 1\.5\!", "MarkdownV2",
         "Bold it under s sp c.d l 1.5!"),
        ("> quoted\nnext", "MarkdownV2", " quoted\nnext"),
        ("*bold* _it_ `code` [l](https://x)", "Markdown", "bold it code l"),
        ("<b>as is", None, "<b>as is"),
    ],
)
def test_plain_text(text: str, mode: str | None, plain: str) -> None:
    assert plain_text(text, mode) == plain


@pytest.mark.parametrize(
    ("text", "mode", "fragment"),
    [
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<br>", "HTML", 'Unsupported start tag "br" at byte offset 0'),
        ("</b>", "HTML", "Unexpected end tag"),
        ("a < b", "HTML", "Unclosed start tag"),
        ("*bold", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("-5%", "MarkdownV2", "Character '-' is reserved"),
        ("*bold", "Markdown", "Can't find end of the entity starting at byte offset 0"),
    ],
)
def test_bad_markup_is_a_400(text: str, mode: str, fragment: str) -> None:
    with pytest.raises(ApiError) as caught:
        plain_text(text, mode)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert fragment in caught.value.description


def test_length_counts_the_visible_text() -> None:
    assert check_message_text("<b>" + "x" * 4096 + "</b>", "HTML")
    with pytest.raises(ApiError, match="message is too long"):
        check_message_text("x" * 4097, None)
    with pytest.raises(ApiError, match="message text is empty"):
        check_message_text("<b> </b>", "HTML")


def test_image_sniffing() -> None:
    assert image_size(tiny_png(5, 4)) == (5, 4)
    jpeg = b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x20\x00\x40\x03" + b"\x00" * 20
    assert image_size(jpeg) == (64, 32)
    assert image_size(b"GIF89a\x0a\x00\x05\x00") == (10, 5)
    assert image_size(b"%PDF-1.4") is None
