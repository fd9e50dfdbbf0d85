"""USPS Publication 28 lookup tables, kept apart from the parser so they can be reviewed as data.

The address standardizer has two paths (a table-driven tokenizer and the usaddress CRF) that must
agree on every component.  They agree by construction only if both read the same tables, so every
spelling rule lives here and nowhere else: street suffixes (Pub 28 Appendix C1), directionals,
secondary unit designators (Appendix C2), the street types that come *before* the name (Spanish
types used in Puerto Rico, and English ones such as AVENUE B or HWY 101), number and ordinal
words, state names, and the placeholder texts that the legal rules (R11-R12) reject.

Tables are written as "STANDARD variant variant ..." lines because that is how Appendix C1 prints
them, and a reviewer can compare the two line by line.
"""

from __future__ import annotations

from typing import Final


def _groups(table: str) -> dict[str, str]:
    """Map every word of each "STANDARD variant ..." line to the line's first word."""
    mapping: dict[str, str] = {}
    for line in table.strip().splitlines():
        standard, *variants = line.split()
        for word in (standard, *variants):
            mapping[word] = standard
    return mapping


# Appendix C1, street suffixes: standard abbreviation first, then the common spellings.
STREET_SUFFIXES: Final = _groups("""
ALY ALLEE ALLEY ALLY
ANX ANEX ANNEX ANNX
ARC ARCADE
AVE AV AVEN AVENU AVENUE AVN AVNUE
BYU BAYOO BAYOU
BCH BEACH
BND BEND
BLF BLUF BLUFF
BLFS BLUFFS
BTM BOT BOTTM BOTTOM
BLVD BOUL BOULEVARD BOULV
BR BRNCH BRANCH
BRG BRDGE BRIDGE
BRK BROOK
BRKS BROOKS
BG BURG
BGS BURGS
BYP BYPA BYPAS BYPASS BYPS
CP CAMP CMP
CYN CANYN CANYON CNYN
CPE CAPE
CSWY CAUSEWAY CAUSWA
CTR CEN CENT CENTER CENTR CENTRE CNTER CNTR
CTRS CENTERS
CIR CIRC CIRCL CIRCLE CRCL CRCLE
CIRS CIRCLES
CLF CLIFF
CLFS CLIFFS
CLB CLUB
CMN COMMON
CMNS COMMONS
COR CORNER
CORS CORNERS
CRSE COURSE
CT COURT
CTS COURTS
CV COVE
CVS COVES
CRK CREEK
CRES CRESCENT CRSENT CRSNT
CRST CREST
XING CROSSING CRSSNG
XRD CROSSROAD
XRDS CROSSROADS
CURV CURVE
DL DALE
DM DAM
DV DIV DIVIDE DVD
DR DRIV DRIVE DRV
DRS DRIVES
EST ESTATE
ESTS ESTATES
EXPY EXP EXPR EXPRESS EXPRESSWAY EXPW
EXT EXTENSION EXTN EXTNSN
EXTS EXTENSIONS
FALL
FLS FALLS
FRY FERRY FRRY
FLD FIELD
FLDS FIELDS
FLT FLAT
FLTS FLATS
FRD FORD
FRDS FORDS
FRST FOREST FORESTS
FRG FORG FORGE
FRGS FORGES
FRK FORK
FRKS FORKS
FT FORT FRT
FWY FREEWAY FREEWY FRWAY FRWY
GDN GARDEN GARDN GRDEN GRDN
GDNS GARDENS GRDNS
GTWY GATEWAY GATEWY GATWAY GTWAY
GLN GLEN
GLNS GLENS
GRN GREEN
GRNS GREENS
GRV GROV GROVE
GRVS GROVES
HBR HARB HARBOR HARBR HRBOR
HBRS HARBORS
HVN HAVEN
HTS HT HEIGHTS
HWY HIGHWAY HIGHWY HIWAY HIWY HWAY
HL HILL
HLS HILLS
HOLW HLLW HOLLOW HOLLOWS HOLWS
INLT INLET
IS ISLAND ISLND
ISS ISLANDS ISLNDS
ISLE ISLES
JCT JCTION JCTN JUNCTION JUNCTN JUNCTON
JCTS JCTNS JUNCTIONS
KY KEY
KYS KEYS
KNL KNOL KNOLL
KNLS KNOLLS
LK LAKE
LKS LAKES
LAND
LNDG LANDING LNDNG
LN LANE
LGT LIGHT
LGTS LIGHTS
LF LOAF
LCK LOCK
LCKS LOCKS
LDG LDGE LODG LODGE
LOOP LOOPS
MALL
MNR MANOR
MNRS MANORS
MDW MEADOW
MDWS MEADOWS MEDOWS
MEWS
ML MILL
MLS MILLS
MSN MISSN MSSN MISSION
MTWY MOTORWAY
MT MNT MOUNT
MTN MNTAIN MNTN MOUNTAIN MOUNTIN MTIN
MTNS MNTNS MOUNTAINS
NCK NECK
ORCH ORCHARD ORCHRD
OVAL OVL
OPAS OVERPASS
PARK PRK PARKS
PKWY PARKWAY PARKWY PKWAY PKY PARKWAYS PKWYS
PASS
PSGE PASSAGE
PATH PATHS
PIKE PIKES
PNE PINE
PNES PINES
PL PLACE
PLN PLAIN
PLNS PLAINS
PLZ PLAZA PLZA
PT POINT
PTS POINTS
PRT PORT
PRTS PORTS
PR PRAIRIE PRR
RADL RAD RADIAL RADIEL
RAMP
RNCH RANCH RANCHES RNCHS
RPD RAPID
RPDS RAPIDS
RST REST
RDG RDGE RIDGE
RDGS RIDGES
RIV RIVER RVR RIVR
RD ROAD
RDS ROADS
RTE ROUTE
ROW
RUE
RUN
SHL SHOAL
SHLS SHOALS
SHR SHOAR SHORE
SHRS SHOARS SHORES
SKWY SKYWAY
SPG SPNG SPRING SPRNG
SPGS SPNGS SPRINGS SPRNGS
SPUR SPURS
SQ SQR SQRE SQU SQUARE
SQS SQRS SQUARES
STA STATION STATN STN
STRA STRAV STRAVEN STRAVENUE STRAVN STRVN STRVNUE
STRM STREAM STREME
ST STREET STRT STR
STS STREETS
SMT SUMIT SUMITT SUMMIT
TER TERR TERRACE
TRWY THROUGHWAY
TRCE TRACE TRACES
TRAK TRACK TRACKS TRK TRKS
TRFY TRAFFICWAY
TRL TRAIL TRAILS TRLS
TRLR TRAILER TRLRS
TUNL TUNEL TUNLS TUNNEL TUNNELS TUNNL
TPKE TRNPK TURNPIKE TURNPK
UPAS UNDERPASS
UN UNION
UNS UNIONS
VLY VALLEY VALLY VLLY
VLYS VALLEYS
VIA VDCT VIADCT VIADUCT
VW VIEW
VWS VIEWS
VLG VILL VILLAG VILLAGE VILLG VILLIAGE
VLGS VILLAGES
VL VILLE
VIS VIST VISTA VST VSTA
WALK WALKS
WALL
WAY WY
WAYS
WL WELL
WLS WELLS
""")

DIRECTIONALS: Final = _groups("""
N NORTH
S SOUTH
E EAST
W WEST
NE NORTHEAST
NW NORTHWEST
SE SOUTHEAST
SW SOUTHWEST
""")

# Two spelled-out words that form one directional ("NORTH EAST MAIN ST").  Abbreviated pairs such
# as "S E" are not merged: "123 S E ST" is South E Street.
DIRECTIONAL_PAIRS: Final = {
    ("NORTH", "EAST"): "NE",
    ("NORTH", "WEST"): "NW",
    ("SOUTH", "EAST"): "SE",
    ("SOUTH", "WEST"): "SW",
}

# Appendix C2, secondary unit designators.  "#", NO, NUM and NUMBER carry no type: they become UNIT.
UNIT_DESIGNATORS: Final = _groups("""
APT APARTMENT APPT APTS
BSMT BASEMENT
BLDG BUILDING BLD BLDNG
DEPT DEPARTMENT
FL FLOOR FLR
FRNT FRONT
HNGR HANGAR HANGER
KEY
LBBY LOBBY
LOT
LOWR LOWER
OFC OFFICE
PH PENTHOUSE
PIER
PMB
REAR
RM ROOM
SIDE
SLIP
SPC SPACE
STOP
STE SUITE
TRLR TRAILER
UNIT UNITS
UPPR UPPER
""")
UNIT_DESIGNATORS.update({"#": "UNIT", "NO": "UNIT", "NUM": "UNIT", "NUMBER": "UNIT", "NBR": "UNIT"})

# Designators that stand alone, without an identifier (Appendix C2, "requires secondary range": no).
UNITS_WITHOUT_ID: Final = frozenset({"BSMT", "FRNT", "LBBY", "LOWR", "OFC", "PH", "REAR", "SIDE", "UPPR"})

# The order in which compound secondaries are written: building, then floor, then the rest.
UNIT_RANK: Final = {"BLDG": 0, "FL": 1}

# Street types written before the name.  Spanish types are the Puerto Rico forms (Pub 28 section
# 29): CALLE and PASEO are not abbreviated, AVENIDA becomes AVE like AVENUE.
SPANISH_STREET_TYPES: Final = _groups("""
CALLE
AVE AVENIDA AVDA
CARR CARRETERA
CAM CAMINO
PASEO
EXT EXTENSION
""")
# The Spanish types that never follow the name: they mark a Puerto Rico street line.
SPANISH_FIRST: Final = frozenset({"CALLE", "AVENIDA", "AVDA", "CARRETERA", "CARR", "CAMINO", "PASEO"})
URBANIZATION_WORDS: Final = frozenset({"URB", "URBANIZACION", "URBANIZATION"})
RECIPIENT_WORDS: Final = frozenset({"C/O", "ATTN", "ATTENTION"})  # a recipient line, not a location
UNIT_FILLERS: Final = frozenset({"#", "NO", "NUM", "NUMBER", "NBR"})  # "APT NO 4", "APT # 4"
PRE_TYPES: Final = {
    **_groups("""
AVE AVENUE AV AVN
HWY HIGHWAY HIWAY HWAY
RTE ROUTE RT
VIA
RUE
"""),
    **SPANISH_STREET_TYPES,
}
# Multi-word pre-types, matched on the first two words of a street name.
PRE_TYPE_PAIRS: Final = {
    ("COUNTY", "ROAD"): "COUNTY RD",
    ("COUNTY", "RD"): "COUNTY RD",
    ("CO", "RD"): "COUNTY RD",
    ("COUNTY", "HIGHWAY"): "COUNTY HWY",
    ("COUNTY", "HWY"): "COUNTY HWY",
    ("COUNTY", "ROUTE"): "COUNTY RTE",
    ("STATE", "ROUTE"): "STATE RTE",
    ("STATE", "RTE"): "STATE RTE",
    ("STATE", "ROAD"): "STATE RD",
    ("STATE", "HIGHWAY"): "STATE HWY",
    ("STATE", "HWY"): "STATE HWY",
    ("US", "HIGHWAY"): "US HWY",
    ("US", "HWY"): "US HWY",
    ("US", "ROUTE"): "US RTE",
}

_UNITS_WORDS = "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN"
_UNITS_WORDS += " FIFTEEN SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY"
# Spelled-out house numbers: "One Microsoft Way" is 1 MICROSOFT WAY.
NUMBER_WORDS: Final = {word: str(n) for n, word in enumerate(_UNITS_WORDS.split(), start=1)}

_ORDINAL_WORDS = "FIRST SECOND THIRD FOURTH FIFTH SIXTH SEVENTH EIGHTH NINTH TENTH ELEVENTH TWELFTH"
_ORDINAL_WORDS += " THIRTEENTH FOURTEENTH FIFTEENTH SIXTEENTH SEVENTEENTH EIGHTEENTH NINETEENTH"
ORDINAL_WORDS: Final = {word: n for n, word in enumerate(_ORDINAL_WORDS.split(), start=1)}
_TENS = "TWENTY THIRTY FORTY FIFTY SIXTY SEVENTY EIGHTY NINETY"
TENS_WORDS: Final = {word: 10 * n for n, word in enumerate(_TENS.split(), start=2)}
ORDINAL_WORDS.update({word[:-1] + "IETH": n for word, n in TENS_WORDS.items()})  # TWENTIETH ...
ORDINAL_WORDS["HUNDREDTH"] = 100

STATES: Final = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR", "VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI", "GUAM": "GU",
    "AMERICAN SAMOA": "AS", "NORTHERN MARIANA ISLANDS": "MP", "FEDERATED STATES OF MICRONESIA": "FM",
    "MARSHALL ISLANDS": "MH", "PALAU": "PW", "WASHINGTON DC": "DC",
}  # fmt: skip
STATE_CODES: Final = frozenset(STATES.values()) | {"AA", "AE", "AP"}

# States and territories whose ZIP codes all start with 0 (checked against the zipcodes data), so a
# 4-digit ZIP there lost its leading zero to a spreadsheet.  PR and VI ZIPs start with 00.
LEADING_ZERO_STATES: Final = frozenset({"AE", "CT", "MA", "ME", "NH", "NJ", "PR", "RI", "VI", "VT"})
DOUBLE_ZERO_STATES: Final = frozenset({"PR", "VI"})

# City words that USPS spells out in its preferred names ("ST LOUIS" is SAINT LOUIS).
CITY_WORDS: Final = {
    "ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT", "PT": "POINT", "HTS": "HEIGHTS",
    "SPGS": "SPRINGS", "SPG": "SPRING", "JCT": "JUNCTION", "VLG": "VILLAGE", "BCH": "BEACH",
    "N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST", "CTR": "CENTER", "LK": "LAKE",
}  # fmt: skip

# Box, route and General Delivery lines, as (AddressKind value, regex over the folded line).  Named
# groups: num (the box number), route.  "BOX 12" alone is a PO box; ROUTE needs a BOX to be a
# rural route ("ROUTE 66" is a street); "APARTADO" is the Puerto Rico PO box.
_NUM = r"(?P<num>[A-Z0-9-]*\d[A-Z0-9-]*)"
_BOX = r"(?: (?:BOX|BX|B|#)(?: #)?)"
_RR = r"RR|R R|RURAL ROUTE|RURAL RTE|RURAL RT|RFD|R F D|RFD ROUTE|RURAL FREE DELIVERY|RURAL"
_HC = r"HC|H C|HCR|HIGHWAY CONTRACT ROUTE|HIGHWAY CONTRACT|STAR ROUTE|STAR RTE"
_PO = r"P ?O ?(?:BOX|BX|B)?|POST OFFICE(?: BOX)?|POST BOX|BOX|BX|APARTADO|APDO|CALLER|DRAWER|LOCKBOX"
BOX_FORMS: Final = (
    ("po_box", rf"(?:{_PO})(?: (?:#|NO|NUM|NUMBER))?(?: {_NUM})?"),
    ("rural_route", rf"(?:{_RR})(?: #| NO)?(?: (?P<route>\d+))?{_BOX}?(?: {_NUM})?"),
    ("rural_route", rf"(?:ROUTE|RTE|RT) (?P<route>\d+){_BOX} {_NUM}"),
    ("highway_contract", rf"(?:{_HC})(?: (?P<route>\d+))?{_BOX}?(?: {_NUM})?"),
    ("rural_route", rf"(?:BOX|BX) (?:# )?{_NUM} (?:{_RR}|ROUTE|RTE) (?P<route>\d+)"),
    ("highway_contract", rf"(?:BOX|BX) (?:# )?{_NUM} (?:{_HC}) (?P<route>\d+)"),
    ("general_delivery", r"(?:GENERAL|GEN) (?:DELIVERY|DEL)|ENTREGA GENERAL"),
)

# Whole-field placeholders (after folding and dropping punctuation): the field carries no address.
PLACEHOLDER_FIELDS: Final = frozenset({
    "", "NA", "N A", "NONE", "NULL", "NIL", "UNKNOWN", "UNK", "UNKN", "TBD", "TBA", "SAME",
    "SAME AS ABOVE", "REFUSED", "DECLINED", "HOMELESS", "X", "XX", "NOT APPLICABLE", "NOT AVAILABLE",
    "NOT PROVIDED", "NOT GIVEN", "NONE GIVEN", "NO ADDRESS", "MISSING", "BLANK", "TEST", "ANYTOWN",
    "ANY TOWN", "ANYWHERE", "NOWHERE", "DONT KNOW", "UNAVAILABLE", "WITHHELD", "INVALID", "DUMMY",
})  # fmt: skip
# Phrases that make any line1 or city a placeholder wherever they occur ("DON'T CARE 12345").
PLACEHOLDER_PHRASES: Final = (
    "UNKNOWN", "FAILED TO PROVIDE", "DONT CARE", "DO NOT CARE", "NO ADDRESS", "NOT PROVIDED",
    "HOMELESS", "REFUSED", "TBD", "XXX", "NOT AVAILABLE", "NO FIXED ADDRESS", "NO PERMANENT ADDRESS",
    "ADDRESS UNAVAILABLE", "TO BE DETERMINED", "SAME AS ABOVE", "NONE GIVEN", "NOT APPLICABLE",
)  # fmt: skip
# ZIP codes used as fillers; neither is a real ZIP.
PLACEHOLDER_ZIPS: Final = frozenset({"00000", "99999"})
# Line-2 texts that mean "no line 2": ignored, not flagged, because forms print N/A there.
# A bare "0" is not among them: it may be a unit, and a unit dropped could confirm a wrong address.
EMPTY_LINE2: Final = frozenset({"", "NA", "N A", "NONE", "NULL", "NIL", "SAME", "X"})
