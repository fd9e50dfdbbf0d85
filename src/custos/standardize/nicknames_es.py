"""Spanish hypocoristics (diminutives and call-names): a curated table, folded.

Why this exists: the ``nicknames`` package (used for English) has no Spanish
data at all -- ``jose``, ``pepe``, ``guadalupe`` and ``lupe`` return nothing
(see shared/spec/matching-notes.md section 4.2) -- while our names come from an
immigration agency's records and from tax returns, where a taxpayer filed as
"PANCHO" may be recorded as "FRANCISCO".

This is a *curated* table, written by hand from common usage in Mexico,
Central America, the Caribbean and Spain (hypocoristics as described in
Spanish usage guides: apocope "Rafa", aphaeresis "Lupe", palatalisation
"Chava", reduplication "Pepe"); it is not generated and not exhaustive.
Rules:

* Keys and values are folded the way :func:`custos.standardize.names.fold`
  folds them: upper-case ASCII, accents removed ("TOÑO" is ``TONO``,
  "JESÚS" is ``JESUS``).  A unit test checks this.
* A key maps to the full names it may stand for.  Ambiguity is deliberate:
  "Beto" is used for Alberto, Roberto, Humberto, Norberto and every other
  "-berto", so ``BETO`` maps to all of them, and BETO is then
  nickname-equivalent to each -- but ALBERTO is *not* equivalent to ROBERTO,
  because equivalence is "the two groups intersect" and a full name's group
  is only itself.
* A call-name for a compound given name maps to each of its tokens ("Maru"
  is María Eugenia: ``MARIA`` and ``EUGENIA``; "Chema" is José María), since
  a person filed as "JOSE MARIA" may go by either token.
* Generic endearments that are not clippings of a name (e.g. "Nena", "baby
  girl") are kept only where they are also an attested clipping (Magdalena,
  Elena); such entries are weak evidence.
* English call-names (Bill, Peggy) are left to the ``nicknames`` package;
  Spanish/English equivalents (Guillermo/William) are *not* equivalences:
  they are different names, and a false confirmation costs the most.

Nickname equivalence is always weaker evidence than an exact or fuzzy match
of the name itself; the matcher must never confirm on it alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Every "-berto": Beto/Berto is used for all of them.
_BERTO = ("ALBERTO", "ROBERTO", "HUMBERTO", "NORBERTO", "HERIBERTO", "GILBERTO", "ADALBERTO", "RIGOBERTO")

_TABLE: dict[str, tuple[str, ...]] = {
    # --- masculine ---------------------------------------------------------
    "PEPE": ("JOSE",),
    "PEPITO": ("JOSE",),
    "CHEPE": ("JOSE",),
    "CHEPITO": ("JOSE",),
    "JOSELITO": ("JOSE",),
    "CHEMA": ("JOSE", "MARIA"),  # José María
    "PANCHO": ("FRANCISCO",),
    "PANCHITO": ("FRANCISCO",),
    "PACO": ("FRANCISCO",),
    "PAQUITO": ("FRANCISCO",),
    "PACHO": ("FRANCISCO",),  # Colombia
    "CURRO": ("FRANCISCO",),  # Andalusia
    "QUICO": ("FRANCISCO",),
    "KIKO": ("FRANCISCO", "ENRIQUE"),
    "CHUY": ("JESUS", "JESUSA"),
    "CHUCHO": ("JESUS",),
    "CHUS": ("JESUS", "MARIA"),  # Spain: Jesús, María Jesús
    "BETO": _BERTO,
    "BERTO": _BERTO,
    "LALO": ("EDUARDO", "GERARDO"),
    "NACHO": ("IGNACIO",),
    "KIKE": ("ENRIQUE",),
    "QUIQUE": ("ENRIQUE",),
    "MEMO": ("GUILLERMO",),
    "TONO": ("ANTONIO",),  # Toño
    "TONITO": ("ANTONIO",),  # Toñito
    "TONI": ("ANTONIO",),
    "LENCHO": ("LORENZO",),
    "CHAVA": ("SALVADOR", "SALVADORA"),
    "CHAVO": ("SALVADOR",),
    "RAFA": ("RAFAEL",),
    "FITO": ("ADOLFO", "RODOLFO"),
    "NANDO": ("FERNANDO", "HERNANDO"),
    "CHANO": ("LUCIANO", "MARIANO", "SEBASTIAN"),
    "GOYO": ("GREGORIO",),
    "NICO": ("NICOLAS",),
    "TITO": ("ALBERTO", "ROBERTO", "ERNESTO", "HECTOR"),
    "TINO": ("AGUSTIN", "CELESTINO", "CONSTANTINO", "FAUSTINO", "JUSTINO", "VALENTIN"),
    "JUANCHO": ("JUAN",),
    "JUANITO": ("JUAN",),
    "JUANCA": ("JUAN", "CARLOS"),  # Juan Carlos
    "JUANMA": ("JUAN", "MANUEL"),  # Juan Manuel
    "JUANJO": ("JUAN", "JOSE"),  # Juan José
    "CARLITOS": ("CARLOS",),
    "MANOLO": ("MANUEL",),
    "MANOLITO": ("MANUEL",),
    "MANU": ("MANUEL",),
    "MENCHO": ("CLEMENTE", "NEMESIO"),
    "CHECO": ("SERGIO",),
    "PONCHO": ("ALFONSO",),
    "LUCHO": ("LUIS",),
    "CHENTE": ("VICENTE",),
    "TAVO": ("GUSTAVO", "OCTAVIO"),
    "NETO": ("ERNESTO",),
    "CHALO": ("GONZALO",),
    "MONCHO": ("RAMON",),
    "MINGO": ("DOMINGO",),
    "FEDE": ("FEDERICO",),
    "MIGUE": ("MIGUEL",),
    "RICHI": ("RICARDO",),
    "BENJA": ("BENJAMIN",),
    # --- feminine ----------------------------------------------------------
    "LUPE": ("GUADALUPE",),
    "LUPITA": ("GUADALUPE",),
    "CONCHA": ("CONCEPCION",),
    "CONCHITA": ("CONCEPCION",),
    "CONCHI": ("CONCEPCION",),
    "CHAYO": ("ROSARIO",),
    "CHARO": ("ROSARIO",),
    "CHARITO": ("ROSARIO",),
    "CHELA": ("GRACIELA", "MARCELA"),
    "CHELO": ("CONSUELO",),
    "TERE": ("TERESA",),
    "MAITE": ("MARIA", "TERESA"),  # María Teresa
    "MARU": ("MARIA", "EUGENIA"),  # María Eugenia
    "MARI": ("MARIA",),
    "MARICARMEN": ("MARIA", "CARMEN"),
    "MARISA": ("MARIA", "LUISA"),
    "PILI": ("PILAR",),
    "TINA": ("CRISTINA", "AGUSTINA", "ERNESTINA", "MARTINA", "ALBERTINA", "JUSTINA", "FAUSTINA"),
    "LICHA": ("ALICIA",),
    "CUCA": ("REFUGIO",),
    "CUQUITA": ("REFUGIO",),
    "NENA": ("MAGDALENA", "ELENA"),  # also a generic endearment: weak
    "QUELA": ("MICAELA",),
    "PEPA": ("JOSEFA",),
    "PEPITA": ("JOSEFA",),
    "CHEPA": ("JOSEFA",),
    "PACA": ("FRANCISCA",),
    "PAQUITA": ("FRANCISCA",),
    "PANCHA": ("FRANCISCA",),
    "LOLA": ("DOLORES",),
    "LOLITA": ("DOLORES",),
    "LOLI": ("DOLORES",),
    "MECHE": ("MERCEDES",),
    "MERCHE": ("MERCEDES",),
    "CHABELA": ("ISABEL",),
    "NACHA": ("IGNACIA",),
    "TONA": ("ANTONIA",),  # Toña
    "CHIO": ("ROCIO",),
    "JUANITA": ("JUANA",),
    "ASUN": ("ASUNCION",),
    "INMA": ("INMACULADA",),
    "MACU": ("INMACULADA",),
    "BEGO": ("BEGONA",),
    "LETY": ("LETICIA",),
    "LETI": ("LETICIA",),
    "PATY": ("PATRICIA",),
    "GABY": ("GABRIELA", "GABRIEL"),
    "CHAYITO": ("ROSARIO",),
}

SPANISH_NICKNAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(_TABLE)
"""Folded Spanish call-name -> the folded full given names it may stand for."""

__all__ = ["SPANISH_NICKNAMES"]
