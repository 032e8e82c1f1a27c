#!/usr/bin/env python3
"""Writes N generated users as v1 NDJSON (one `userbase import` item per line), deterministically.

Usage: gen_users.py N [OUT] [--start K]

User i (counting from K, default 0) has:
- email        user{i}@{domain}            (unique; domain one of 50)
- first_name   one of 200 names
- last_name    a stem from a list plus the number i (e.g. "Lund123456"), so `co "und99"` matches some users
- tags         ["vip"] for every 100th user, else ["customer"]
- metadata     {"plan": gold/silver/bronze/free}
- country      one of 20 ISO codes
- external_refs [{"source": "erp", "source_id": str(i)}]

The queries of `bench/scale/run` rely on these shapes (see its QUERIES table).
"""

import argparse
import json
import sys

FIRST = [
    "Anna", "Bram", "Chloe", "Daan", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Lars", "Mila", "Noah", "Olga", "Pim", "Quinn", "Rosa", "Sem", "Tess",
]
FIRST = [f"{n}{s}" for n in FIRST for s in ("", "a", "e", "o", "ie", "y", "us", "ina", "ard", "el")]
LAST = ["Lund", "Berg", "Jansen", "Visser", "Smit", "Bakker", "Mulder", "Bos", "Dekker", "Meijer",
        "Strand", "Holm", "Dahl", "Vik", "Moen", "Haug", "Lie", "Aas", "Ruud", "Sund"]
COUNTRIES = ["NL", "DE", "BE", "FR", "GB", "NO", "SE", "DK", "FI", "ES",
             "IT", "PT", "PL", "AT", "CH", "IE", "US", "CA", "AU", "NZ"]
PLANS = ["gold", "silver", "bronze", "free"]


def user(i: int) -> dict:
    return {
        "email": f"user{i}@d{i % 50}.example.com",
        "first_name": FIRST[(i * 7) % len(FIRST)],
        "last_name": f"{LAST[i % len(LAST)]}{i}",
        "tags": ["vip"] if i % 100 == 0 else ["customer"],
        "metadata": {"plan": PLANS[i % len(PLANS)]},
        "country": COUNTRIES[(i * 3) % len(COUNTRIES)],
        "external_refs": [{"source": "erp", "source_id": str(i)}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Generated users as v1 NDJSON.")
    parser.add_argument("count", type=int)
    parser.add_argument("out", nargs="?", help="file to write (default: standard output)")
    parser.add_argument("--start", type=int, default=0, help="number of the first user")
    args = parser.parse_args()
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with out:
        for i in range(args.start, args.start + args.count):
            out.write(dumps(user(i)))
            out.write("\n")


if __name__ == "__main__":
    main()
