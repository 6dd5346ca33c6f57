#!/usr/bin/env python3
"""Builds src/baseline/cow.txt, the Correlates of War state codes of today's countries with
their ISO 3166-1 alpha-2 codes, for reading the Early Warning Project's risk files (their `COW`
or `ccode` column).

    pip download country_converter==1.3.2 --no-deps
    unzip -q country_converter-1.3.2-py3-none-any.whl -d coco
    python3 scripts/cow-codes.py coco/country_converter/country_data.tsv > src/baseline/cow.txt

country_converter ships Gleditsch and Ward's state codes (`GWcode`), which are the Correlates
of War codes except where the two lists split a state's history differently. COW_DIFFERS
names those states as COW numbers them today (from the COW state list, 2016 version):
Germany is 255 (GW 260), Serbia is 345, the successor of Yugoslavia (GW 340), Yemen is 679
(GW 678/680 for North and South), and Vietnam is 816 (the data set gives 817, the old
Republic of Vietnam). Every other line is taken from the data set as it is.
"""

import csv
import sys

COW_DIFFERS = {"DE": "255", "RS": "345", "YE": "679", "VN": "816"}


def main():
    rows = csv.DictReader(open(sys.argv[1], encoding="utf-8"), delimiter="\t")
    pairs = {}
    for row in rows:
        iso, gw = row["ISO2"].strip(), row["GWcode"].strip()
        if len(iso) != 2 or not gw:
            continue
        pairs[iso] = COW_DIFFERS.get(iso, gw)
    print("# Correlates of War state codes and ISO 3166-1 alpha-2, built by scripts/cow-codes.py")
    print("# from country_converter 1.3.2 (GPL-3.0; the codes themselves are facts): COW|ISO")
    for iso, cow in sorted(pairs.items(), key=lambda kv: int(kv[1])):
        print(f"{cow}|{iso}")


if __name__ == "__main__":
    main()
