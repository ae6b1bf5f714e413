"""Text rules of the Bot API: entity parsing for ``parse_mode``, length limits and command entities.

Real Telegram rejects a message whose markup does not parse ("can't parse entities"), which is the
most common way a notifier breaks in production (an exception text with ``<`` in HTML mode, an
unescaped ``.`` in MarkdownV2). The fake checks the same rules so such bugs fail in tests, not live.
The checks follow the Bot API documentation; the wording after "can't parse entities:" is modelled
on real answers but is not guaranteed word for word.
"""

from __future__ import annotations

import html
import re

from simulator.telegram.errors import ApiError

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
     "pre", "blockquote", "tg-emoji"}
)
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_TOGGLES = (("||", "Spoiler"), ("__", "Underline"), ("*", "Bold"), ("_", "Italic"), ("~", "Strikethrough"))
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every entity ``offset``/``length`` in the Bot API."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, object]]:
    """``bot_command`` entities for every ``/command`` in ``text``, as Telegram attaches them.

    pyTelegramBotAPI's command handlers only look at the text, but bots that read ``entities`` (and
    the library's ``extract_command`` helpers in some versions) need them to be present and exact.
    """
    entities: list[dict[str, object]] = []
    for match in _COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _plain_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            end = text.find(">", i)
            if end < 0:
                raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
            body = text[i + 1 : end].strip()
            if body.startswith("/"):
                name = body[1:].strip().lower()
                if not stack:
                    raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                if stack[-1] != name:
                    raise _parse_error(
                        f'Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                name = body.split(None, 1)[0].rstrip("/").lower() if body else ""
                if name not in _HTML_TAGS:
                    raise _parse_error(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
                stack.append(name)
            i = end + 1
        elif char == "&" and (match := _HTML_ENTITY.match(text, i)):
            out.append(html.unescape(match.group(0)))
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _plain_markdown_v2(text: str) -> str:
    """Approximate MarkdownV2: escapes, paired markers, links, code; any other reserved char fails."""
    out: list[str] = []
    opened: dict[str, int] = {}
    link_start: int | None = None
    i = 0
    at_line_start = True
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            at_line_start = False
            continue
        fence = "```" if text.startswith("```", i) else "`" if char == "`" else None
        if fence is not None:
            close = text.find(fence, i + len(fence))
            if close < 0:
                name = "Pre" if fence == "```" else "Code"
                raise _parse_error(f"Can't find end of {name} entity at byte offset {_byte_offset(text, i)}")
            body = text[i + len(fence) : close]
            if fence == "```" and "\n" in body:
                body = body.split("\n", 1)[1]  # the first line names the language
            out.append(body.replace("\\`", "`").replace("\\\\", "\\"))
            i = close + len(fence)
            continue
        toggle = next(((mark, name) for mark, name in _MDV2_TOGGLES if text.startswith(mark, i)), None)
        if toggle is not None:
            mark, _name = toggle
            if mark in opened:
                del opened[mark]
            else:
                opened[mark] = i
            i += len(mark)
            continue
        if char == "[" and link_start is None:
            link_start = i
        elif char == "]" and link_start is not None and text.startswith("(", i + 1):
            close = i + 2
            while close < len(text) and text[close] != ")":
                close += 2 if text[close] == "\\" else 1
            if close >= len(text):
                raise _parse_error(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
            link_start = None
            i = close + 1
            continue
        elif char == ">" and at_line_start:
            pass  # a block quotation marker
        elif char in _MDV2_RESERVED:
            raise _parse_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        else:
            out.append(char)
        at_line_start = char == "\n"
        i += 1
    if opened:
        mark, start = min(opened.items(), key=lambda item: item[1])
        name = dict(_MDV2_TOGGLES)[mark]
        raise _parse_error(f"Can't find end of {name} entity at byte offset {_byte_offset(text, start)}")
    if link_start is not None:
        raise _parse_error(f"Can't find end of TextUrl entity at byte offset {_byte_offset(text, link_start)}")
    return "".join(out)


def _plain_markdown(text: str) -> str:
    """Legacy Markdown: ``*bold*``, ``_italic_``, code, pre and links; an unclosed marker fails."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
            continue
        mark = "```" if text.startswith("```", i) else char if char in "*_`[" else None
        if mark is None:
            out.append(char)
            i += 1
            continue
        closing = "]" if mark == "[" else mark
        close = text.find(closing, i + len(mark))
        if close < 0:
            raise _parse_error(f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}")
        out.append(text[i + len(mark) : close])
        i = close + len(closing)
        if mark == "[" and text.startswith("(", i):
            url_end = text.find(")", i)
            i = url_end + 1 if url_end >= 0 else i
    return "".join(out)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a user would see: markup removed; raises the 400 Telegram gives for bad markup."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        return _plain_html(text)
    if mode == "markdownv2":
        return _plain_markdown_v2(text)
    if mode == "markdown":
        return _plain_markdown(text)
    if mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    return text


def check_message_text(text: str | None, parse_mode: str | None) -> str:
    """Validate a message text the way sendMessage/editMessageText do; returns the plain text."""
    if not text or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    plain = plain_text(text, parse_mode)
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return plain


def check_caption(caption: str | None, parse_mode: str | None) -> str | None:
    """Validate a media caption (at most 1024 characters after entity parsing)."""
    if caption is None:
        return None
    plain = plain_text(caption, parse_mode)
    if len(plain) > MAX_CAPTION_LENGTH:
        raise ApiError(400, "Bad Request: message caption is too long")
    return plain
