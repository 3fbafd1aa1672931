//! Hand-assembled minimal files of each type, with the metadata a phone or scanner writes planted
//! in them, and what the module must do with them.

use proptest::prelude::*;

use super::sniff::{crc32, walk_jpeg, walk_png, walk_webp};
use super::*;

const SERIAL: &[u8] = b"SERIAL-4711-XYZ";
const GPS_XMP: &[u8] = b"GPSLatitude";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_no_metadata(bytes: &[u8]) {
    assert!(!contains(bytes, SERIAL), "the serial number survived");
    assert!(!contains(bytes, GPS_XMP), "the XMP position survived");
    assert!(!contains(bytes, b"Exif\0\0"), "an EXIF header survived");
    assert!(
        !contains(bytes, b"MM\0*"),
        "a TIFF (EXIF) structure survived"
    );
}

/// EXIF as TIFF: IFD0 with the body serial number and a pointer to a GPS IFD (tag 0x8825),
/// which holds a latitude reference.
fn exif_tiff() -> Vec<u8> {
    let mut t = b"MM\0*\0\0\0\x08".to_vec();
    t.extend([0, 2]); // two entries
    t.extend([0xA4, 0x31, 0, 2, 0, 0, 0, 16, 0, 0, 0, 38]); // BodySerialNumber, ASCII, at 38
    t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 54]); // GPSInfo IFD, at 54
    t.extend([0, 0, 0, 0]); // no next IFD
    t.extend(SERIAL);
    t.push(0);
    t.extend([0, 1]); // GPS IFD: one entry
    t.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef "N"
    t.extend([0, 0, 0, 0]);
    assert_eq!(t.len(), 72);
    t
}

fn xmp_packet() -> Vec<u8> {
    br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description exif:GPSLatitude="35,41.5N" exif:GPSLongitude="51,25.3E" aux:SerialNumber="SERIAL-4711-XYZ"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#.to_vec()
}

// --- JPEG ---

fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, code];
    s.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend(payload);
    s
}

fn jfif() -> Vec<u8> {
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
}

fn icc_app2() -> Vec<u8> {
    segment(0xE2, b"ICC_PROFILE\0\x01\x01fake-profile-bytes")
}

/// The tables, frame and scan of a 1x1 greyscale baseline JPEG; the scan's data holds a stuffed
/// zero (FF 00) and a restart marker (FF D0), which do not end it.
fn jpeg_image_segments() -> Vec<Vec<u8>> {
    let mut dqt = vec![0x00];
    dqt.extend(1..=64u8);
    let mut dht = vec![0x00, 1];
    dht.extend([0; 15]);
    dht.push(0);
    dht.extend([0x10, 1]);
    dht.extend([0; 15]);
    dht.push(0);
    let mut sos = segment(0xDA, &[1, 1, 0x00, 0, 63, 0]);
    sos.extend([0xFC, 0xFF, 0x00, 0xE2, 0xAF, 0xFF, 0xD0, 0x12, 0x34]);
    vec![
        segment(0xDB, &dqt),
        segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
        segment(0xC4, &dht),
        sos,
    ]
}

fn jpeg_from(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    for s in segments {
        j.extend(s);
    }
    j.extend([0xFF, 0xD9]);
    j
}

fn jpeg_plain() -> Vec<u8> {
    let mut segments = vec![jfif()];
    segments.extend(jpeg_image_segments());
    jpeg_from(&segments)
}

fn jpeg_with_metadata() -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff());
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(xmp_packet());
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x13\x1c\x02\x74\0\x0f".to_vec();
    iptc.extend(SERIAL);
    let mut segments = vec![
        jfif(),
        segment(0xE1, &exif),
        segment(0xE1, &xmp),
        icc_app2(),
        segment(0xED, &iptc),
        segment(0xFE, b"SERIAL-4711-XYZ GPSLatitude 35.69"),
    ];
    segments.extend(jpeg_image_segments());
    jpeg_from(&segments)
}

/// The segments a walk hands on, as (marker, bytes).
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut all = Vec::new();
    walk_jpeg(bytes, |code, s| all.push((code, s.to_vec()))).unwrap();
    all
}

fn jpeg_image_data(bytes: &[u8]) -> Vec<Vec<u8>> {
    jpeg_segments(bytes)
        .into_iter()
        .filter(|(code, _)| !matches!(code, 0xE0..=0xEF | 0xFE))
        .map(|(_, s)| s)
        .collect()
}

// --- PNG ---

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    c.extend(kind);
    c.extend(data);
    let crc = crc32(&c[4..]);
    c.extend(crc.to_be_bytes());
    c
}

fn png_ihdr() -> Vec<u8> {
    chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])
}

/// zlib of one filter byte and one grey pixel.
fn png_idat() -> Vec<u8> {
    chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    )
}

fn png_from(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for c in chunks {
        p.extend(c);
    }
    p
}

/// The chunks that make the image and how it looks, in the order a writer puts them.
fn png_image_chunks() -> Vec<Vec<u8>> {
    vec![
        png_ihdr(),
        chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]),
        chunk(b"sRGB", &[0]),
        chunk(b"pHYs", &[0, 0, 0x0E, 0xC4, 0, 0, 0x0E, 0xC4, 1]),
        png_idat(),
        chunk(b"IEND", &[]),
    ]
}

fn png_plain() -> Vec<u8> {
    png_from(&png_image_chunks())
}

fn png_with_metadata() -> Vec<u8> {
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend(xmp_packet());
    let mut text = b"Comment\0".to_vec();
    text.extend(SERIAL);
    let [ihdr, gama, srgb, phys, idat, iend] =
        <[Vec<u8>; 6]>::try_from(png_image_chunks()).unwrap();
    png_from(&[
        ihdr,
        chunk(b"eXIf", &exif_tiff()),
        gama,
        srgb,
        chunk(b"iTXt", &itxt),
        chunk(b"tEXt", &text),
        chunk(
            b"zTXt",
            b"Author\0\0\x78\x9c\x0b\x0e\x72\xf5\x0c\xf4\x01\x00",
        ),
        chunk(b"tIME", &[0x07, 0xE8, 5, 17, 10, 30, 0]),
        chunk(b"zxIf", SERIAL), // a private chunk: unknown, so dropped
        phys,
        idat,
        iend,
    ])
}

fn png_chunks(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    walk_png(bytes, |_, c| all.push(c.to_vec())).unwrap();
    all
}

// --- WebP ---

fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = kind.to_vec();
    c.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
    c.extend(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn webp_from(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut w = b"RIFF".to_vec();
    w.extend(u32::try_from(body.len() + 4).unwrap().to_le_bytes());
    w.extend(b"WEBP");
    w.extend(body);
    w
}

/// A 1x1 lossless bitstream's header and a few bytes; odd-sized, so padded.
fn vp8l() -> Vec<u8> {
    riff_chunk(b"VP8L", &[0x2F, 0, 0, 0, 0, 0x07, 0x10])
}

fn iccp() -> Vec<u8> {
    riff_chunk(b"ICCP", b"fake-profile")
}

/// VP8X with these flags, on a 1x1 canvas.
fn vp8x(flags: u8) -> Vec<u8> {
    riff_chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

const ICC_EXIF_XMP: u8 = 0x20 | 0x08 | 0x04;

fn webp_with_metadata() -> Vec<u8> {
    let mut xmp = xmp_packet();
    if xmp.len().is_multiple_of(2) {
        xmp.push(b' '); // odd, so that the padding is walked
    }
    webp_from(&[
        vp8x(ICC_EXIF_XMP),
        iccp(),
        vp8l(),
        riff_chunk(b"EXIF", &exif_tiff()),
        riff_chunk(b"XMP ", &xmp),
    ])
}

/// The simple (lossy) format: one VP8 chunk, a key frame's tag, start code and 1x1 size.
fn webp_lossy() -> Vec<u8> {
    webp_from(&[riff_chunk(
        b"VP8 ",
        &[
            0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00,
        ],
    )])
}

fn webp_chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut all = Vec::new();
    walk_webp(bytes, |k, c| all.push((k, c.to_vec()))).unwrap();
    all
}

// --- PDF ---

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Author (SERIAL-4711-XYZ) >>\nendobj\ntrailer\n<< /Root 1 0 R /Info 3 0 R >>\n%%EOF".to_vec()
}

fn fixtures() -> Vec<(FileType, Vec<u8>)> {
    vec![
        (FileType::Jpeg, jpeg_plain()),
        (FileType::Jpeg, jpeg_with_metadata()),
        (FileType::Png, png_plain()),
        (FileType::Png, png_with_metadata()),
        (FileType::Webp, webp_with_metadata()),
        (FileType::Webp, webp_lossy()),
        (FileType::Pdf, pdf()),
    ]
}

// --- Types ---

#[test]
fn file_types_have_their_labels_and_media_types() {
    let table = [
        (FileType::Jpeg, "jpeg", "image/jpeg", true),
        (FileType::Png, "png", "image/png", true),
        (FileType::Webp, "webp", "image/webp", true),
        (FileType::Pdf, "pdf", "application/pdf", false),
    ];
    for (kind, label, mime, image) in table {
        assert_eq!(kind.as_str(), label);
        assert_eq!(kind.mime(), mime);
        assert_eq!(kind.is_image(), image);
        assert_eq!(FileType::parse(label), Some(kind));
    }
    assert_eq!(FileType::ALL.len(), table.len());
}

#[test]
fn config_labels_are_read_in_any_case_and_jpg_is_jpeg() {
    assert_eq!(FileType::parse(" PNG "), Some(FileType::Png));
    assert_eq!(FileType::parse("WebP"), Some(FileType::Webp));
    assert_eq!(FileType::parse("jpg"), Some(FileType::Jpeg));
    assert_eq!(FileType::parse("JPG"), Some(FileType::Jpeg));
    for other in ["", "gif", "svg", "image/png", "pdfx", "jpe g"] {
        assert_eq!(FileType::parse(other), None, "{other:?}");
    }
}

#[test]
fn the_checksum_is_pngs() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
}

// --- Sniffing ---

#[test]
fn the_type_comes_from_the_bytes_not_the_name() {
    let (name, bytes) = ("photo.jpg", png_plain());
    assert!(name.ends_with(".jpg"));
    assert_eq!(sniff(&bytes), Some(FileType::Png));
}

#[test]
fn each_type_is_recognised_from_its_first_sixteen_bytes() {
    for (kind, bytes) in fixtures() {
        assert_eq!(sniff(&bytes), Some(kind));
        assert_eq!(sniff(&bytes[..SNIFF_LEN]), Some(kind));
    }
}

#[test]
fn other_types_and_too_few_bytes_are_not_recognised() {
    let others: [&[u8]; 14] = [
        b"",
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"<html><script>alert(1)</script></html>",
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00",
        b"RIFF\x24\x00\x00\x00WEBPJUNK\x10\x00\x00\x00",
        b"\xFF\xD8",
        b"\x89PNG\r\n\x1a",
        b"RIFF\x24\x00\x00\x00WEBPVP8",
        b"%PDF",
        b" %PDF-1.7",
    ];
    for bytes in others {
        assert_eq!(sniff(bytes), None, "{:?}", String::from_utf8_lossy(bytes));
    }
}

// --- Completeness ---

#[test]
fn the_fixtures_are_whole_files() {
    for (kind, bytes) in fixtures() {
        assert_eq!(check_complete(kind, &bytes), Ok(()), "{kind}");
        assert_eq!(identify(&bytes), Ok(kind));
    }
    assert_eq!(identify(b"GIF89a"), Err(AttachmentError::UnsupportedType));
}

#[test]
fn a_file_cut_anywhere_is_refused_as_incomplete() {
    for (kind, bytes) in fixtures() {
        for cut in 0..bytes.len() {
            assert_eq!(
                check_complete(kind, &bytes[..cut]),
                Err(AttachmentError::Truncated { kind }),
                "{kind} cut at {cut} of {}",
                bytes.len()
            );
            assert!(strip_metadata(kind, bytes[..cut].to_vec()).is_err());
        }
    }
}

#[test]
fn a_file_of_another_type_is_refused_as_malformed() {
    let jpeg = jpeg_plain();
    for kind in [FileType::Png, FileType::Webp, FileType::Pdf] {
        assert!(matches!(
            check_complete(kind, &jpeg),
            Err(AttachmentError::Malformed { kind: k, .. }) if k == kind
        ));
    }
    assert!(matches!(
        check_complete(FileType::Jpeg, &png_plain()),
        Err(AttachmentError::Malformed { .. })
    ));
}

fn malformed(kind: FileType, bytes: &[u8]) -> &'static str {
    match check_complete(kind, bytes) {
        Err(AttachmentError::Malformed { kind: k, why }) if k == kind => why,
        other => panic!("{kind}: {other:?}"),
    }
}

#[test]
fn jpegs_out_of_order_or_with_stray_bytes_are_refused() {
    let [dqt, sof, dht, sos] = <[Vec<u8>; 4]>::try_from(jpeg_image_segments()).unwrap();
    // No frame header before the scan.
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[dqt.clone(), dht.clone(), sos.clone()]),
    );
    // No scan at all.
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[dqt.clone(), sof.clone(), dht.clone()]),
    );
    // Bytes between segments.
    let mut stray = dqt.clone();
    stray.extend([0x00, 0x00]);
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[stray, sof.clone(), dht.clone(), sos.clone()]),
    );
    // A length shorter than the length field.
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[vec![0xFF, 0xE1, 0, 1], sof.clone(), sos.clone()]),
    );
    // A second SOI, and a restart marker outside a scan.
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[vec![0xFF, 0xD8], sof.clone(), sos.clone()]),
    );
    malformed(
        FileType::Jpeg,
        &jpeg_from(&[vec![0xFF, 0xD3], sof.clone(), sos.clone()]),
    );
    // Fill bytes before a marker are allowed, and so is data after EOI.
    let mut filled = jpeg_from(&[dqt, vec![0xFF, 0xFF], sof, dht, sos]);
    assert_eq!(check_complete(FileType::Jpeg, &filled), Ok(()));
    filled.extend(b"trailing");
    assert_eq!(check_complete(FileType::Jpeg, &filled), Ok(()));
}

#[test]
fn pngs_with_bad_checksums_or_chunks_out_of_order_are_refused() {
    let mut flipped = png_plain();
    let at = flipped.len() - 20; // inside IDAT
    flipped[at] ^= 0x01;
    assert_eq!(
        malformed(FileType::Png, &flipped),
        "a chunk whose checksum does not match"
    );
    let [ihdr, gama, _, _, idat, iend] = <[Vec<u8>; 6]>::try_from(png_image_chunks()).unwrap();
    assert_eq!(
        malformed(
            FileType::Png,
            &png_from(&[gama.clone(), ihdr.clone(), idat.clone(), iend.clone()])
        ),
        "it does not start with its header chunk"
    );
    malformed(
        FileType::Png,
        &png_from(&[ihdr.clone(), ihdr.clone(), idat.clone(), iend.clone()]),
    );
    malformed(
        FileType::Png,
        &png_from(&[ihdr.clone(), gama, iend.clone()]),
    );
    malformed(
        FileType::Png,
        &png_from(&[ihdr, idat, chunk(b"IEND", b"x")]),
    );
}

#[test]
fn webps_whose_size_or_chunks_are_wrong_are_refused() {
    let mut longer = webp_lossy();
    longer.extend([0, 0]);
    assert_eq!(
        malformed(FileType::Webp, &longer),
        "its length is not the one it declares"
    );
    // A container whose size covers less than its last chunk.
    let mut inner = webp_lossy();
    inner.extend([b'X', b'M', b'P', b' ', 0xFF, 0, 0, 0]);
    let size = u32::try_from(inner.len() - 8).unwrap();
    inner[4..8].copy_from_slice(&size.to_le_bytes());
    malformed(FileType::Webp, &inner);
    // Another RIFF form, a first chunk that is no image header, and no image data.
    let mut wave = webp_lossy();
    wave[8..12].copy_from_slice(b"WAVE");
    malformed(FileType::Webp, &wave);
    malformed(FileType::Webp, &webp_from(&[iccp(), vp8l()]));
    malformed(FileType::Webp, &webp_from(&[vp8x(0), iccp()]));
    malformed(
        FileType::Webp,
        &webp_from(&[riff_chunk(b"VP8L", &[0x00, 0, 0, 0, 0])]),
    );
    malformed(FileType::Webp, &webp_from(&[riff_chunk(b"VP8 ", &[0; 10])]));
}

#[test]
fn a_pdf_needs_its_header_and_its_end_near_the_end() {
    // At most 1019 bytes may follow %%EOF for all of it to be within the last 1024.
    let mut late = pdf();
    late.extend(vec![b'\n'; 1019]);
    assert_eq!(check_complete(FileType::Pdf, &late), Ok(()));
    late.push(b'\n');
    assert_eq!(
        check_complete(FileType::Pdf, &late),
        Err(AttachmentError::Truncated {
            kind: FileType::Pdf
        })
    );
    malformed(FileType::Pdf, b"%PDX-1.7\n%%EOF");
}

// --- Stripping ---

#[test]
fn a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_its_image() {
    let input = jpeg_with_metadata();
    assert!(contains(&input, SERIAL) && contains(&input, GPS_XMP));
    let output = strip_metadata(FileType::Jpeg, input.clone()).unwrap();
    assert_no_metadata(&output);
    assert!(!contains(&output, b"http://ns.adobe.com/xap"));
    assert!(!contains(&output, b"Photoshop 3.0"));
    assert_eq!(sniff(&output), Some(FileType::Jpeg));
    assert_eq!(check_complete(FileType::Jpeg, &output), Ok(()));
    assert_eq!(jpeg_image_data(&output), jpeg_image_data(&input));
    assert_eq!(jpeg_image_data(&output), jpeg_image_segments());
    let kept: Vec<Vec<u8>> = jpeg_segments(&output)
        .into_iter()
        .filter(|(code, _)| matches!(code, 0xE0..=0xEF | 0xFE))
        .map(|(_, s)| s)
        .collect();
    assert_eq!(kept, [jfif(), icc_app2()]);
}

#[test]
fn a_jpeg_loses_metadata_between_scans_after_its_end_and_in_its_thumbnail() {
    let [dqt, sof, dht, sos] = <[Vec<u8>; 4]>::try_from(jpeg_image_segments()).unwrap();
    // A JFIF header with a 1x1 thumbnail, an Adobe header, an MPF index, and EXIF between two
    // scans (as progressive files can have it); after EOI, an appended second image.
    let thumbnail = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\x01\x01SER");
    let adobe = segment(0xEE, b"Adobe\0\x64\0\0\0\0\x02");
    let mpf = segment(0xE2, b"MPF\0MM\0*SERIAL-4711-XYZ");
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff());
    let mut input = jpeg_from(&[
        thumbnail,
        adobe.clone(),
        mpf,
        dqt.clone(),
        sof.clone(),
        dht.clone(),
        sos.clone(),
        segment(0xE1, &exif),
        sos.clone(),
    ]);
    input.extend(jpeg_with_metadata());
    let output = strip_metadata(FileType::Jpeg, input).unwrap();
    assert_no_metadata(&output);
    assert!(!contains(&output, b"SER"));
    assert_eq!(
        output,
        jpeg_from(&[jfif(), adobe, dqt, sof, dht, sos.clone(), sos])
    );
}

#[test]
fn a_png_loses_its_text_exif_and_time_and_keeps_its_image() {
    let input = png_with_metadata();
    assert!(contains(&input, SERIAL) && contains(&input, GPS_XMP));
    let output = strip_metadata(FileType::Png, input).unwrap();
    assert_no_metadata(&output);
    assert_eq!(sniff(&output), Some(FileType::Png));
    assert_eq!(check_complete(FileType::Png, &output), Ok(()));
    assert_eq!(png_chunks(&output), png_image_chunks());
    assert_eq!(output, png_plain());
}

#[test]
fn a_png_loses_what_follows_its_end() {
    let mut input = png_plain();
    input.extend(b"PK\x03\x04SERIAL-4711-XYZ");
    assert_eq!(check_complete(FileType::Png, &input), Ok(()));
    assert_eq!(strip_metadata(FileType::Png, input).unwrap(), png_plain());
}

#[test]
fn a_webp_loses_exif_and_xmp_and_their_flags_and_keeps_its_image() {
    let input = webp_with_metadata();
    assert!(contains(&input, SERIAL) && contains(&input, GPS_XMP));
    let output = strip_metadata(FileType::Webp, input.clone()).unwrap();
    assert_no_metadata(&output);
    assert_eq!(sniff(&output), Some(FileType::Webp));
    assert_eq!(check_complete(FileType::Webp, &output), Ok(()));
    let size = u32::from_le_bytes([output[4], output[5], output[6], output[7]]);
    assert_eq!(size as usize, output.len() - 8);
    assert!(output.len() < input.len());
    let chunks = webp_chunks(&output);
    let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, [b"VP8X", b"ICCP", b"VP8L"]);
    // The ICC flag stays, with the profile; EXIF and XMP are gone.
    assert_eq!(chunks[0].1, vp8x(0x20));
    assert_eq!(chunks[1].1, iccp());
    assert_eq!(chunks[2].1, vp8l());
}

#[test]
fn images_without_metadata_and_pdfs_come_back_unchanged() {
    for (kind, bytes) in [
        (FileType::Jpeg, jpeg_plain()),
        (FileType::Png, png_plain()),
        (FileType::Webp, webp_lossy()),
        (FileType::Pdf, pdf()),
    ] {
        assert_eq!(strip_metadata(kind, bytes.clone()), Ok(bytes), "{kind}");
    }
}

#[test]
fn stripping_twice_changes_nothing_more() {
    for (kind, bytes) in fixtures() {
        let once = strip_metadata(kind, bytes).unwrap();
        assert_eq!(strip_metadata(kind, once.clone()), Ok(once), "{kind}");
    }
}

#[test]
fn the_messages_are_fixed_and_name_the_type() {
    assert_eq!(
        AttachmentError::UnsupportedType.to_string(),
        "the file is not a JPEG, PNG, WebP or PDF file"
    );
    assert_eq!(
        AttachmentError::Truncated {
            kind: FileType::Webp
        }
        .to_string(),
        "the WebP file is incomplete; it may have been cut short while uploading"
    );
    assert_eq!(
        check_complete(FileType::Png, &png_from(&[png_idat()]))
            .unwrap_err()
            .to_string(),
        "the PNG file is damaged: it does not start with its header chunk"
    );
}

// --- Limits ---

#[test]
fn the_default_limits_are_five_files_of_ten_mb_and_twenty_five_in_all() {
    let limits = AttachmentLimits::default();
    assert_eq!(limits.max_files_per_request, 5);
    assert_eq!(limits.max_bytes_per_file, 10 * 1024 * 1024);
    assert_eq!(limits.max_total_bytes, 25 * 1024 * 1024);
    assert_eq!(limits.allowed, FileType::ALL);
}

#[test]
fn admit_refuses_the_sixth_file_the_large_file_the_large_total_and_other_types() {
    let limits = AttachmentLimits {
        allowed: vec![FileType::Jpeg, FileType::Pdf],
        ..AttachmentLimits::default()
    };
    let mb = 1024 * 1024;
    assert_eq!(limits.admit(0, 0, 0, FileType::Jpeg), Ok(()));
    assert_eq!(limits.admit(4, 15 * mb, 10 * mb, FileType::Pdf), Ok(()));
    assert_eq!(
        limits.admit(0, 0, 1, FileType::Png),
        Err(LimitRefusal::TypeNotAllowed {
            kind: FileType::Png
        })
    );
    assert_eq!(
        limits.admit(5, 0, 1, FileType::Jpeg),
        Err(LimitRefusal::TooManyFiles { max: 5 })
    );
    assert_eq!(
        limits.admit(0, 0, 10 * mb + 1, FileType::Jpeg),
        Err(LimitRefusal::FileTooLarge { max_bytes: 10 * mb })
    );
    assert_eq!(
        limits.admit(3, 20 * mb, 5 * mb + 1, FileType::Jpeg),
        Err(LimitRefusal::TotalTooLarge { max_bytes: 25 * mb })
    );
    // Counts near the top of their types do not wrap into admission.
    assert!(limits.admit(u32::MAX, 0, 1, FileType::Jpeg).is_err());
    assert!(limits.admit(0, u64::MAX, 1, FileType::Jpeg).is_err());
    assert!(limits.admit(0, 0, u64::MAX, FileType::Jpeg).is_err());
    assert!(
        AttachmentLimits {
            allowed: vec![],
            ..limits
        }
        .admit(0, 0, 1, FileType::Jpeg)
        .is_err()
    );
}

#[test]
fn refusals_say_the_limit_in_units_people_read() {
    let limits = AttachmentLimits::default();
    let refusal = |files, bytes, this| {
        limits
            .admit(files, bytes, this, FileType::Png)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(refusal(5, 0, 0), "at most 5 files can be attached");
    assert_eq!(refusal(0, 0, 11 << 20), "a file can be at most 10 MB");
    assert_eq!(
        refusal(0, 20 << 20, 6 << 20),
        "the files together can be at most 25 MB"
    );
    assert_eq!(
        LimitRefusal::FileTooLarge {
            max_bytes: 512 * 1024
        }
        .to_string(),
        "a file can be at most 512 KB"
    );
    assert_eq!(
        LimitRefusal::FileTooLarge { max_bytes: 1000 }.to_string(),
        "a file can be at most 1000 bytes"
    );
    assert_eq!(
        LimitRefusal::TypeNotAllowed {
            kind: FileType::Pdf
        }
        .to_string(),
        "PDF files are not accepted"
    );
}

// --- Anything at all ---

/// A fixture cut, with a byte overwritten, or with bytes inserted: near-valid files, which reach
/// deeper into the walks than random bytes do.
fn damaged() -> impl Strategy<Value = (FileType, Vec<u8>)> {
    (
        prop::sample::select(fixtures()),
        0..3u8,
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<u8>(), 1..8),
    )
        .prop_map(|((kind, mut bytes), how, at, new)| {
            let at = at.index(bytes.len());
            match how {
                0 => bytes.truncate(at),
                1 => bytes[at] = new[0],
                _ => drop(bytes.splice(at..at, new)),
            }
            (kind, bytes)
        })
}

/// Metadata carrying the serial number, to be put anywhere among an image's own parts.
fn planted(known: Vec<Vec<u8>>, any_other: fn(&[u8]) -> Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(known),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(move |mut payload| {
            payload.extend(SERIAL);
            any_other(&payload)
        }),
    ]
}

/// Inserts each of `extra` at its position among `parts`, from `from` on, and before `upto` of
/// the last parts.
fn scatter(
    mut parts: Vec<Vec<u8>>,
    extra: Vec<(prop::sample::Index, Vec<u8>)>,
    from: usize,
    upto: usize,
) -> Vec<Vec<u8>> {
    for (at, part) in extra {
        let room = parts.len() - from - upto;
        parts.insert(from + at.index(room + 1), part);
    }
    parts
}

fn jpeg_metadata() -> Vec<Vec<u8>> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff());
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(xmp_packet());
    vec![
        segment(0xE1, &exif),
        segment(0xE1, &xmp),
        segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04SERIAL-4711-XYZ"),
        segment(0xE2, b"MPF\0SERIAL-4711-XYZ"),
        segment(0xFE, SERIAL),
        segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\x02\x01SERIAL"),
    ]
}

fn any_app_or_comment(payload: &[u8]) -> Vec<u8> {
    // APP0 to APP15 or COM, by the payload's first byte.
    let code = match payload.first() {
        Some(b) if b % 17 == 16 => 0xFE,
        Some(b) => 0xE0 + b % 17,
        None => 0xE1,
    };
    segment(code, payload)
}

fn png_metadata() -> Vec<Vec<u8>> {
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend(xmp_packet());
    vec![
        chunk(b"eXIf", &exif_tiff()),
        chunk(b"iTXt", &itxt),
        chunk(b"tEXt", b"Serial\0SERIAL-4711-XYZ"),
        chunk(b"zTXt", b"Author\0\0SERIAL-4711-XYZ"),
        chunk(b"tIME", SERIAL),
    ]
}

/// An ancillary chunk of a lower-case name, which no list of kept chunks holds.
fn any_private_chunk(payload: &[u8]) -> Vec<u8> {
    let name = [0, 1, 2, 3].map(|i| b'a' + payload.get(i).map_or(0, |b| b % 26));
    chunk(&name, payload)
}

fn webp_metadata() -> Vec<Vec<u8>> {
    vec![
        riff_chunk(b"EXIF", &exif_tiff()),
        riff_chunk(b"XMP ", &xmp_packet()),
        riff_chunk(b"XMP ", b"GPSLatitude"),
    ]
}

fn any_unknown_riff_chunk(payload: &[u8]) -> Vec<u8> {
    let name = [0, 1, 2, 3].map(|i| b'a' + payload.get(i).map_or(0, |b| b % 26));
    riff_chunk(&name, payload)
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_answered_never_panicked_on(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = sniff(&bytes);
        let _ = identify(&bytes);
        for kind in FileType::ALL {
            let _ = check_complete(kind, &bytes);
            let _ = strip_metadata(kind, bytes.clone());
        }
    }

    #[test]
    fn damaged_files_are_answered_and_what_is_stripped_is_whole((kind, bytes) in damaged()) {
        let _ = sniff(&bytes);
        let complete = check_complete(kind, &bytes);
        let stripped = strip_metadata(kind, bytes.clone());
        prop_assert_eq!(complete.is_ok(), stripped.is_ok());
        if let Ok(output) = stripped {
            prop_assert_eq!(sniff(&output), Some(kind));
            prop_assert_eq!(check_complete(kind, &output), Ok(()));
            prop_assert_eq!(strip_metadata(kind, output.clone()), Ok(output));
        }
    }

    #[test]
    fn a_jpeg_loses_metadata_wherever_it_stands(
        extra in prop::collection::vec((any::<prop::sample::Index>(), planted(jpeg_metadata(), any_app_or_comment)), 0..8),
        two_scans in any::<bool>(),
        trailer in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let mut image = jpeg_image_segments();
        if two_scans {
            image.push(image[3].clone());
        }
        let mut input = jpeg_from(&scatter(image.clone(), extra, 0, 0));
        input.extend(trailer);
        input.extend(SERIAL);
        let output = strip_metadata(FileType::Jpeg, input).unwrap();
        prop_assert!(!contains(&output, SERIAL) && !contains(&output, GPS_XMP));
        prop_assert_eq!(check_complete(FileType::Jpeg, &output), Ok(()));
        prop_assert_eq!(jpeg_image_data(&output), image);
        prop_assert_eq!(strip_metadata(FileType::Jpeg, output.clone()), Ok(output));
    }

    #[test]
    fn a_png_loses_metadata_wherever_it_stands(
        extra in prop::collection::vec((any::<prop::sample::Index>(), planted(png_metadata(), any_private_chunk)), 0..8),
    ) {
        let input = png_from(&scatter(png_image_chunks(), extra, 1, 1));
        let output = strip_metadata(FileType::Png, input).unwrap();
        prop_assert!(!contains(&output, SERIAL) && !contains(&output, GPS_XMP));
        prop_assert_eq!(output, png_plain());
    }

    #[test]
    fn a_webp_loses_metadata_wherever_it_stands(
        extra in prop::collection::vec((any::<prop::sample::Index>(), planted(webp_metadata(), any_unknown_riff_chunk)), 0..8),
        flags in any::<u8>(),
    ) {
        let input = webp_from(&scatter(vec![vp8x(flags), iccp(), vp8l()], extra, 1, 0));
        let output = strip_metadata(FileType::Webp, input).unwrap();
        prop_assert!(!contains(&output, SERIAL) && !contains(&output, GPS_XMP));
        prop_assert_eq!(output, webp_from(&[vp8x(flags & !0x0C), iccp(), vp8l()]));
    }
}
