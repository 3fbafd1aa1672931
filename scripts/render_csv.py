#!/usr/bin/env python3
"""Renders a CSV as LibreOffice Calc shows it, to a PNG: to look at what a spreadsheet user sees
of the scorecard's CSV (GET /api/v1/stats, Accept: text/csv) without a desktop.

Usage: scripts/render_csv.py IN.csv OUT.png

Needs Debian's libreoffice-calc-nogui and libreoffice-draw-nogui (the PNG export), and a font
with Persian glyphs (fonts-noto-core). Three conversions by `soffice --headless`: the CSV to a
spreadsheet (read as UTF-8: LibreOffice 7.4 headless does not take the charset from the BOM as
its import dialog and Excel do), that spreadsheet's page turned to landscape and scaled to one
page and its sheet laid out right to left as a Persian sheet is (by editing its XML: the UNO
bridge of the nogui build crashes on loading a sheet), and the spreadsheet to a PNG.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile


def soffice(*args, cwd):
    subprocess.run(
        ["soffice", "--headless", "--norestore", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=180,
    )


def landscape_on_one_page(styles):
    def turn(match):
        props = match.group(1)
        props = re.sub(r'\s(fo:page-width|fo:page-height|style:print-orientation|style:scale-to[-\w]*)="[^"]*"', "", props)
        return (
            '<style:page-layout-properties fo:page-width="11.69in" fo:page-height="8.27in"'
            ' style:print-orientation="landscape" style:scale-to-pages="1"' + props
        )

    return re.sub(r"<style:page-layout-properties((?:\s[^>]*)?/?>)", turn, styles)


def right_to_left(content):
    return content.replace('style:writing-mode="lr-tb"', 'style:writing-mode="rl-tb"')


def main(source, target):
    work = tempfile.mkdtemp(prefix="render-csv-")
    try:
        shutil.copy(source, os.path.join(work, "sheet.csv"))
        soffice("--infilter=CSV:44,34,76,1", "--convert-to", "ods", "sheet.csv", cwd=work)
        plain, shaped = os.path.join(work, "sheet.ods"), os.path.join(work, "shaped.ods")
        with zipfile.ZipFile(plain) as inside, zipfile.ZipFile(shaped, "w") as out:
            # The mimetype entry comes first and uncompressed, as ODF asks.
            out.writestr("mimetype", inside.read("mimetype"), compress_type=zipfile.ZIP_STORED)
            for item in inside.infolist():
                if item.filename == "mimetype":
                    continue
                data = inside.read(item.filename)
                if item.filename == "styles.xml":
                    data = landscape_on_one_page(data.decode()).encode()
                elif item.filename == "content.xml":
                    data = right_to_left(data.decode()).encode()
                out.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
        soffice("--convert-to", "png", "shaped.ods", cwd=work)
        shutil.copy(os.path.join(work, "shaped.png"), target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
