"""The inline SVG bar chart: well-formed, escaped, accessible, self-contained and deterministic."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from custos.console.charts import SERIES_COLOURS, axis_ticks, bar_chart_svg, luma

NS = {"svg": "http://www.w3.org/2000/svg"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SERIES = {
    "Requests": [3, 0, 12, 4, 0, 0, 1, 0, 0, 0, 2, 9],
    "Disclosures": [1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 3],
    "Rejections": [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "Holds": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


def bars(root: ET.Element) -> list[ET.Element]:
    group = root.find("svg:g[@class='bars']", NS)
    assert group is not None
    return group.findall("svg:rect", NS)


def test_the_chart_is_well_formed_and_escapes_every_text() -> None:
    title = "Agency <&> \"quoted\" 'single'"
    svg = bar_chart_svg(title, ["<Jan>", "F&b"], {"A<&>": [1, 2], "B": [0, 3]})
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    shown = root.find("svg:title", NS)
    assert shown is not None and shown.text == title
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert title in texts and "<Jan>" in texts and "F&b" in texts and "A<&>" in texts
    assert "<&>" not in svg and "&lt;&amp;&gt;" in svg


def test_a_title_with_characters_xml_forbids_still_parses() -> None:
    root = parse(bar_chart_svg("bell\x07 and form feed\x0c", ["a"], {"s": [1]}))
    shown = root.find("svg:title", NS)
    assert shown is not None and shown.text is not None and shown.text.startswith("bell")


def test_the_chart_is_an_image_with_a_title_and_a_description() -> None:
    root = parse(bar_chart_svg("Monthly activity", MONTHS, SERIES))
    assert root.get("role") == "img"
    labelled_by = (root.get("aria-labelledby") or "").split()
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    assert len(labelled_by) == 2 and set(labelled_by) <= ids
    desc = root.find("svg:desc", NS)
    assert desc is not None and desc.text is not None
    for name, values in SERIES.items():
        assert f"{name} {sum(values)}" in desc.text
    assert "Largest: Requests in Mar, 12" in desc.text


def test_one_bar_per_nonzero_value_with_heights_in_proportion() -> None:
    root = parse(bar_chart_svg("Monthly activity", MONTHS, SERIES))
    drawn = bars(root)
    assert len(drawn) == sum(1 for values in SERIES.values() for v in values if v)
    titles = ["".join(bar.itertext()) for bar in drawn]
    assert "Requests, Mar: 12" in titles and "Holds, Dec: 1" in titles
    height = {title: float(bar.get("height") or 0) for title, bar in zip(titles, drawn, strict=True)}
    assert height["Requests, Mar: 12"] == pytest.approx(3 * height["Requests, Apr: 4"])
    assert height["Disclosures, Mar: 6"] == pytest.approx(height["Requests, Mar: 12"] / 2)
    fills = {bar.get("fill") for bar in drawn if "".join(bar.itertext()).startswith("Requests")}
    assert fills == {SERIES_COLOURS[0]}


def test_axis_ticks_are_round_and_reach_the_largest_value() -> None:
    for maximum in range(1, 2_000):
        ticks = axis_ticks(maximum)
        step = ticks[1] - ticks[0]
        assert ticks[0] == 0 and ticks[-1] >= maximum and len(ticks) <= 6
        assert ticks[-1] - step < maximum  # no tick wasted above the data
        assert re.fullmatch(r"(1|2|5)0*", str(step))
    assert axis_ticks(0) == [0, 1]
    root = parse(bar_chart_svg("t", MONTHS, SERIES))
    axes = root.find("svg:g[@class='axes']", NS)
    assert axes is not None
    labels = {t.text for t in axes.findall("svg:text", NS)}
    assert {str(tick) for tick in axis_ticks(12)} <= labels and set(MONTHS) <= labels


def test_the_legend_names_every_series() -> None:
    root = parse(bar_chart_svg("t", MONTHS, SERIES))
    legend = root.find("svg:g[@class='legend']", NS)
    assert legend is not None
    assert [t.text for t in legend.findall("svg:text", NS)] == list(SERIES)
    assert [r.get("fill") for r in legend.findall("svg:rect", NS)] == list(SERIES_COLOURS[:4])


def test_many_long_series_names_wrap_the_legend_inside_the_image() -> None:
    names = {f"A rather long series name number {n}": [n, 1] for n in range(6)}
    root = parse(bar_chart_svg("t", ["a", "b"], names, width=400))
    legend = root.find("svg:g[@class='legend']", NS)
    assert legend is not None
    rows = {float(r.get("y") or 0) for r in legend.findall("svg:rect", NS)}
    assert len(rows) > 1 and max(rows) + 12 <= float(root.get("height") or 0)


def test_series_colours_differ_in_greyscale() -> None:
    assert min(abs(luma(a) - luma(b)) for a, b in itertools.combinations(SERIES_COLOURS[:4], 2)) >= 0.15
    assert min(abs(luma(a) - luma(b)) for a, b in itertools.combinations(SERIES_COLOURS, 2)) >= 0.1


def test_the_output_is_self_contained_and_deterministic() -> None:
    svg = bar_chart_svg("Monthly activity", MONTHS, SERIES)
    assert svg == bar_chart_svg("Monthly activity", MONTHS, SERIES)
    lowered = svg.lower()
    for forbidden in ("<script", "href", "url(", "<image", "<style", "<foreignobject", "onload", "@import"):
        assert forbidden not in lowered
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    other = bar_chart_svg("Another chart", MONTHS, SERIES)
    assert parse(svg).get("aria-labelledby") != parse(other).get("aria-labelledby")


@pytest.mark.parametrize(
    ("labels", "series", "message"),
    [
        (["a", "b"], {"s": [1]}, "1 values for 2 labels"),
        (["a"], {"s": [-1]}, "negative"),
        (["a"], {}, "at least one series"),
        (["a"], {str(n): [1] for n in range(7)}, "at most 6 series"),
    ],
)
def test_bad_input_is_refused(labels: list[str], series: dict[str, list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bar_chart_svg("t", labels, series)
