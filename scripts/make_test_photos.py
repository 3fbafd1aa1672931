#!/usr/bin/env python3
"""Writes tests/fixtures/photo-with-gps.{jpg,png}: small real images, as a phone would save them,
with a camera make and model, a body serial number, GPS coordinates (Tehran), an XMP packet with
the position, and a JPEG comment holding the serial. The API tests upload them and find none of
it in what is stored or served. Needs Pillow (`pip install pillow`); the fixtures are committed,
so the tests do not."""

from PIL import Image

OUT = "tests/fixtures/photo-with-gps"

img = Image.new("RGB", (48, 32))
for x in range(48):
    for y in range(32):
        img.putpixel((x, y), (x * 5, y * 7, 120))
exif = Image.Exif()
exif[0x010F] = "PlantedCam"  # Make
exif[0x0110] = "Model X1"  # Model
exif[0xA431] = "SERIAL-4711-XYZ"  # BodySerialNumber
gps = exif.get_ifd(0x8825)
gps[1], gps[2] = "N", (35.0, 41.0, 30.0)
gps[3], gps[4] = "E", (51.0, 25.0, 18.0)
xmp = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="35,41.5N" '
    b'exif:GPSLongitude="51,25.3E"/></rdf:RDF></x:xmpmeta>'
)
img.save(OUT + ".jpg", "JPEG", exif=exif.tobytes(), quality=85, comment=b"SERIAL-4711-XYZ comment", xmp=xmp)
img.save(OUT + ".png", "PNG", exif=exif.tobytes())
