"""A small PDF 1.4 writer for the reports a disclosure office downloads: text, tables, bar charts.

A report PDF must open anywhere, years from now, and be reproducible: the same
figures give the same bytes, so a file can be checked against a recomputation.
So the writer uses only what every reader has built in, the standard Helvetica
and Helvetica-Bold fonts in WinAnsi encoding (no font is embedded or fetched),
writes no timestamp it is not given, and compresses page content with zlib, whose
output is fixed for fixed input.  Text outside WinAnsi is transliterated to ASCII
(``anyascii``) rather than dropped, and any character left over becomes ``?``.

:class:`PdfDocument` holds pages of drawing operations; :class:`Flow` lays out
headings, paragraphs, tables and bar charts from the top of a page down and starts
a new page when the next block does not fit.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from anyascii import anyascii

from custos.console.charts import OUTLINE, SERIES_COLOURS, axis_ticks


@dataclass(frozen=True, slots=True)
class PageSize:
    """Width and height in points (1/72 inch)."""

    width: float
    height: float


A4 = PageSize(595.28, 841.89)
LETTER = PageSize(612, 792)

Colour = tuple[float, float, float]  # RGB, each 0 to 1
BLACK: Colour = (0, 0, 0)
GREY: Colour = (0.45, 0.45, 0.45)
LIGHT: Colour = (0.85, 0.85, 0.85)
SHADE: Colour = (0.93, 0.93, 0.93)

# Advance widths (1/1000 em) of the printable ASCII characters 32-126, from Adobe's Core 14 AFM files.
_WIDTHS = {
    False: (
        "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 "
        "556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 "
        "667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 "
        "556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
    ),
    True: (
        "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 "
        "556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 "
        "667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 "
        "611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584"
    ),
}
ASCII_WIDTHS: dict[bool, tuple[int, ...]] = {
    bold: tuple(map(int, row.split())) for bold, row in _WIDTHS.items()
}
_WIDE = {0x85: 1000, 0x89: 1000, 0x97: 1000, 0x99: 1000}  # ellipsis, per mille, em dash, trade mark


def winansi(text: str) -> bytes:
    """``text`` in WinAnsi (cp1252), the encoding of the standard fonts.

    Line breaks become spaces (a text is drawn on one line); a character WinAnsi lacks is transliterated
    (``Ł`` becomes ``L``) or, failing that, replaced by ``?``: never dropped without a trace.
    """
    out = bytearray()
    for char in text:
        try:
            encoded = (" " if char in "\t\r\n" else char).encode("cp1252")
        except UnicodeEncodeError:
            encoded = anyascii(char).encode("ascii", "replace") or b"?"
        out += b"?" if len(encoded) == 1 and (encoded[0] < 32 or encoded[0] == 127) else encoded
    return bytes(out)


def _byte_width(byte: int, bold: bool) -> int:
    if 32 <= byte <= 126:
        return ASCII_WIDTHS[bold][byte - 32]
    if byte in _WIDE:
        return _WIDE[byte]
    base = unicodedata.normalize("NFD", bytes([byte]).decode("cp1252", "replace"))[:1]
    return ASCII_WIDTHS[bold][ord(base) - 32] if " " <= base <= "~" else 556  # an accented letter: its base


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` in points, set in Helvetica (or Helvetica-Bold) at ``size``."""
    return sum(_byte_width(byte, bold) for byte in winansi(text)) * size / 1000


def _literal(text: str) -> str:
    """A PDF literal string: parentheses and backslashes escaped, anything not printable ASCII in octal."""
    parts = []
    for byte in winansi(text):
        if byte in b"()\\":
            parts.append("\\" + chr(byte))
        elif 32 <= byte <= 126:
            parts.append(chr(byte))
        else:
            parts.append(f"\\{byte:03o}")
    return "(" + "".join(parts) + ")"


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _rgb(colour: Colour) -> str:
    return " ".join(_n(part) for part in colour)


def hex_colour(value: str) -> Colour:
    """A ``#rrggbb`` colour as RGB fractions."""
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (red, green, blue)


Point = tuple[float, float]


class Page:
    """One page's drawing operations; y grows upwards from the bottom edge, as in PDF."""

    def __init__(self, size: PageSize) -> None:
        self.size = size
        self._operations: list[str] = []

    def text(
        self, at: Point, text: str, *, size: float = 10, bold: bool = False, colour: Colour = BLACK
    ) -> None:
        """Draw one line of text starting at ``at`` on its baseline."""
        font = "F2" if bold else "F1"
        x, y = at
        self._operations.append(
            f"BT {_rgb(colour)} rg /{font} {_n(size)} Tf {_n(x)} {_n(y)} Td {_literal(text)} Tj ET"
        )

    def line(self, start: Point, end: Point, *, width: float = 0.5, colour: Colour = BLACK) -> None:
        """Draw a straight line."""
        (x1, y1), (x2, y2) = start, end
        self._operations.append(f"{_rgb(colour)} RG {_n(width)} w {_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l S")

    def rect(
        self,
        corner: Point,
        width: float,
        height: float,
        *,
        fill: Colour | None = None,
        stroke: Colour | None = None,
        line_width: float = 0.5,
    ) -> None:
        """Draw a rectangle from its lower-left ``corner``, filled, outlined or both."""
        if fill is None and stroke is None:
            return
        paint = "S" if fill is None else ("f" if stroke is None else "B")
        colours = "" if fill is None else f"{_rgb(fill)} rg "
        if stroke is not None:
            colours += f"{_rgb(stroke)} RG {_n(line_width)} w "
        x, y = corner
        self._operations.append(f"{colours}{_n(x)} {_n(y)} {_n(width)} {_n(height)} re {paint}")

    @property
    def content(self) -> bytes:
        """The page's content stream, uncompressed."""
        return ("\n".join(self._operations) + "\n").encode("ascii")


def _info_string(text: str) -> str:
    """A document-information string in UTF-16BE with its byte-order mark, so any title survives."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class PdfDocument:
    """Pages in order, written as a PDF 1.4 file with a correct cross-reference table."""

    def __init__(
        self, page_size: PageSize = A4, *, title: str | None = None, created: dt.datetime | None = None
    ) -> None:
        self.page_size = page_size
        self.title = title
        self.created = created
        self.pages: list[Page] = []

    def add_page(self) -> Page:
        """A new blank page at the end."""
        page = Page(self.page_size)
        self.pages.append(page)
        return page

    def to_bytes(self) -> bytes:
        """The whole file: catalog, page tree, two fonts, information, then each page and its content.

        A document without pages gets one blank page, as a PDF must have one.
        """
        pages = self.pages or [Page(self.page_size)]
        kids = " ".join(f"{6 + 2 * index} 0 R" for index in range(len(pages)))
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
            _font("Helvetica"),
            _font("Helvetica-Bold"),
            self._info(),
        ]
        for index, page in enumerate(pages):
            box = f"[0 0 {_n(page.size.width)} {_n(page.size.height)}]"
            objects.append(
                f"<< /Type /Page /Parent 2 0 R /MediaBox {box} "
                f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {7 + 2 * index} 0 R >>".encode()
            )
            data = zlib.compress(page.content, 9)
            objects.append(
                f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
            )
        return _assemble(objects)

    def _info(self) -> bytes:
        entries = ["/Producer (custos)"]
        if self.title:
            entries.append(f"/Title {_info_string(self.title)}")
        if self.created:
            entries.append(f"/CreationDate (D:{self.created.astimezone(dt.UTC):%Y%m%d%H%M%S}Z)")
        return ("<< " + " ".join(entries) + " >>").encode()


def _font(name: str) -> bytes:
    return f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>".encode()


def _assemble(objects: list[bytes]) -> bytes:
    """Header, numbered objects, the cross-reference table of their byte offsets, and the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the comment's high bytes mark the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    size = len(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width``: at spaces, or inside a word longer than a line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if current and text_width(current + char, size, bold=bold) > width:
                lines.append(current)
                current = ""
            current += char
    return [*lines, current] if current or not lines else lines


def _numeric(cell: str) -> bool:
    return cell.replace(",", "").removeprefix("-").isdigit()


@dataclass(frozen=True, slots=True)
class _Columns:
    """A table's column widths and which columns hold numbers (drawn right-aligned)."""

    widths: tuple[float, ...]
    numeric: tuple[bool, ...]
    size: float

    @property
    def pad(self) -> float:
        return self.size * 0.5

    @property
    def leading(self) -> float:
        return self.size * 1.25


@dataclass(frozen=True, slots=True)
class _Plot:
    """A chart's plot area on the page and the value at its top."""

    left: float
    base: float
    width: float
    height: float
    top: int

    def y(self, value: float) -> float:
        return self.base + self.height * value / self.top


class Flow:
    """Blocks laid out top to bottom inside the margins, a new page when the next block does not fit."""

    def __init__(self, document: PdfDocument, *, margin: float = 48) -> None:
        self.document = document
        self.margin = margin
        self.width = document.page_size.width - 2 * margin
        self.page = document.add_page()
        self.y = document.page_size.height - margin  # the top of the next block

    def page_break(self) -> None:
        """Continue on a new page."""
        self.page = self.document.add_page()
        self.y = self.document.page_size.height - self.margin

    def _room(self, height: float) -> None:
        """Start a new page unless ``height`` fits below the cursor or the cursor is at a page's top."""
        at_top = self.y >= self.document.page_size.height - self.margin
        if self.y - height < self.margin and not at_top:
            self.page_break()

    def space(self, height: float) -> None:
        """Leave a gap."""
        self.y -= height

    def heading(self, text: str, *, size: float = 14) -> None:
        """A bold heading, kept on the page with a little of what follows."""
        self._room(size * 1.4 + 60)
        self.paragraph(text, size=size, bold=True)
        self.y -= size * 0.3

    def paragraph(self, text: str, *, size: float = 10, bold: bool = False, colour: Colour = BLACK) -> None:
        """Wrapped text across the full width."""
        leading = size * 1.3
        for line in wrap(text, self.width, size, bold=bold):
            self._room(leading)
            self.y -= leading
            self.page.text((self.margin, self.y + size * 0.25), line, size=size, bold=bold, colour=colour)
        self.y -= size * 0.4

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        size: float = 8,
        total_row: bool = False,
    ) -> None:
        """A table whose shaded header row repeats on each page it spans.

        Numeric columns are right-aligned and long text wraps inside its column; ``total_row`` sets the
        last row in bold.
        """
        columns = self._columns(header, rows, size)
        self._row(header, columns, header=True)
        for index, row in enumerate(rows):
            bold = total_row and index == len(rows) - 1
            if not self._fits(row, columns):
                self.page_break()
                self._row(header, columns, header=True)
            self._row(row, columns, bold=bold)
        self.y -= size

    def _columns(self, header: Sequence[str], rows: Sequence[Sequence[str]], size: float) -> _Columns:
        """Each column as wide as its widest cell, or, if the table would not fit, narrower.

        Then every column first gets the width of its longest word (so headers wrap rather than break);
        what is left goes to the columns that want least first, each taking at most an equal share of
        what remains, so short columns stay whole and the long texts wrap.  Widths are measured in bold,
        the wider face, so no cell wraps early.
        """
        columns = [[head, *(row[i] for row in rows)] for i, head in enumerate(header)]
        room = size + 0.5  # the padding, and a little so rounding never wraps a cell that fits
        natural = [max(text_width(cell, size, bold=True) for cell in cells) + room for cells in columns]
        numeric = tuple(bool(rows) and all(_numeric(cell) for cell in cells[1:] if cell) for cells in columns)
        if sum(natural) <= self.width:
            return _Columns(tuple(natural), numeric, size)
        words = [[word for cell in cells for word in cell.split()] or [""] for cells in columns]
        widths = [max(text_width(word, size, bold=True) for word in group) + room for group in words]
        spare = self.width - sum(widths)
        if spare < 0:  # even single words do not fit: shrink everything alike, words break inside
            return _Columns(tuple(w * self.width / sum(widths) for w in widths), numeric, size)
        wants = sorted(range(len(widths)), key=lambda i: natural[i] - widths[i])
        for taken, i in enumerate(wants):
            give = min(natural[i] - widths[i], spare / (len(wants) - taken))
            widths[i] += give
            spare -= give
        return _Columns(tuple(widths), numeric, size)

    def _lines(self, cells: Sequence[str], columns: _Columns, bold: bool) -> list[list[str]]:
        return [
            wrap(cell, width - 2 * columns.pad, columns.size, bold=bold)
            for cell, width in zip(cells, columns.widths, strict=True)
        ]

    def _fits(self, cells: Sequence[str], columns: _Columns) -> bool:
        lines = self._lines(cells, columns, bold=True)  # bold is the wider face: a row that fits bold fits
        return self.y - (max(map(len, lines)) * columns.leading + columns.pad) >= self.margin

    def _row(
        self, cells: Sequence[str], columns: _Columns, *, header: bool = False, bold: bool = False
    ) -> None:
        """Draw one row at the cursor and move below it."""
        strong = header or bold
        lines = self._lines(cells, columns, strong)
        height = max(map(len, lines)) * columns.leading + columns.pad
        total = sum(columns.widths)
        if header:
            self.page.rect((self.margin, self.y - height), total, height, fill=SHADE)
        x = self.margin
        for cell_lines, width, right in zip(lines, columns.widths, columns.numeric, strict=True):
            for number, line in enumerate(cell_lines):
                baseline = self.y - columns.pad * 0.5 - columns.leading * (number + 1) + columns.size * 0.3
                shift = (
                    width - columns.pad - text_width(line, columns.size, bold=strong)
                    if right
                    else columns.pad
                )
                self.page.text((x + shift, baseline), line, size=columns.size, bold=strong)
            x += width
        self.y -= height
        rule = (0.5, BLACK) if header else (0.25, LIGHT)
        self.page.line((self.margin, self.y), (self.margin + total, self.y), width=rule[0], colour=rule[1])

    def bar_chart(
        self, title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]], *, height: float = 200
    ) -> None:
        """Grouped bars (one group per label) with value ticks, grid lines and a legend, as in the console."""
        self._room(height + 80)
        self.paragraph(title, size=11, bold=True)
        ticks = axis_ticks(max((max(values, default=0) for values in series.values()), default=0))
        plot = _Plot(self.margin + 30, self.y - height - 6, self.width - 30, height, ticks[-1])
        for tick in ticks:
            y = plot.y(tick)
            self.page.line((plot.left, y), (plot.left + plot.width, y), width=0.25, colour=LIGHT)
            self.page.text((plot.left - 4 - text_width(str(tick), 7), y - 2.5), str(tick), size=7)
        self.page.line((plot.left, plot.base), (plot.left, plot.base + height), width=0.75)
        self.page.line((plot.left, plot.base), (plot.left + plot.width, plot.base), width=0.75)
        self._bars(plot, labels, series)
        self.y = plot.base - 24
        self._legend(list(series))

    def _bars(self, plot: _Plot, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> None:
        group = plot.width / max(len(labels), 1)
        bar = group * 0.8 / max(len(series), 1)
        outline = hex_colour(OUTLINE)
        for index, label in enumerate(labels):
            middle = plot.left + group * (index + 0.5)
            self.page.text((middle - text_width(label, 7) / 2, plot.base - 10), label, size=7)
            for number, values in enumerate(series.values()):
                if values[index] > 0:
                    corner = (plot.left + group * (index + 0.1) + bar * number, plot.base)
                    fill = hex_colour(SERIES_COLOURS[number % len(SERIES_COLOURS)])
                    self.page.rect(corner, bar, plot.y(values[index]) - plot.base, fill=fill, stroke=outline,
                                   line_width=0.4)  # fmt: skip

    def _legend(self, names: list[str]) -> None:
        x = self.margin + 30
        for number, name in enumerate(names):
            wide = 13 + text_width(name, 8) + 14
            if x + wide > self.margin + self.width:
                x, self.y = self.margin + 30, self.y - 14
            fill = hex_colour(SERIES_COLOURS[number % len(SERIES_COLOURS)])
            self.page.rect((x, self.y - 1), 9, 9, fill=fill, stroke=hex_colour(OUTLINE), line_width=0.4)
            self.page.text((x + 13, self.y), name, size=8)
            x += wide
        self.y -= 18
