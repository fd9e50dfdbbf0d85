"""The PDF writer: files pypdf reads strictly, text that survives, exact offsets, repeatable bytes."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS

from custos.console.pdf import (
    A4,
    ASCII_WIDTHS,
    LETTER,
    Flow,
    PageSize,
    PdfDocument,
    text_width,
    winansi,
    wrap,
)


def read(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def one_page(text: str) -> bytes:
    document = PdfDocument()
    document.add_page().text((72, 700), text)
    return document.to_bytes()


def test_text_comes_back_out_with_parentheses_backslashes_and_accents() -> None:
    text = r"Figures (as of 31 Dec) \ total: café €5 – done"
    assert read(one_page(text)).pages[0].extract_text() == text


def test_characters_outside_winansi_are_transliterated_or_replaced_never_dropped() -> None:
    assert winansi("Łódź") == "Lódz".encode("cp1252")
    assert winansi("中") == b"Zhong"
    assert winansi("a\x00b\nc\x7f") == b"a?b c?"
    assert read(one_page("Łódź 中 \U0001f600")).pages[0].extract_text().startswith("Lódz Zhong")


def test_the_content_stream_stays_ascii_with_escapes() -> None:
    document = PdfDocument()
    document.add_page().text((10, 10), "a(b)c\\d é")
    content = document.pages[0].content
    assert content.isascii()
    assert rb"(a\(b\)c\\d \351)" in content


def test_the_cross_reference_table_points_at_every_object() -> None:
    data = one_page("hello")
    startxref = int(re.findall(rb"startxref\n(\d+)\n%%EOF\n$", data)[0])
    assert data[startxref:].startswith(b"xref\n")
    header = re.match(rb"xref\n0 (\d+)\n", data[startxref:])
    assert header is not None
    count = int(header.group(1))
    table = data[startxref + header.end() :].split(b"trailer")[0]
    entries = [table[i : i + 20] for i in range(0, len(table), 20)]
    assert len(entries) == count and entries[0] == b"0000000000 65535 f \n"
    for number, entry in enumerate(entries[1:], start=1):
        assert entry.endswith(b" 00000 n \n")
        assert data[int(entry[:10]) :].startswith(f"{number} 0 obj\n".encode())
    assert f"/Size {count}".encode() in data


def test_output_is_repeatable_and_dated_only_when_asked() -> None:
    assert one_page("same") == one_page("same")
    plain = read(one_page("x")).metadata
    assert plain is not None and "/CreationDate" not in plain
    moment = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)
    document = PdfDocument(title="Report <2026> – ünïcode ✓", created=moment)
    document.add_page()
    meta = read(document.to_bytes()).metadata
    assert meta is not None and meta.title == "Report <2026> – ünïcode ✓"
    assert meta["/CreationDate"] == "D:20270105093000Z"


@pytest.mark.parametrize(("size", "box"), [(A4, (595.28, 841.89)), (LETTER, (612, 792))])
def test_pages_have_the_chosen_paper_size(size: PageSize, box: tuple[float, float]) -> None:
    document = PdfDocument(size)
    document.add_page()
    document.add_page()
    reader = read(document.to_bytes())
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(box)


def test_a_document_without_pages_still_has_one() -> None:
    assert len(read(PdfDocument().to_bytes()).pages) == 1


def test_widths_are_adobes_helvetica_metrics() -> None:
    for bold, font in ((False, "Helvetica"), (True, "Helvetica-Bold")):
        metrics = CORE_FONT_METRICS[font].character_widths
        for code in range(32, 127):
            char = chr(code)
            assert ASCII_WIDTHS[bold][code - 32] == metrics[char], (font, char)
    assert text_width("Ab", 10) == pytest.approx((667 + 556) / 100)
    assert text_width("é", 10) == text_width("e", 10)


def test_wrapped_lines_fit_and_keep_every_word() -> None:
    text = "The general purposes of the requests " * 6 + "Supercalifragilisticexpialidocious" * 3
    lines = wrap(text, 120, 9)
    assert all(text_width(line, 9) <= 120 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap("", 100, 9) == [""]


def test_a_long_table_repeats_its_header_on_every_page() -> None:
    document = PdfDocument()
    flow = Flow(document)
    flow.heading("Long table")
    rows = [[f"AGENCY-{n:03d}", str(n), f"{n * 1000:,}"] for n in range(150)]
    flow.table(["Agency", "Requests", "Records"], rows)
    reader = read(document.to_bytes())
    assert len(reader.pages) >= 3
    texts = [page.extract_text() for page in reader.pages]
    assert all("Agency Requests Records" in text for text in texts)
    joined = "\n".join(texts)
    assert all(f"AGENCY-{n:03d} {n} {n * 1000:,}" in joined for n in range(150))


def test_a_bar_chart_is_drawn_with_rectangles_lines_and_labels() -> None:
    document = PdfDocument()
    Flow(document).bar_chart(
        "Chart (test)", ["Jan", "Feb", "Mar"], {"Requests": [4, 0, 7], "Holds": [1, 0, 0]}
    )
    page = read(document.to_bytes()).pages[0]
    content = page.get_contents()
    assert content is not None
    operations = content.get_data().decode("ascii")
    assert operations.count(" re B") == 3 + 2  # three non-zero bars, two legend swatches
    assert " l S" in operations
    text = page.extract_text()
    for label in ("Chart (test)", "Jan", "Feb", "Mar", "Requests", "Holds", "0", "8"):
        assert label in text
