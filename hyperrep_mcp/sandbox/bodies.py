"""HTML and SMS body builders that imitate what real mail clients produce.

The output is deliberately untidy in the ways real inboxes are: entities (``&amp;``,
``&rsquo;``, ``&nbsp;``), Gmail and Outlook quoted history, ``-- `` signatures, the occasional
hidden preheader, HTML comment or invisible Unicode character. Client code must cope with all
of it, so the sandbox must produce all of it.
"""

from __future__ import annotations

import html
import random
from datetime import datetime

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Characters a careless paste or a hostile sender leaves behind: zero-width space/joiner, word
# joiner, and the right-to-left override that flips how text is displayed.
INVISIBLE_CHARS = ("\u200b", "\u200d", "\u2060", "\u202e")


def escape_text(text: str, *, smart_quotes: bool) -> str:
    """Escape for HTML; Outlook-style senders also turn apostrophes into ``&rsquo;``."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("'", "&rsquo;") if smart_quotes else escaped.replace("'", "&#39;")


def paragraphs(texts: list[str], *, smart_quotes: bool) -> str:
    return "".join(f"<p>{escape_text(t, smart_quotes=smart_quotes)}</p>" for t in texts)


def quote_header_date(moment: datetime) -> str:
    """Gmail's attribution date, built by hand so it never depends on the process locale."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{_WEEKDAYS[moment.weekday()]}, {_MONTHS[moment.month - 1]} {moment.day}, {moment.year} "
        f"at {hour}:{moment.minute:02d} {half}"
    )


def gmail_quote(inner_html: str, sender: str, address: str | None, moment: datetime) -> str:
    who = html.escape(sender, quote=False)
    if address:
        who += f" &lt;{html.escape(address)}&gt;"
    return (
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"On {quote_header_date(moment)} {who} wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        'border-left:1px solid rgb(204,204,204);padding-left:1ex">'
        f"{inner_html}</blockquote></div>"
    )


def outlook_quote(inner_html: str, sender: str, address: str | None, subject: str | None) -> str:
    who = html.escape(sender, quote=False)
    if address:
        who += f" &lt;{html.escape(address)}&gt;"
    subject_line = f"<br><b>Subject:</b> {html.escape(subject, quote=False)}" if subject else ""
    return (
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
        f'<div id="divRplyFwdMsg"><b>From:</b> {who}{subject_line}</div>'
        f"<blockquote>{inner_html}</blockquote>"
    )


def signature(agent_name: str, role: str, org_name: str, phone: str) -> str:
    """The conventional ``-- `` delimiter, so clients can trim signatures."""
    return (
        '<div class="signature">-- <br>'
        f"{html.escape(agent_name, quote=False)}<br>"
        f"{html.escape(role, quote=False)} | {html.escape(org_name, quote=False)}<br>"
        f"{html.escape(phone)}&nbsp;&middot;&nbsp;Licensed &amp; insured</div>"
    )


def hidden_preheader(rng: random.Random) -> str:
    """Invisible preview text, as newsletter-style and forwarded mails carry."""
    text = rng.choice(
        (
            "Quick question about our roof",
            "Sent from the customer portal",
            "Reply above this line",
        )
    )
    return f'<div style="display:none;max-height:0;overflow:hidden">{html.escape(text)}</div>'


def html_comment(rng: random.Random) -> str:
    return rng.choice(
        (
            "<!--[if mso]><style>p{margin:0}</style><![endif]-->",
            "<!-- tracking: src=portal; v=2 -->",
            "<!-- BEGIN body -->",
        )
    )


def sprinkle_invisible(rng: random.Random, text: str) -> str:
    """Insert one invisible character inside a word (after the first space)."""
    cut = text.find(" ", 8)
    if cut < 0:
        return text
    return text[: cut + 3] + rng.choice(INVISIBLE_CHARS) + text[cut + 3 :]
