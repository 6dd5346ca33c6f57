#!/usr/bin/env python3
"""Builds src/geo/names.txt, the tagger's country names in Arabic, Chinese, English, French,
Russian, Spanish and Portuguese, from CLDR's territory display names.

    npm pack cldr-localenames-full            # CLDR data, Unicode licence (Unicode-3.0)
    tar xzf cldr-localenames-full-*.tgz
    python3 scripts/country-names.py package > src/geo/names.txt

Each output line is `CODE|name;name;...` in the gazetteer's notation: `^Name` matches only
with a capital first letter (Latin and Cyrillic names, so that "того" is not Togo), `=NAME`
only exactly (acronyms). A name that CLDR gives to two territories ("Congo") is left out, as are
the few that are everyday words in their language (EXCLUDED). Russian names also get their case
forms ("Украина": Украины, Украине, Украину, Украиной), since Russian news inflects them.
"""

import json
import re
import sys
from pathlib import Path

LANGUAGES = ["en", "fr", "es", "pt", "ar", "ru", "zh"]

# Territory names that are everyday words in their language, and names that would tag the
# wrong place far more often than the right one.
EXCLUDED = {
    ("ru", "Того"),  # "того": "of that"
    ("ru", "Конго"),  # either Congo: only "ДРК" and the full names tell
    ("pt", "Chade"),
    ("fr", "Maurice"),  # a given name as often as Mauritius
    ("en", "Jersey"),
    ("es", "Jersey"),
    ("fr", "Jersey"),
    ("pt", "Jersey"),
}

# Not countries: CLDR's groupings and private-use codes.
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "DG", "EA", "IC", "TA", "CQ"}

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
ARABIC = re.compile(r"[\u0600-\u06ff]")


def variants(name, generic=frozenset()):
    """A display name and the names inside it: "Myanmar (Burma)" -> itself, Myanmar, Burma.
    A parenthesis holding a word common to many names ("Congo (Republic)") adds nothing."""
    name = name.replace("’", "'").strip()
    out = [name]
    m = re.fullmatch(r"(.+?)\s*[(（](.+?)[)）]", name)
    if m:
        base, inner = m.group(1).strip(), m.group(2).strip()
        out.append(base)
        acronym = len(inner) >= 3 and inner.isupper()
        if inner.lower() in generic:
            pass
        elif len(inner) >= 4 or acronym or (CJK.search(inner) and len(inner) >= 2):
            out.append(inner)
    return [n for n in out if " - " not in n and "," not in n]


def russian_forms(name):
    """Case forms of a Russian name's last word (singular; indeclinable endings left alone)."""
    words = name.split(" ")
    last = words[-1]
    forms = []
    soft_plural = "кгхжшчщ"
    if last.endswith("ия"):
        stem = last[:-2]
        forms = [stem + e for e in ("ии", "ию", "ией")]
    elif last.endswith("а"):
        stem = last[:-1]
        plural = "и" if stem[-1:] in soft_plural else "ы"
        forms = [stem + e for e in (plural, "е", "у", "ой")]
    elif last.endswith("я"):
        stem = last[:-1]
        forms = [stem + e for e in ("и", "е", "ю", "ей")]
    elif last.endswith("й"):
        stem = last[:-1]
        forms = [stem + e for e in ("я", "е", "ю", "ем")]
    elif last.endswith("ь"):
        stem = last[:-1]
        forms = [stem + e for e in ("и", "е", "ю", "ью")]
    elif re.search(r"[бвгджзклмнпрстфхцчшщ]$", last):
        forms = [last + e for e in ("а", "е", "у", "ом")]
    if len(words) == 1:
        return forms
    # An adjective and a noun ("Южный Судан", "Центральноафриканская Республика") change
    # together, case by case; other multi-word names are matched as written.
    adjective = {
        "ый": ["ого", "ом", "ому", "ым"],
        "ий": ["ого", "ом", "ому", "им"],
        "ая": ["ой", "ой", "ую", "ой"],
    }
    first = words[0]
    ending = first[-2:]
    if len(words) != 2 or ending not in adjective or len(forms) != 4:
        return []
    if ending == "ая" and last.endswith("ь"):
        # Feminine nouns in -ь ("Курская область"): the accusative is the nominative.
        stem = last[:-1]
        nouns = [stem + "и", stem + "и", last, stem + "ью"]
    elif ending == "ая":
        # Feminine nouns: genitive, prepositional, accusative, instrumental.
        nouns = forms
    else:
        # Masculine nouns: genitive, prepositional, dative, instrumental.
        nouns = [forms[0], forms[1], forms[2], forms[3]]
    return [first[:-2] + a + " " + n for a, n in zip(adjective[ending], nouns)]


def marked(name, lang):
    if CJK.search(name) or ARABIC.search(name):
        return name
    letters = [c for c in name if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return "=" + name
    return "^" + name


def main():
    root = Path(sys.argv[1])
    names = {}  # folded name -> set of codes
    by_code = {}
    for lang in LANGUAGES:
        path = root / "main" / lang / "territories.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        territories = data["main"][lang]["localeDisplayNames"]["territories"]
        counts = {}
        for value in territories.values():
            for w in set(re.split(r"[\s()（）-]+", value.lower())):
                counts[w] = counts.get(w, 0) + 1
        generic = frozenset(w for w, n in counts.items() if n >= 3)
        for key, value in territories.items():
            code = key.split("-alt-")[0]
            if not re.fullmatch(r"[A-Z]{2}", code) or code in NOT_COUNTRIES:
                continue
            for n in variants(value, generic):
                if (lang, n) in EXCLUDED or len(n) < 2:
                    continue
                forms = [n] + (russian_forms(n) if lang == "ru" else [])
                for f in forms:
                    names.setdefault(f.lower(), set()).add(code)
                    by_code.setdefault(code, []).append(marked(f, lang))
    print("# Country names from CLDR territory display names (Unicode licence, Unicode-3.0),")
    print("# built by scripts/country-names.py: do not edit by hand.")
    print("#   CODE|name;name;... (^Name: capitalised only; =NAME: exactly as written)")
    for code in sorted(by_code):
        seen = set()
        keep = []
        for n in by_code[code]:
            bare = n.lstrip("^=")
            if len(names[bare.lower()]) > 1 or bare.lower() in seen:
                continue
            seen.add(bare.lower())
            keep.append(n)
        if keep:
            print(f"{code}|{';'.join(keep)}")


if __name__ == "__main__":
    main()
