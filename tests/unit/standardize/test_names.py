"""Name standardization: folding, suffixes, particles, compound names, nicknames, phonetics, order.

Table-driven: each row is a case a matcher will meet in immigration and tax
records (accents, O'Brien, GARCIA-MARQUEZ / GARCIA MARQUEZ / GARCIAMARQUEZ,
"de la", Jr in the surname field, Pepe for José).  The Hypothesis tests pin
the contract that fold and standardize_name never raise and are idempotent.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.standardize.models import StandardName, Suffix
from custos.standardize.names import (
    GIVEN_PARTICLES,
    SURNAME_PARTICLES,
    fold,
    given_name_groups,
    nickname_equivalent,
    phonetic_key,
    standardize_name,
    swapped,
    token_equivalent,
    variant_key,
)
from custos.standardize.nicknames_es import SPANISH_NICKNAMES

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True)


def std(
    given: str | None = None, surname: str | None = None, middle: str | None = None, suffix: str | None = None
) -> StandardName:
    """Shorthand with the order a reader expects in a table."""
    return standardize_name(given, middle, surname, suffix)


class TestFold:
    """fold: anyascii, upper case, apostrophes dropped, punctuation to spaces."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("José Núñez de la Peña", "JOSE NUNEZ DE LA PENA", id="spanish-accents"),
            pytest.param("Nguyễn Văn Thành", "NGUYEN VAN THANH", id="vietnamese"),
            pytest.param("Müller", "MULLER", id="umlaut-folds-to-u"),
            pytest.param("Łódź Øre", "LODZ ORE", id="polish-danish"),
            pytest.param("Straße", "STRASSE", id="eszett"),
            pytest.param("北京", "BEIJING", id="cjk-transliterated"),
            pytest.param("O'Brien", "OBRIEN", id="apostrophe"),
            pytest.param("D'Angelo", "DANGELO", id="apostrophe-d"),
            pytest.param("O’Brien", "OBRIEN", id="typographic-apostrophe"),
            pytest.param("O´Brien", "OBRIEN", id="acute-accent-as-apostrophe"),
            pytest.param("O`Brien", "OBRIEN", id="backtick-as-apostrophe"),
            pytest.param("Garcia-Marquez", "GARCIA MARQUEZ", id="hyphen"),
            pytest.param("García–Márquez", "GARCIA MARQUEZ", id="en-dash"),
            pytest.param("Smith, Jr.", "SMITH JR", id="comma-period"),
            pytest.param("St. John", "ST JOHN", id="abbreviation-period"),
            pytest.param("  ana \t maria\n ", "ANA MARIA", id="whitespace-collapsed"),
            pytest.param("III", "III", id="roman-numeral"),
            pytest.param("2nd", "2ND", id="ordinal"),
        ],
    )
    def test_folds(self, text: str, expected: str) -> None:
        """Each raw spelling folds to the expected comparison form."""
        assert fold(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param(None, id="none"),
            pytest.param("", id="empty"),
            pytest.param("   ", id="blank"),
            pytest.param("-.,'", id="punctuation-only"),
            pytest.param(math.nan, id="nan-from-a-dataframe"),
            pytest.param(42, id="integer"),
        ],
    )
    def test_empty_and_non_strings(self, text: object) -> None:
        """Missing values, punctuation-only text and non-strings fold to the empty string."""
        assert fold(text) == ""  # type: ignore[arg-type]


SUFFIX_CASES = [
    # (given, middle, surname, suffix field) -> (given, middle, surname, suffix)
    pytest.param(("JOHN", "", "SMITH", "Jr."), ("JOHN", "", "SMITH", Suffix.JR), id="field-jr-period"),
    pytest.param(("JOHN", "", "SMITH", "JR"), ("JOHN", "", "SMITH", Suffix.JR), id="field-jr"),
    pytest.param(("JOHN", "", "SMITH", "junior"), ("JOHN", "", "SMITH", Suffix.JR), id="field-junior"),
    pytest.param(("JOHN", "", "SMITH", "Sr"), ("JOHN", "", "SMITH", Suffix.SR), id="field-sr"),
    pytest.param(("JOHN", "", "SMITH", "SENIOR"), ("JOHN", "", "SMITH", Suffix.SR), id="field-senior"),
    pytest.param(("JOHN", "", "SMITH", "2nd"), ("JOHN", "", "SMITH", Suffix.II), id="field-2nd"),
    pytest.param(("JOHN", "", "SMITH", "II"), ("JOHN", "", "SMITH", Suffix.II), id="field-ii"),
    pytest.param(("JOHN", "", "SMITH", "3RD"), ("JOHN", "", "SMITH", Suffix.III), id="field-3rd"),
    pytest.param(("JOHN", "", "SMITH", "III"), ("JOHN", "", "SMITH", Suffix.III), id="field-iii"),
    pytest.param(("JOHN", "", "SMITH", "IV"), ("JOHN", "", "SMITH", Suffix.IV), id="field-iv"),
    pytest.param(("JOHN", "", "SMITH", "V"), ("JOHN", "", "SMITH", Suffix.V), id="field-v"),
    pytest.param(("JOHN", "", "SMITH", "3"), ("JOHN", "", "SMITH", Suffix.III), id="field-bare-digit"),
    pytest.param(("JOHN", "", "SMITH", "Esq."), ("JOHN", "", "SMITH", None), id="field-esq-ignored"),
    pytest.param(("JOHN", "", "SMITH", "MD"), ("JOHN", "", "SMITH", None), id="field-md-ignored"),
    pytest.param(("JOHN", "", "SMITH JR", None), ("JOHN", "", "SMITH", Suffix.JR), id="surname-jr"),
    pytest.param(("JOHN", "", "Smith, Jr.", None), ("JOHN", "", "SMITH", Suffix.JR), id="surname-comma-jr"),
    pytest.param(("JOHN", "", "SMITH III", None), ("JOHN", "", "SMITH", Suffix.III), id="surname-iii"),
    pytest.param(("JOHN", "", "Smith 2nd", None), ("JOHN", "", "SMITH", Suffix.II), id="surname-2nd"),
    pytest.param(("JOHN", "", "SMITH V", None), ("JOHN", "", "SMITH", Suffix.V), id="surname-v"),
    pytest.param(
        ("JOHN", "", "Garcia Marquez Jr", None),
        ("JOHN", "", "GARCIA MARQUEZ", Suffix.JR),
        id="surname-compound-jr",
    ),
    pytest.param(
        ("", "", "JOHN SMITH JR", None), ("", "", "JOHN SMITH", Suffix.JR), id="whole-name-in-surname"
    ),
    pytest.param(("JOHN JR", "", "SMITH", None), ("JOHN", "", "SMITH", Suffix.JR), id="given-jr"),
    pytest.param(("John Sr.", "", "Smith", None), ("JOHN", "", "SMITH", Suffix.SR), id="given-sr-period"),
    pytest.param(("JOHN III", "", "SMITH", None), ("JOHN", "", "SMITH", Suffix.III), id="given-iii"),
    pytest.param(
        ("JOHN A JR", "", "SMITH", None), ("JOHN", "A", "SMITH", Suffix.JR), id="given-initial-then-jr"
    ),
    pytest.param(
        ("JOHN JR A", "", "SMITH", None), ("JOHN", "A", "SMITH", Suffix.JR), id="given-jr-then-initial"
    ),
    pytest.param(("JOHN V", "", "SMITH", None), ("JOHN", "V", "SMITH", None), id="given-v-is-an-initial"),
    pytest.param(("JOHN", "A JR", "SMITH", None), ("JOHN", "A", "SMITH", Suffix.JR), id="middle-jr"),
    pytest.param(("JOHN", "JR", "SMITH", None), ("JOHN", "", "SMITH", Suffix.JR), id="middle-only-jr"),
    pytest.param(("JOHN", "V", "SMITH", None), ("JOHN", "V", "SMITH", None), id="middle-v-is-an-initial"),
    pytest.param(("JUNIOR", "", "SILVA", None), ("JUNIOR", "", "SILVA", None), id="junior-as-given-name"),
    pytest.param(("ABRAHAM", "", "SENIOR", None), ("ABRAHAM", "", "SENIOR", None), id="senior-as-surname"),
    pytest.param(
        ("JOHN", "", "SMITH JR", "SR"), ("JOHN", "", "SMITH", Suffix.SR), id="field-wins-over-surname"
    ),
    pytest.param(
        ("JOHN JR", "", "SMITH III", None), ("JOHN", "", "SMITH", Suffix.III), id="surname-wins-over-given"
    ),
]


class TestSuffix:
    """Generational suffixes from the suffix field or the end of any name field."""

    @pytest.mark.parametrize(("fields", "expected"), SUFFIX_CASES)
    def test_suffix(
        self, fields: tuple[str, str, str, str | None], expected: tuple[str, str, str, Suffix | None]
    ) -> None:
        """The suffix is found, removed from its field, and the other fields are untouched."""
        name = standardize_name(fields[0], fields[1], fields[2], fields[3])
        assert (name.given, name.middle, name.surname, name.suffix) == expected


class TestSurname:
    """Particles, compounds, Mc/Mac/O and the concatenated form."""

    @pytest.mark.parametrize(
        ("surname", "folded", "tokens"),
        [
            pytest.param("de la Cruz", "DE LA CRUZ", ("CRUZ",), id="de-la"),
            pytest.param("Dela Cruz", "DELA CRUZ", ("CRUZ",), id="dela-filipino"),
            pytest.param("del Río", "DEL RIO", ("RIO",), id="del"),
            pytest.param("de los Santos", "DE LOS SANTOS", ("SANTOS",), id="de-los"),
            pytest.param("de las Casas", "DE LAS CASAS", ("CASAS",), id="de-las"),
            pytest.param("Flores de Sandoval", "FLORES DE SANDOVAL", ("FLORES", "SANDOVAL"), id="married-de"),
            pytest.param("Núñez de la Peña", "NUNEZ DE LA PENA", ("NUNEZ", "PENA"), id="nunez-de-la-pena"),
            pytest.param("Garcia y Marquez", "GARCIA Y MARQUEZ", ("GARCIA", "MARQUEZ"), id="y"),
            pytest.param("Silva e Costa", "SILVA E COSTA", ("SILVA", "COSTA"), id="e"),
            pytest.param("da Silva", "DA SILVA", ("SILVA",), id="da"),
            pytest.param("dos Santos", "DOS SANTOS", ("SANTOS",), id="dos"),
            pytest.param("Di Maggio", "DI MAGGIO", ("MAGGIO",), id="di"),
            pytest.param("du Bois", "DU BOIS", ("BOIS",), id="du"),
            pytest.param("van der Berg", "VAN DER BERG", ("BERG",), id="van-der"),
            pytest.param("von Neumann", "VON NEUMANN", ("NEUMANN",), id="von"),
            pytest.param("ter Horst", "TER HORST", ("HORST",), id="ter"),
            pytest.param("Le Blanc", "LE BLANC", ("BLANC",), id="le"),
            pytest.param("St. John", "ST JOHN", ("JOHN",), id="st"),
            pytest.param("Saint-Exupéry", "SAINT EXUPERY", ("EXUPERY",), id="saint"),
            pytest.param("de la O", "DE LA O", ("O",), id="de-la-o"),
            pytest.param("Lê", "LE", ("LE",), id="vietnamese-le-alone-kept"),
            pytest.param("Do", "DO", ("DO",), id="vietnamese-do-alone-kept"),
            pytest.param("NGUYEN LE", "NGUYEN LE", ("NGUYEN", "LE"), id="trailing-particle-kept"),
            pytest.param("Mc Donald", "MC DONALD", ("MCDONALD",), id="mc-joined"),
            pytest.param("Mac Donald", "MAC DONALD", ("MACDONALD",), id="mac-joined"),
            pytest.param("McDonald", "MCDONALD", ("MCDONALD",), id="mcdonald"),
            pytest.param("O Brien", "O BRIEN", ("OBRIEN",), id="o-joined"),
            pytest.param("O'Brien", "OBRIEN", ("OBRIEN",), id="o-apostrophe"),
            pytest.param("Müller", "MULLER", ("MULLER",), id="umlaut"),
        ],
    )
    def test_particles(self, surname: str, folded: str, tokens: tuple[str, ...]) -> None:
        """``surname`` keeps particles; ``surname_tokens`` drops the ones that precede a name."""
        name = std("ANA", surname)
        assert (name.surname, name.surname_tokens) == (folded, tokens)

    @pytest.mark.parametrize(
        "surname",
        [
            pytest.param("GARCIA-MARQUEZ", id="hyphenated"),
            pytest.param("GARCIA MARQUEZ", id="spaced"),
            pytest.param("García  Márquez", id="accented-double-space"),
            pytest.param("garcia - marquez", id="spaced-hyphen"),
            pytest.param("Garcia y Marquez", id="with-y"),
        ],
    )
    def test_compound_forms_share_tokens(self, surname: str) -> None:
        """Hyphenated, spaced and y-joined compounds give the same tokens and joined form."""
        name = std("GABRIEL", surname)
        assert name.surname_tokens == ("GARCIA", "MARQUEZ")
        assert name.surname_joined == "GARCIAMARQUEZ"

    def test_concatenated_compound_matches_by_joined(self) -> None:
        """GARCIAMARQUEZ is one token, and equals the compound through ``surname_joined``."""
        concatenated, hyphenated = std("GABRIEL", "GARCIAMARQUEZ"), std("GABRIEL", "GARCIA-MARQUEZ")
        assert concatenated.surname_tokens == ("GARCIAMARQUEZ",)
        assert concatenated.surname_joined == hyphenated.surname_joined

    @pytest.mark.parametrize("particle", sorted(SURNAME_PARTICLES))
    def test_every_particle_dropped_before_a_name(self, particle: str) -> None:
        """Each listed surname particle is dropped when a name follows it, and kept alone."""
        assert std("ANA", f"{particle} ROBLES").surname_tokens == ("ROBLES",)
        assert std("ANA", particle).surname_tokens == (particle,)


class TestGiven:
    """Given-name tokens, particles inside compound given names, and the middle name."""

    @pytest.mark.parametrize(
        ("given", "middle", "folded", "tokens", "expected_middle"),
        [
            pytest.param("JOSE MARIA", None, "JOSE MARIA", ("JOSE", "MARIA"), "", id="jose-maria"),
            pytest.param("José María", None, "JOSE MARIA", ("JOSE", "MARIA"), "", id="jose-maria-accents"),
            pytest.param("Juan Carlos", None, "JUAN CARLOS", ("JUAN", "CARLOS"), "", id="juan-carlos"),
            pytest.param("Juan-Carlos", None, "JUAN CARLOS", ("JUAN", "CARLOS"), "", id="juan-carlos-hyphen"),
            pytest.param(
                "MARIA DE LOS ANGELES", None, "MARIA DE LOS ANGELES", ("MARIA", "ANGELES"), "", id="de-los"
            ),
            pytest.param("María del Carmen", None, "MARIA DEL CARMEN", ("MARIA", "CARMEN"), "", id="del"),
            pytest.param(
                "Maria do Carmo", None, "MARIA DO CARMO", ("MARIA", "CARMO"), "", id="portuguese-do"
            ),
            pytest.param(
                "MARIA DE LA O", None, "MARIA DE LA O", ("MARIA", "O"), "", id="de-la-o-not-an-initial"
            ),
            pytest.param(
                "Văn Thành", None, "VAN THANH", ("VAN", "THANH"), "", id="vietnamese-van-not-a-particle"
            ),
            pytest.param("JOHN", "Ann", "JOHN", ("JOHN",), "ANN", id="middle-name"),
            pytest.param("JOHN", "J.", "JOHN", ("JOHN",), "J", id="middle-initial"),
            pytest.param("JOHN A", None, "JOHN", ("JOHN",), "A", id="trailing-initial-to-middle"),
            pytest.param("JOHN A.", "", "JOHN", ("JOHN",), "A", id="trailing-initial-period"),
            pytest.param("JOHN A", "B", "JOHN A", ("JOHN", "A"), "B", id="initial-stays-when-middle-set"),
            pytest.param("J", None, "J", ("J",), "", id="initial-only"),
            pytest.param("J ROBERT", None, "J ROBERT", ("J", "ROBERT"), "", id="leading-initial"),
        ],
    )
    def test_given(
        self, given: str, middle: str | None, folded: str, tokens: tuple[str, ...], expected_middle: str
    ) -> None:
        """Given names split into tokens without Iberian particles; initials live in ``middle``."""
        name = std(given, "ROBLES", middle)
        assert (name.given, name.given_tokens, name.middle) == (folded, tokens, expected_middle)

    @pytest.mark.parametrize("particle", sorted(GIVEN_PARTICLES))
    def test_every_given_particle_dropped(self, particle: str) -> None:
        """Each listed given-name particle is dropped between two names."""
        assert std(f"MARIA {particle} CARMEN", "ROBLES").given_tokens == ("MARIA", "CARMEN")


class TestMissingFields:
    """Empty fields are never filled by re-splitting another field."""

    @pytest.mark.parametrize(
        ("fields", "given_tokens", "surname_tokens"),
        [
            pytest.param((None, None, None, None), (), (), id="all-none"),
            pytest.param(("", "", "", ""), (), (), id="all-empty"),
            pytest.param(
                ("", None, "JOHN SMITH", None), (), ("JOHN", "SMITH"), id="empty-given-two-surname-tokens"
            ),
            pytest.param(("JOHN SMITH", None, "", None), ("JOHN", "SMITH"), (), id="whole-name-in-given"),
            pytest.param(("MADONNA", None, None, None), ("MADONNA",), (), id="mono-name-in-given"),
            pytest.param((None, None, "SUKARNO", None), (), ("SUKARNO",), id="mono-name-in-surname"),
            pytest.param(("!!!", "--", "...", "??"), (), (), id="punctuation-only"),
        ],
    )
    def test_missing(
        self,
        fields: tuple[str | None, str | None, str | None, str | None],
        given_tokens: tuple[str, ...],
        surname_tokens: tuple[str, ...],
    ) -> None:
        """Tokens stay in the field they came from."""
        name = standardize_name(*fields)
        assert (name.given_tokens, name.surname_tokens) == (given_tokens, surname_tokens)


ENGLISH_NICKNAMES = [
    ("Bill", "William"),
    ("Billy", "William"),
    ("Bob", "Robert"),
    ("Bobby", "Robert"),
    ("Bill", "Robert"),
    ("Liz", "Elizabeth"),
    ("Peggy", "Margaret"),
    ("Johnny", "John"),
    ("Tony", "Anthony"),
]
SPANISH_PAIRS = [
    ("Pepe", "José"),
    ("Pepito", "Jose"),
    ("Chepe", "JOSE"),
    ("Lupe", "Guadalupe"),
    ("Lupita", "Guadalupe"),
    ("Pancho", "Francisco"),
    ("Paco", "Francisco"),
    ("Curro", "Francisco"),
    ("Quico", "Francisco"),
    ("Chuy", "Jesús"),
    ("Chucho", "Jesus"),
    ("Beto", "Alberto"),
    ("Beto", "Roberto"),
    ("Beto", "Humberto"),
    ("Beto", "Norberto"),
    ("Lalo", "Eduardo"),
    ("Lalo", "Gerardo"),
    ("Nacho", "Ignacio"),
    ("Kike", "Enrique"),
    ("Quique", "Enrique"),
    ("Memo", "Guillermo"),
    ("Toño", "Antonio"),
    ("Concha", "Concepción"),
    ("Conchita", "Concepcion"),
    ("Chayo", "Rosario"),
    ("Charo", "Rosario"),
    ("Chela", "Graciela"),
    ("Chela", "Marcela"),
    ("Lencho", "Lorenzo"),
    ("Chava", "Salvador"),
    ("Chavo", "Salvador"),
    ("Rafa", "Rafael"),
    ("Fito", "Adolfo"),
    ("Fito", "Rodolfo"),
    ("Tere", "Teresa"),
    ("Maru", "María"),
    ("Maru", "Eugenia"),
    ("Nando", "Fernando"),
    ("Chano", "Luciano"),
    ("Chano", "Mariano"),
    ("Goyo", "Gregorio"),
    ("Pili", "Pilar"),
    ("Nico", "Nicolás"),
    ("Tito", "Alberto"),
    ("Tino", "Agustín"),
    ("Tina", "Cristina"),
    ("Juancho", "Juan"),
    ("Juanca", "Juan"),
    ("Juanca", "Carlos"),
    ("Manolo", "Manuel"),
    ("Manolito", "Manuel"),
    ("Mencho", "Clemente"),
    ("Licha", "Alicia"),
    ("Cuca", "Refugio"),
    ("Nena", "Magdalena"),
    ("Quela", "Micaela"),
    ("Checo", "Sergio"),
    ("Poncho", "Alfonso"),
    ("Pepe", "Chepe"),  # two call-names of José
    ("Paco", "Pancho"),
]
NOT_EQUIVALENT = [
    ("JOSE", "JUAN"),
    ("MARIA", "MARIO"),
    ("ALBERTO", "ROBERTO"),  # both Beto, but not each other
    ("GRACIELA", "MARCELA"),  # both Chela, but not each other
    ("ROBERT", "WILLIAM"),  # both have the nickname Bill
    ("JESUS", "JOSE"),
    ("PEPE", "PACO"),
    ("GUADALUPE", "GUILLERMO"),
]


def _ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{a}-{b}" for a, b in pairs]


class TestNicknames:
    """given_name_groups and nickname_equivalent: English from ``nicknames``, Spanish curated."""

    @pytest.mark.parametrize(("a", "b"), ENGLISH_NICKNAMES, ids=_ids(ENGLISH_NICKNAMES))
    def test_english(self, a: str, b: str) -> None:
        """English nicknames from the package are equivalent to their full names, both ways."""
        assert nickname_equivalent(a, b)
        assert nickname_equivalent(b, a)

    @pytest.mark.parametrize(("a", "b"), SPANISH_PAIRS, ids=_ids(SPANISH_PAIRS))
    def test_spanish(self, a: str, b: str) -> None:
        """Spanish call-names from the curated table are equivalent to their full names, both ways."""
        assert nickname_equivalent(a, b)
        assert nickname_equivalent(b, a)

    @pytest.mark.parametrize(("a", "b"), NOT_EQUIVALENT, ids=_ids(NOT_EQUIVALENT))
    def test_not_equivalent(self, a: str, b: str) -> None:
        """Different full names are not equivalent, even when they share a call-name."""
        assert not nickname_equivalent(a, b)
        assert not nickname_equivalent(b, a)

    @pytest.mark.parametrize(
        ("token", "expected"),
        [
            pytest.param("Bill", {"BILL", "WILLIAM", "ROBERT"}, id="bill"),
            pytest.param("pepe", {"PEPE", "JOSE"}, id="pepe"),
            pytest.param("Beto", {"BETO", "ALBERTO", "ROBERTO", "HUMBERTO", "NORBERTO"}, id="beto-ambiguous"),
            pytest.param("Toño", {"TONO", "ANTONIO"}, id="tono-folded"),
        ],
    )
    def test_groups_contain(self, token: str, expected: set[str]) -> None:
        """A call-name's group holds itself and the full names it stands for, folded."""
        assert expected <= given_name_groups(token)

    @pytest.mark.parametrize(
        ("token", "expected"),
        [
            pytest.param("JOSE", frozenset({"JOSE"}), id="full-name-only-itself"),
            pytest.param("Zyxwv", frozenset({"ZYXWV"}), id="unknown-only-itself"),
            pytest.param("", frozenset(), id="empty"),
            pytest.param("--", frozenset(), id="punctuation"),
        ],
    )
    def test_groups_exact(self, token: str, expected: frozenset[str]) -> None:
        """A name without nicknames stands only for itself; nothing stands for nothing."""
        assert given_name_groups(token) == expected

    def test_empty_is_never_equivalent(self) -> None:
        """Two empty tokens are not a nickname match."""
        assert not nickname_equivalent("", "")

    def test_spanish_table_is_folded(self) -> None:
        """Every key and value of the curated table is already in folded form."""
        for nickname, full_names in SPANISH_NICKNAMES.items():
            assert fold(nickname) == nickname
            assert full_names
            assert all(fold(full) == full and " " not in full for full in full_names)


class TestVariants:
    """token_equivalent: umlaut spellings and initial Y, and nothing broader."""

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            pytest.param("MULLER", "MUELLER", id="muller-mueller"),
            pytest.param("Müller", "Mueller", id="muller-raw"),
            pytest.param("SCHRODER", "SCHROEDER", id="schroder"),
            pytest.param("GOTZ", "GOETZ", id="gotz"),
            pytest.param("BAR", "BAER", id="bar-baer"),
            pytest.param("YBARRA", "IBARRA", id="ybarra"),
            pytest.param("YNIGUEZ", "INIGUEZ", id="yniguez"),
            pytest.param("Ysabel", "Isabel", id="ysabel"),
            pytest.param("GARCIA", "garcía", id="identical-after-fold"),
        ],
    )
    def test_equivalent(self, a: str, b: str) -> None:
        """Transliteration pairs are the same token, both ways."""
        assert token_equivalent(a, b)
        assert token_equivalent(b, a)

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            pytest.param("GUERRERO", "GRRERO", id="gue-untouched"),
            pytest.param("ENRIQUEZ", "ENRIQZ", id="que-untouched"),
            pytest.param("JOE", "JO", id="final-oe-untouched"),
            pytest.param("SUE", "SU", id="final-ue-untouched"),
            pytest.param("YOLANDA", "IOLANDA", id="y-before-vowel-untouched"),
            pytest.param("GARCIA", "GARZA", id="different-names"),
            pytest.param("", "", id="empty"),
        ],
    )
    def test_not_equivalent(self, a: str, b: str) -> None:
        """The rules do not reach beyond umlauts and initial Y."""
        assert not token_equivalent(a, b)

    def test_variant_key(self) -> None:
        """The canonical spelling is the folded one, without the umlaut E."""
        assert variant_key("Müeller") == variant_key("Mueller") == "MULLER"


class TestPhoneticKey:
    """phonetic_key: metaphone of the variant key, never empty for a foldable token."""

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            pytest.param("GONZALEZ", "GONSALEZ", id="z-s"),
            pytest.param("HERNANDEZ", "HERNANDES", id="final-z-s"),
            pytest.param("CERVANTES", "SERVANTES", id="initial-c-s"),
            pytest.param("JIMENEZ", "GIMENEZ", id="initial-j-g"),
            pytest.param("MUELLER", "Müller", id="umlaut"),
            pytest.param("YBARRA", "IBARRA", id="initial-y"),
            pytest.param("SMITH", "SMYTH", id="i-y"),
            pytest.param("GARCIA MARQUEZ", "GARCIAMARQUEZ", id="spaces-removed"),
        ],
    )
    def test_same_key(self, a: str, b: str) -> None:
        """Spelling variants share a blocking key."""
        assert phonetic_key(a) == phonetic_key(b)

    @pytest.mark.parametrize(
        ("a", "b"),
        [pytest.param("GARCIA", "MARTINEZ", id="different"), pytest.param("JOSE", "JUAN", id="jose-juan")],
    )
    def test_different_key(self, a: str, b: str) -> None:
        """Different names get different keys."""
        assert phonetic_key(a) != phonetic_key(b)

    @pytest.mark.parametrize("token", ["Y", "EE", "A", "123", "2ND", "Ö", "H"])
    def test_never_empty(self, token: str) -> None:
        """Tokens that metaphone codes as nothing still get a key."""
        assert phonetic_key(token)

    def test_empty(self) -> None:
        """Only a token with no letter or digit has an empty key."""
        assert phonetic_key("") == phonetic_key("-'") == ""


class TestSwapped:
    """swapped: given name and surname exchanged, by token sets."""

    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            pytest.param(("JUAN", "GARCIA"), ("GARCIA", "JUAN"), True, id="simple"),
            pytest.param(
                ("Juan Carlos", "García Márquez"), ("GARCIA-MARQUEZ", "CARLOS JUAN"), True, id="compound"
            ),
            pytest.param(("DICK", "VAN DYKE"), ("VAN DYKE", "DICK"), True, id="particle-in-given-field"),
            pytest.param(("MARIA", "DE LA CRUZ"), ("DE LA CRUZ", "MARIA"), True, id="de-la"),
            pytest.param(("JOHN", "SMITH"), ("JOHN", "SMITH"), False, id="same-order"),
            pytest.param(("JUAN", "GARCIA MARQUEZ"), ("GARCIA", "JUAN"), False, id="maternal-dropped"),
            pytest.param(("JOHN", "SMITH"), ("SMITH", "JON"), False, id="typo-not-swapped"),
            pytest.param(("", "JOHN SMITH"), ("SMITH", "JOHN"), False, id="empty-given"),
            pytest.param(("JOHN", ""), ("", "JOHN"), False, id="empty-surname"),
        ],
    )
    def test_swapped(self, a: tuple[str, str], b: tuple[str, str], expected: bool) -> None:
        """Exact token-set exchange only; missing parts never count as swapped."""
        assert swapped(std(*a), std(*b)) is expected


NAME_WORDS = [
    "José", "MARIA", "de", "la", "Y", "Jr.", "III", "V", "2nd", "O'Brien", "Mc", "O",
    "García-Márquez", "Müller", "Nguyễn", "-", "'", " ", "JUNIOR", "A", "van", "Lê", "\u0301",
]  # fmt: skip
NAME_TEXT = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.lists(st.sampled_from(NAME_WORDS), max_size=6).map(" ".join),
)


class TestProperties:
    """fold and standardize_name never raise and are idempotent."""

    @PROPERTY
    @given(text=st.one_of(st.none(), st.text()))
    def test_fold_idempotent(self, text: str | None) -> None:
        """Folding folded text changes nothing, and the result is upper-case ASCII words."""
        folded = fold(text)
        assert fold(folded) == folded
        assert folded.isascii()
        assert folded == " ".join(folded.split())
        assert folded == folded.upper()
        assert "'" not in folded

    @PROPERTY
    @given(given_=NAME_TEXT, middle=NAME_TEXT, surname=NAME_TEXT, suffix=NAME_TEXT)
    def test_standardize_idempotent(
        self, given_: str | None, middle: str | None, surname: str | None, suffix: str | None
    ) -> None:
        """Standardizing folded input, or the output's own fields, gives the same name."""
        name = standardize_name(given_, middle, surname, suffix)
        from_folded = standardize_name(fold(given_), fold(middle), fold(surname), fold(suffix))
        assert from_folded == name
        again = standardize_name(name.given, name.middle, name.surname, name.suffix)
        assert again == name
        assert all(token and " " not in token for token in name.given_tokens + name.surname_tokens)

    @PROPERTY
    @given(a=st.text(max_size=20), b=st.text(max_size=20))
    def test_token_helpers_total(self, a: str, b: str) -> None:
        """Nickname, variant and phonetic helpers never raise; variant-equal tokens share a phonetic key."""
        assert nickname_equivalent(a, b) == nickname_equivalent(b, a)
        assert token_equivalent(a, b) == token_equivalent(b, a)
        assert bool(phonetic_key(a)) == bool(fold(a))
        if token_equivalent(a, b):
            assert phonetic_key(a) == phonetic_key(b)
