"""What the scripts that build the tagger's tables share: the names in its generated tables
(`src/geo/gazetteer.txt`, `names.txt`, `places.txt`), and the census names that are everyday
words."""

import re
from pathlib import Path

TABLES = ("gazetteer.txt", "names.txt", "places.txt")

# Everyday words that are also names in the census lists: months, verbs, virtues, colours,
# titles ("Jordan Queen Rania visits" is about Jordan), and the features a country's name is
# followed by in a place name.
EVERYDAY_NAMES = set(
    """
    may june april august march will mark bill grace hope joy faith art dawn summer autumn
    rose iris ivy holly lily daisy pearl ruby crystal amber angel sky rich don guy van ray
    sue pat jack frank earl major king queen prince princess duke young white black green brown
    gray grey long little
    small short power post gate gates lake lakes river rivers valley hill hills mountain
    mountains park parks city state states street port bay sea coast island islands field
    fields wood woods forest north south east west central new old good best love star
    """.split()
)


def table_names(repo, tables=TABLES):
    """Every (table, name) the tables hold, the name lowercase and without the tables' markers
    (`^`, `=`, `~`, `*`, `@`)."""
    for table in tables:
        for line in (Path(repo) / "src/geo" / table).read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or "|" not in line:
                continue
            for part in line.split("|")[1:]:
                for n in re.split("[;,]", part):
                    n = n.lstrip("^=~*@").strip().lower()
                    if n:
                        yield table, n
