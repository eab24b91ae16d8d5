"""Text for ReportLab PDFs. `Paragraph` parses a mini-markup (`<img src>` embeds a file from the server's
disk, `<a href>` makes a link, `<font>`/`<br/>` format, and a malformed tag aborts the build), so every
text we did not write ourselves — names, notes, scheme names, anything from the database or a user — must
reach it escaped. `para` is the one way our PDF writers make a paragraph; line breaks in the text are kept.
Canvas `drawString` and chart labels take plain text and need nothing."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape


def markup_text(value: Any) -> str:
    """`value` as Paragraph markup that shows exactly its characters."""
    return escape(str(value)).replace("\n", "<br/>")


def para(value: Any, style: Any) -> Any:
    """A Paragraph showing `value` literally in `style`."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup_text(value), style)
