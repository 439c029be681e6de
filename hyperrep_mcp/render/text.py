"""Turn customer-written message bodies into short, safe plain text for an LLM.

Email bodies arrive as arbitrary HTML and SMS bodies as plain text; both are written by people
outside the business, so they are untrusted. What the model reads must be what a human would
see in their mail client, and no more: markup, comments and hidden elements are dropped because
an attacker can use them to smuggle instructions that no human reviewer would notice, and
invisible Unicode (zero-width, bidi, tag characters) is removed for the same reason. In concise
mode quoted history and signatures are trimmed so that a 50-message thread stays readable.

Everything here is pure (no I/O, no package imports) and never raises on odd input, because it
runs on every message of every thread the server renders.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "Trimmed",
    "clip",
    "gist",
    "html_to_text",
    "is_invisible",
    "message_text",
    "one_line",
    "strip_invisible",
    "trim_reply",
]

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Trimmed:
    """A rendered body plus what trimming removed, so callers can tell the model it exists."""

    body: str
    quoted: bool
    signature: bool


# --------------------------------------------------------------------------------------------
# Invisible characters
# --------------------------------------------------------------------------------------------

# Characters that end a line in str.splitlines(); mapping them to "\n" (instead of deleting them)
# keeps the words on either side apart.
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt; the stdlib does not expose
# it): characters a renderer shows as nothing. Besides the Cf ones it holds the variation selectors
# (FE00-FE0F, E0100-E01EF: enough of them smuggle arbitrary bytes after one visible letter), the
# Hangul fillers, the combining grapheme joiner and the whole tag-character plane block.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
# A blank-looking symbol outside that set, used to fake empty names and pad hidden payloads.
_BLANK_LOOKING = (0x2800,)  # BRAILLE PATTERN BLANK


def is_invisible(char: str) -> bool:
    """True for one character that the sanitizer removes (line breaks and tabs are not invisible)."""
    return len(char) == 1 and bool(_invisible_re().match(char))


@functools.cache
def _invisible_re() -> re.Pattern[str]:
    """Match every character we never want an LLM to see.

    Built from the running interpreter's Unicode database (not a hard-coded list) so that the
    "no Cf characters left" guarantee holds on every Python version; the scan runs once.
    """
    kept = {ord(c) for c in ("\n", "\t", *_LINE_BREAKS)}
    category = unicodedata.category
    removed = {cp for cp in range(sys.maxunicode + 1) if category(chr(cp)) in ("Cf", "Cc", "Cs")}
    removed.update(_BLANK_LOOKING)
    for low, high in _DEFAULT_IGNORABLE:
        removed.update(range(low, high + 1))
    codepoints = sorted(removed - kept)
    return re.compile("[" + "".join(_class_ranges(codepoints)) + "]")


def _class_ranges(codepoints: list[int]) -> Iterator[str]:
    """Compress sorted code points into regex character-class ranges."""
    start = prev = codepoints[0]
    for cp in [*codepoints[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        yield re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}"
        start = prev = cp


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char, replacement in _LINE_BREAKS.items():
        if char in text:
            text = text.replace(char, replacement)
    return text


def _remove_invisible(text: str) -> str:
    return _invisible_re().sub("", _normalise_newlines(text))


def strip_invisible(text: str) -> str:
    r"""The one character sanitizer for customer- and model-controlled text, incoming or outgoing.

    Removes every character a reader cannot see: zero-width and bidi controls, tag characters,
    variation selectors (including the supplementary ones), Hangul fillers, the braille blank,
    every other format (Cf) or control (Cc) character and the rest of Unicode's
    Default_Ignorable_Code_Point set. Keeps "\n" and "\t"; other line separators (CR, VT, FF,
    NEL, U+2028/9) become "\n". Pure, never raises, idempotent; the result is NFC.

    Removal happens before NFC so that a base letter and a combining mark separated by a
    zero-width character compose, which makes the function idempotent.
    """
    return unicodedata.normalize("NFC", _remove_invisible(text))


_ANY_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def one_line(text: str | None) -> str:
    r"""A one-line field (a name, subject, role, folder, custom field value) as one line ("" for None).

    Line breaks, tabs and control characters become single spaces (so "Eve\nNext: …" cannot
    start a line of its own in a tool result), invisible characters go as in `strip_invisible`,
    runs of whitespace collapse and the ends are trimmed. Pure, never raises, idempotent.
    """
    return " ".join(strip_invisible(_ANY_SPACE.sub(" ", text or "")).split())


# --------------------------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------------------------

# Content a mail client never shows as text, or that exists only to be executed or styled.
_SKIPPED_TAGS = frozenset(
    {
        "applet", "audio", "base", "canvas", "datalist", "embed", "frame", "frameset", "head",
        "iframe", "link", "math", "meta", "noscript", "object", "param", "script", "source",
        "style", "svg", "template", "title", "track", "video",
    }
)  # fmt: skip
_LINE_TAGS = frozenset(
    {
        "address", "article", "aside", "caption", "center", "dd", "details", "dialog", "div",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "legend", "main",
        "nav", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
    }
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset({"blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "p", "pre"})
_LIST_TAGS = frozenset({"ol", "ul", "menu", "dir"})
_CELL_TAGS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "

_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r" {2,}")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_SIZE_PROPERTIES = ("height", "max-height", "width", "max-width")


class _TextWriter:
    """Accumulates rendered lines; each line remembers its blockquote depth for "> " prefixes."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []  # (quote depth, text); "" is a blank line
        self.parts: list[str] = []
        self.trace: list[str] = []  # every inline piece ever written, to recover link text
        self.prefix = ""  # list marker for the next emitted line
        self.separator = ""  # cell separator, written only if more text follows on the line
        self.preformatted = False
        self.want_blank = False
        self.has_text = False  # the current line has more than whitespace
        self.depth = 0

    def write(self, text: str) -> None:
        if not text or (text == " " and not self.parts):
            return
        if text.strip():
            if self.separator:
                self.parts.append(self.separator)
                self.separator = ""
            self.has_text = True
        self.parts.append(text)
        self.trace.append(text)

    def write_preformatted(self, text: str) -> None:
        first, *rest = text.split("\n")
        self._write_raw(first)
        for line in rest:
            self.end_line(force=True)
            self._write_raw(line)

    def _write_raw(self, text: str) -> None:
        if text:
            self.preformatted = True
            self.write(text)

    def end_line(self, *, force: bool = False) -> None:
        """Finish the current line; with force (a <br>), an empty line still becomes a blank."""
        line = "".join(self.parts)
        line = line.rstrip() if self.preformatted else _SPACES.sub(" ", line).strip()
        self.parts.clear()
        self.preformatted = False
        self.has_text = False
        self.separator = ""
        if line:
            if self.want_blank:
                self._blank()
            self.lines.append((self.depth, self.prefix + line))
            self.prefix = ""
            self.want_blank = False
        elif force:
            self._blank()

    def end_paragraph(self) -> None:
        self.end_line()
        self.want_blank = True

    def _blank(self) -> None:
        if self.lines and self.lines[-1][1]:
            self.lines.append((min(self.depth, self.lines[-1][0]), ""))

    def render(self) -> str:
        self.end_line()
        while self.lines and not self.lines[-1][1]:
            self.lines.pop()
        return "\n".join(("> " * depth + text).rstrip() for depth, text in self.lines)


class _Renderer:
    """Walks the parsed tree once, iteratively (deeply nested mail must not hit recursion limits)."""

    def __init__(self, hidden: frozenset[int] = frozenset()) -> None:
        self.hidden = hidden  # mem_ids of elements a <style> block of the message hides
        self.painted: list[bool] = []  # per open element: does it paint a background?
        self.out = _TextWriter()
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.links: list[int] = []  # trace position where each open <a> started
        self.quotes: list[bool] = []  # per open <blockquote>: does it quote (or merely indent)?
        self.pre = 0

    def run(self, root: LexborNode) -> str:
        stack: list[tuple[LexborNode, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.leave(node)
            elif node.is_text_node:
                self.text(node.text_content or "")
            elif node.is_element_node and self.enter(node):
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(_children(node)))
        return self.out.render()

    def text(self, raw: str) -> None:
        text = _remove_invisible(raw)
        if self.pre:
            self.out.write_preformatted(text)
        else:
            self.out.write(_WHITESPACE.sub(" ", text))

    def enter(self, node: LexborNode) -> bool:
        """Open an element; False means skip it and everything inside."""
        tag = node.tag or ""
        attrs = node.attributes
        if tag in _SKIPPED_TAGS or _is_hidden(tag, attrs) or node.mem_id in self.hidden:
            return False
        paints = _paints_background(attrs)
        if _is_white_text(attrs) and not paints and not any(self.painted):
            return False  # white on the (white) page: unreadable to a person, readable to a parser
        self.painted.append(paints)
        out = self.out
        if tag == "br":
            out.end_line(force=True)
        elif tag in _CELL_TAGS:
            if out.has_text:
                out.separator = _CELL_SEPARATOR
        elif tag == "img":
            alt = _WHITESPACE.sub(" ", _remove_invisible(attrs.get("alt") or "")).strip()
            if alt:
                out.write(f" {alt} ")
        elif tag == "a":
            self.links.append(len(out.trace))
        elif tag == "li":
            self._start_item()
        elif tag in _LIST_TAGS:
            self._block_break(tag)
            self.lists.append(_list_counter(tag, attrs))
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block_break(tag, attrs.get("class"))
            if tag == "blockquote":
                quoting = not _is_indent(attrs)
                self.quotes.append(quoting)
                if quoting:
                    out.depth += 1
            elif tag == "pre":
                self.pre += 1
        return True

    def leave(self, node: LexborNode) -> None:
        tag = node.tag or ""
        out = self.out
        if self.painted:
            self.painted.pop()
        if tag == "a":
            self._finish_link(node)
        elif tag == "li":
            out.end_line()
        elif tag in _LIST_TAGS:
            self.lists.pop()
            self._block_break(tag)
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._block_break(tag, node.attributes.get("class"), leaving=True)
            if tag == "blockquote" and self.quotes and self.quotes.pop():
                out.depth -= 1
            elif tag == "pre":
                self.pre -= 1

    def _block_break(self, tag: str, css_class: str | None = None, *, leaving: bool = False) -> None:
        # Inside lists, and for Outlook's one-<p>-per-line markup ("MsoNormal"), a paragraph is a
        # line: blank lines there would double-space the whole message. Outlook writes an empty
        # line as <p class=MsoNormal>&nbsp;</p>, hence the forced blank when one closes.
        outlook_line = tag == "p" and bool(css_class) and "Mso" in css_class
        is_paragraph = tag in _PARAGRAPH_TAGS or (tag in _LIST_TAGS and not self.lists)
        if is_paragraph and not self.lists and not outlook_line:
            self.out.end_paragraph()
        else:
            self.out.end_line(force=outlook_line and leaving)

    def _start_item(self) -> None:
        self.out.end_line()
        counter = self.lists[-1] if self.lists else []
        if counter:
            marker = f"{counter[0]}. "
            counter[0] += 1
        else:
            marker = "- "
        self.out.prefix = "  " * max(len(self.lists) - 1, 0) + marker

    def _finish_link(self, node: LexborNode) -> None:
        start = self.links.pop() if self.links else len(self.out.trace)
        href = _WHITESPACE.sub("", _remove_invisible(node.attributes.get("href") or ""))
        if not href.lower().startswith(("http://", "https://")):
            return
        label = _WHITESPACE.sub(" ", "".join(self.out.trace[start:])).strip()
        if not label:
            self.out.write(" " + href)
        elif _link_key(label) != _link_key(href):
            self.out.write(f" ({href})")


def _children(node: LexborNode) -> list[LexborNode]:
    children = []
    child = node.first_child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def _list_counter(tag: str, attrs: dict[str, str | None]) -> list[int]:
    if tag != "ol":
        return []
    start = (attrs.get("start") or "").strip()
    # ASCII and short: int() rejects other digit characters and (since 3.11) huge numbers.
    digits = start.removeprefix("-")
    return [int(start)] if digits.isascii() and digits.isdigit() and len(digits) <= 9 else [1]


def _link_key(url_or_text: str) -> str:
    """Make "https://www.acme.com/" and "acme.com" compare equal: the URL adds nothing then."""
    key = url_or_text.strip().lower()
    for prefix in ("https://", "http://", "www."):
        key = key.removeprefix(prefix)
    return key.rstrip("/")


def _is_indent(attrs: dict[str, str | None]) -> bool:
    """Gmail's "indent" button makes a border-less <blockquote>: the sender's own text, not a quote."""
    if (attrs.get("type") or "").lower() == "cite" or "quote" in (attrs.get("class") or "").lower():
        return False
    border = _css_declarations(attrs.get("style") or "").get("border", "")
    return border.split()[:1] in (["none"], ["0"], ["0px"])


def _is_hidden(tag: str, attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if tag == "dialog" and "open" not in attrs:
        return True
    style = attrs.get("style")
    return bool(style) and _is_hidden_style(style)


def _is_hidden_style(style: str) -> bool:
    """Recognise the inline-CSS tricks used to hide text from the reader but not from a parser."""
    css = _css_declarations(style)
    first = {prop: value.split()[0] if value.split() else "" for prop, value in css.items()}
    if first.get("display") == "none" or first.get("visibility") in ("hidden", "collapse"):
        return True
    if first.get("mso-hide") == "all" or first.get("color") == "transparent":
        return True
    if "opacity" in css and _is_zero(css["opacity"]):
        return True
    if "font-size" in css and _is_tiny_font(css["font-size"]):
        return True
    if "font" in css and _is_tiny_font(_font_shorthand_size(css["font"])):
        return True
    if first.get("clip", "").startswith("rect") or first.get("clip-path", "none") != "none":
        return True  # the screen-reader-only pattern; clip-path shapes: in doubt, hidden
    if _is_off_screen(css, first):
        return True
    if "color" in css and _color_alpha_zero(css["color"]):
        return True
    clipped = any(first.get(p) in ("hidden", "clip") for p in ("overflow", "overflow-x", "overflow-y"))
    return clipped and any(prop in css and _is_tiny_length(css[prop]) for prop in _SIZE_PROPERTIES)


_OFFSETS = ("left", "top", "right", "bottom")


def _is_off_screen(css: dict[str, str], first: dict[str, str]) -> bool:
    """Pushed out of the viewport: a far negative offset, indent or margin, or a translate/scale(0)."""
    if first.get("position") in ("absolute", "fixed") and any(
        _is_far_negative(css[p]) for p in _OFFSETS if p in css
    ):
        return True
    if any(_is_far_negative(css[p]) for p in ("text-indent", "margin-left", "margin-top") if p in css):
        return True
    transform = css.get("transform", "")
    if "scale" in transform and re.search(r"scale[xy]?\(\s*0*\.?0*\s*[,)]", transform):
        return True
    return any(_is_far_negative(arg) for arg in re.findall(r"translate[xy3d]*\(([^)]*)\)", transform))


def _is_far_negative(value: str) -> bool:
    for token in value.replace(",", " ").split():
        parsed = _css_number(token)
        if parsed is None:
            continue
        number, unit = parsed
        if number <= (-100 if unit in ("", "px", "pt") else -10):
            return True
    return False


def _is_tiny_length(value: str) -> bool:
    parsed = _css_number(value)
    return parsed is not None and (parsed[0] == 0 or (parsed[1] in ("px", "pt") and 0 < parsed[0] < 2))


_HEX_COLOR = re.compile(r"#([0-9a-f]{3,8})\b")
_FUNC_COLOR = re.compile(r"(rgba?|hsla?)\(([^)]*)\)")


def _color_channels(value: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) of a CSS colour, r/g/b in 0..255 (HSL as lightness only); None if unknown."""
    value = value.strip()
    if value.startswith("white"):
        return 255, 255, 255, 1
    if match := _HEX_COLOR.match(value):
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        if len(digits) not in (6, 8):
            return None
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha
    if match := _FUNC_COLOR.match(value):
        args = [a for a in re.split(r"[\s,/]+", match.group(2)) if a]
        numbers = [_css_number(a) for a in args]
        if len(numbers) < 3 or any(n is None for n in numbers[:3]):
            return None
        nums = [(n[0] * (2.55 if n[1] == "%" else 1)) if n else 0 for n in numbers]
        alpha_arg = numbers[3] if len(numbers) > 3 else None
        alpha = (alpha_arg[0] / 100 if alpha_arg[1] == "%" else alpha_arg[0]) if alpha_arg else 1
        if match.group(1).startswith("hsl"):
            light = numbers[2][0] * 2.55 if numbers[2] else 0  # type: ignore[index]
            return light, light, light, alpha
        return nums[0], nums[1], nums[2], alpha
    return None


def _color_alpha_zero(value: str) -> bool:
    channels = _color_channels(value)
    return channels is not None and channels[3] == 0


def _is_whitish(value: str) -> bool:
    channels = _color_channels(value)
    return channels is not None and min(channels[:3]) >= 240


def _is_white_text(attrs: dict[str, str | None]) -> bool:
    color = _css_declarations(attrs.get("style") or "").get("color")
    return (color is not None and _is_whitish(color)) or _is_whitish((attrs.get("color") or "").lower())


def _paints_background(attrs: dict[str, str | None]) -> bool:
    """A non-white background of its own (or an image): white text on it can be read."""
    bgcolor = (attrs.get("bgcolor") or "").strip().lower()
    if bgcolor and not _is_whitish(bgcolor):
        return True
    css = _css_declarations(attrs.get("style") or "")
    for prop in ("background", "background-color", "background-image"):
        value = css.get(prop, "")
        if value and value not in ("none", "transparent", "inherit", "initial") and not _is_whitish(value):
            return True
    return False


def _css_declarations(style: str) -> dict[str, str]:
    declarations = {}
    for declaration in _CSS_COMMENT.sub("", style.lower()).split(";"):
        prop, colon, value = declaration.partition(":")
        if colon:
            declarations[prop.strip()] = value.replace("!important", "").strip()
    return declarations


def _css_number(value: str) -> tuple[float, str] | None:
    match = _CSS_NUMBER.match(value.strip())
    if not match:
        return None
    try:
        return float(match.group()), value.strip()[match.end() :].strip()
    except ValueError:
        return None


def _is_zero(value: str) -> bool:
    parsed = _css_number(value)
    return parsed is not None and parsed[0] == 0


def _is_tiny_font(value: str) -> bool:
    # 0 in any unit, and the classic 1px/1pt trick: nobody can read text that small.
    parsed = _css_number(value)
    if parsed is None:
        return False
    size, unit = parsed
    return size == 0 or (unit in ("px", "pt") and 0 < size < 2)


def _font_shorthand_size(value: str) -> str:
    """The font-size inside `font: [style] [weight] size[/line-height] family` ("font:0/0 a")."""
    for token in value.replace("/", " / ").split():
        parsed = _css_number(token)
        if parsed is not None and (parsed[1] or parsed[0] == 0):
            return token
    return ""


# A message's own stylesheet is bounded work: beyond this many hiding selectors the message is
# treated as unrenderable (an attacker's, not a person's) rather than slowly matched.
_MAX_HIDING_SELECTORS = 400
_PSEUDO_ELEMENT = re.compile(r"::|:(?:before|after|first-line|first-letter|placeholder|marker)\b")
_COMBINATORS = re.compile(r"\s*[\s>+~]\s*")
_SIMPLE_PARTS = re.compile(r"^[a-z][\w-]*|[.#][\w-]+", re.IGNORECASE)


class _TooManyRules(Exception):
    pass


def _stylesheet_rules(css: str) -> Iterator[tuple[str, str]]:
    """(selector list, declarations) of every innermost rule; at-rule wrappers (@media) are
    looked through, so a rule that hides only on some screens counts: in doubt, hidden."""
    tokens = re.split(r"([{}])", _CSS_COMMENT.sub("", css.replace("<!--", " ").replace("-->", " ")))
    for j in range(0, len(tokens) - 3, 2):
        if tokens[j + 1] == "{" and tokens[j + 3] == "}":
            prelude = tokens[j].strip()
            if prelude and not prelude.startswith("@"):
                yield prelude, tokens[j + 2]


def _hides(declarations: str) -> bool:
    css = _css_declarations(declarations)
    has_background = any(p in css for p in ("background", "background-color", "background-image"))
    return _is_hidden_style(declarations) or (
        "color" in css and _is_whitish(css["color"]) and not has_background
    )


def _hidden_by_stylesheets(parser: LexborHTMLParser) -> frozenset[int]:
    """Elements the message's own <style> blocks hide (class, id, tag and other selectors)."""
    root = parser.root
    if root is None:
        return frozenset()
    hidden: set[int] = set()
    count = 0
    for style in parser.css("style"):
        for selectors, declarations in _stylesheet_rules(style.text(deep=True) or ""):
            if not _hides(declarations):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or _PSEUDO_ELEMENT.search(selector):
                    continue  # generated content only; the element's own text stays as it is
                count += 1
                if count > _MAX_HIDING_SELECTORS:
                    raise _TooManyRules
                hidden.update(node.mem_id for node in _select(root, selector))
    return frozenset(hidden)


def _select(root: LexborNode, selector: str) -> list[LexborNode]:
    try:
        return list(root.css(selector))
    except SelectolaxError:
        pass
    # A selector the engine cannot parse: match its subject's tag, classes and ID alone, which
    # hides at least everything the real rule hides.
    subject = _COMBINATORS.split(selector.strip())[-1]
    simple = "".join(_SIMPLE_PARTS.findall(subject))
    if not simple:
        return []
    try:
        return list(root.css(simple))
    except SelectolaxError:
        return []


def html_to_text(html: str) -> str:
    """Render HTML as the plain text a human would see; never raises."""
    if not html or not html.strip():
        return ""
    try:
        parser = LexborHTMLParser(html)
        root = parser.root
        text = _Renderer(_hidden_by_stylesheets(parser)).run(root) if root is not None else ""
    except Exception:
        # Without a tree we cannot tell hidden text from visible text, and leaking an attacker's
        # hidden instructions is worse than showing nothing: render no text at all.
        return ""
    return strip_invisible(text).strip()


# --------------------------------------------------------------------------------------------
# Quoted history and signatures
# --------------------------------------------------------------------------------------------

_ATTRIBUTION = re.compile(
    r"""^(?:
        on\b.*\bwrote                 # English: Gmail, Apple Mail, Thunderbird, Outlook
        | am\b.*\bschrieb\b.*         # German
        | le\b.*\ba\s+écrit           # French
        | el\b.*\bescribió            # Spanish
        | il\b.*\bha\s+scritto        # Italian
        | op\b.*\bschreef\b.*         # Dutch
        | em\b.*\bescreveu            # Portuguese
        | den\b.*\bskrev\b.*          # Scandinavian
    )\s*:$""",
    re.IGNORECASE | re.VERBOSE,
)
_ATTRIBUTION_STARTS = ("on ", "am ", "le ", "el ", "il ", "op ", "em ", "den ")
_MAX_ATTRIBUTION = 500
_SEPARATOR = re.compile(
    r"""^(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|ursprüngliche\s+nachricht
            |weitergeleitete\s+nachricht|message\s+d'origine|message\s+transféré
            |mensaje\s+original|messaggio\s+originale|oorspronkelijk\s+bericht)\s*-{2,}
        | _{20,}
        | begin\s+forwarded\s+message:
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_HEADER_FROM = re.compile(r"^\**\s*(?:from|von|de|van|da|från|fra|od)\s*:\**\s*\S", re.IGNORECASE)
_HEADER_OTHER = re.compile(
    r"(?:^|\s)\**(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|fecha"
    r"|para|asunto|verzonden|aan|onderwerp|inviato|oggetto|data|skickat|till|ämne)\s*:",
    re.IGNORECASE,
)
_HEADER_LOOKAHEAD = 6
_MOBILE_SIGNATURE = re.compile(
    r"""^(?:
        (?:sent|get)\s+(?:from|via|with|using|on)\b.{0,60}?\b(?:iphone|ipad|android|samsung|galaxy|pixel
            |blackberry|mobile|phone|smartphone|tablet|yahoo\s+mail|outlook|aol|mail\s+for\s+windows
            |spark|proton\s*mail|verizon|t-mobile|at&t)\b.{0,60}
        | get\s+outlook\s+for\s+\w+
        | envoyé\s+de\s+mon\s+.{1,40}
        | von\s+meinem\s+.{1,40}\s+gesendet
        | enviado\s+desde\s+mi\s+.{1,40}
        | inviato\s+da(?:l\s+mio)?\s+.{1,40}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIGN_OFF = re.compile(
    r"""^[-–—~\s]*(?:thanks(?:\s+(?:again|so\s+much|a\s+lot|in\s+advance))?|thank\s+you(?:\s+so\s+much)?
        |many\s+thanks|thx|best|best\s+regards|best\s+wishes|all\s+the\s+best|regards|kind\s+regards
        |warm\s+regards|warmest\s+regards|with\s+regards|sincerely|yours\s+truly|respectfully|cheers
        |take\s+care|talk\s+soon|much\s+appreciated)
        \s*(?:[,.!]+\s*(?P<name>.*))?$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIGN_OFF_WINDOW = 12  # a sign-off is only looked for this many lines from the end
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_EMAIL_OR_URL = re.compile(r"\S@\S+\.\w|https?://|www\.|\b[\w-]+\.(?:com|net|org|biz|us|co|io)\b", re.I)


def _is_quote_line(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_end(lines: list[str], i: int) -> int | None:
    """If an "On <date>, <name> wrote:" line (possibly wrapped over 3 lines) starts at i, its end."""
    first = lines[i].strip()
    if not first.lower().startswith(_ATTRIBUTION_STARTS):
        return None
    joined = first
    for end in range(i, min(i + 3, len(lines))):
        if end > i:
            joined = f"{joined} {lines[end].strip()}"
        if len(joined) > _MAX_ATTRIBUTION:
            return None
        if _ATTRIBUTION.match(joined) and any(ch.isdigit() for ch in joined):
            return end + 1
    return None


def _is_header_block(lines: list[str], i: int) -> bool:
    """Outlook's "From: / Sent: / To: / Subject:" block, on one line or spread over several."""
    line = lines[i].strip()
    if not _HEADER_FROM.match(line):
        return False
    found = len(_HEADER_OTHER.findall(line[5:]))
    for following in lines[i + 1 : i + 1 + _HEADER_LOOKAHEAD]:
        if _HEADER_OTHER.match(following.strip()):
            found += 1
    return found >= 2


def _hard_marker(lines: list[str], i: int) -> bool:
    """A line after which everything is history, whatever follows."""
    line = lines[i].strip()
    return (
        bool(_SEPARATOR.match(line)) or _attribution_end(lines, i) is not None or _is_header_block(lines, i)
    )


def _skip_leading_quote(lines: list[str]) -> int:
    """Skip a quote the sender replied *below* (bottom-posting): blanks, ">" lines, their attribution."""
    i = 0
    while i < len(lines):
        if not lines[i].strip() or _is_quote_line(lines[i]):
            i += 1
            continue
        end = _attribution_end(lines, i)
        if end is None or not _next_is_quote(lines, end):
            break
        i = end
    return i


def _next_is_quote(lines: list[str], i: int) -> bool:
    for line in lines[i:]:
        if line.strip():
            return _is_quote_line(line)
    return False


def _strip_trailing_quote(lines: list[str]) -> tuple[list[str], bool]:
    """Drop a trailing run of ">" lines (quoted history without an attribution line)."""
    end = len(lines)
    removed = False
    while end and (not lines[end - 1].strip() or _is_quote_line(lines[end - 1])):
        removed = removed or bool(lines[end - 1].strip())
        end -= 1
    return lines[:end], removed


def _last_content(lines: list[str]) -> int:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip():
            return i
    return -1


def _strip_mobile_signature(lines: list[str]) -> bool:
    last = _last_content(lines)
    if last > 0 and _MOBILE_SIGNATURE.match(lines[last].strip()) and _last_content(lines[:last]) >= 0:
        del lines[last:]
        return True
    return False


def _is_name(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 4
        and len(text) <= 40
        and not any(ch.isdigit() or ch in "@|?:/" for ch in text)
        and all(word[0].isupper() or not word[0].isalpha() for word in words)
    )


def _is_contact_detail(line: str) -> bool:
    text = line.strip()
    if not text:
        return True
    if len(text) > 80 or text.endswith("?") or text.lower().startswith(("p.s", "ps ", "ps:")):
        return False
    return len(text.split()) <= 10


def _has_contact_signal(line: str) -> bool:
    text = line.strip()
    if _PHONE.search(text) or _EMAIL_OR_URL.search(text) or "|" in text:
        return True
    words = [word for word in text.split() if word[0].isalpha()]
    return 0 < len(words) <= 6 and all(word[0].isupper() for word in words)


def _strip_sign_off_block(lines: list[str]) -> bool:
    """Keep "Thanks,\\nDiana" but drop the title/company/phone block a signature adds below it."""
    content = [i for i, line in enumerate(lines) if line.strip()][-_SIGN_OFF_WINDOW:]
    for i in reversed(content):
        match = _SIGN_OFF.match(lines[i].strip())
        if not match:
            continue
        keep = i + 1
        name = (match.group("name") or "").strip()
        if name and not _is_name(name):
            return False
        if not name:
            following = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if following is not None and _is_name(lines[following].strip()):
                keep = following + 1
        rest = lines[keep:]
        if not any(line.strip() for line in rest):
            return False
        if all(_is_contact_detail(line) for line in rest) and any(_has_contact_signal(x) for x in rest):
            del lines[keep:]
            return True
        return False
    return False


def _keep_signer(body: list[str], signature: list[str]) -> None:
    """A bare sign-off ("Best regards,") before a `--` signature that opens with a name keeps that
    name, so the message does not end with a sign-off addressed to nobody."""
    last = _last_content(body)
    if last < 0:
        return
    match = _SIGN_OFF.match(body[last].strip())
    if not match or (match.group("name") or "").strip():
        return
    first = next((line.strip() for line in signature if line.strip()), "")
    if _is_name(first):
        del body[last + 1 :]
        body.append(first)


def trim_reply(text: str, *, keep_signature: bool = False) -> Trimmed:
    """Remove quoted history and signatures, keeping what the sender wrote in this message.

    `keep_signature=True` removes quoted history only: a signature is part of what the sender
    wrote (the search index keeps it, so a name, title or company in it can be found)."""
    lines = _normalise_newlines(text).split("\n")
    start = _skip_leading_quote(lines)
    quoted = any(_is_quote_line(line) for line in lines[:start])
    end = len(lines)
    signature = False
    for i in range(start, len(lines)):
        if _hard_marker(lines, i):
            end, quoted = i, True
            break
        if lines[i].strip() == "--" and not keep_signature:
            end, signature = i, True
            break
    if signature:
        # History below a signature delimiter counts as quoted too.
        quoted = quoted or any(
            _hard_marker(lines, i) or _is_quote_line(lines[i]) for i in range(end, len(lines))
        )
    body, trailing_quote = _strip_trailing_quote(lines[start:end])
    if signature and end < len(lines):
        _keep_signer(body, lines[end + 1 :])
    quoted = quoted or trailing_quote
    if keep_signature:
        kept = "\n".join(line.rstrip() for line in body).strip()
        return Trimmed(kept or text.strip(), quoted=quoted and bool(kept), signature=False)
    signature = _strip_mobile_signature(body) or signature
    signature = _strip_sign_off_block(body) or signature
    result = "\n".join(line.rstrip() for line in body).strip()
    if not result:
        return Trimmed(text.strip(), quoted=False, signature=False)
    return Trimmed(result, quoted=quoted, signature=signature)


# --------------------------------------------------------------------------------------------
# Entry point and length control
# --------------------------------------------------------------------------------------------


def _tidy_plain(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row: SMS and text mail keep their layout."""
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def message_text(
    body_html: str | None, body_text: str | None, *, concise: bool, keep_signature: bool = False
) -> Trimmed:
    """Render one message body for the model: HTML preferred, invisible characters always removed.
    `concise` trims quoted history and signatures; with `keep_signature` only quoted history."""
    # Both branches already pass through strip_invisible.
    if body_html and body_html.strip():
        text = html_to_text(body_html)
    elif body_text:
        text = _tidy_plain(strip_invisible(body_text))
    else:
        text = ""
    if not text:
        return Trimmed("", quoted=False, signature=False)
    if concise:
        return trim_reply(text, keep_signature=keep_signature)
    return Trimmed(text, quoted=False, signature=False)


def _cut(text: str, budget: int, *, lines: bool) -> str:
    """Cut to `budget` characters, preferring a line break, then a space, in the second half."""
    window = text[: budget + 1]
    for boundary in ("\n", " ") if lines else (" ",):
        at = window.rfind(boundary)
        if at >= budget // 2:
            return window[:at].rstrip(" \t\n,;:-")
    return text[:budget].rstrip()


def gist(text: str, max_chars: int = 100) -> str:
    """One line, whitespace collapsed, at most max_chars long, ending in "…" when cut."""
    line = " ".join(text.split())
    if len(line) <= max_chars:
        return line
    if max_chars <= 0:
        return ""
    return _cut(line, max_chars - 1, lines=False) + ELLIPSIS


def clip(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut multi-line text to at most max_chars, preferring line then word boundaries."""
    if len(text) <= max_chars:
        return text, False
    if max_chars <= 0:
        return "", True
    return _cut(text, max_chars - 1, lines=True) + ELLIPSIS, True
