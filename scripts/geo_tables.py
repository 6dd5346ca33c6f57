"""Reads the names in the tagger's generated tables (`src/geo/gazetteer.txt`, `names.txt`,
`places.txt`), for the scripts that build the other tables from them."""

import re
from pathlib import Path

TABLES = ("gazetteer.txt", "names.txt", "places.txt")


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
