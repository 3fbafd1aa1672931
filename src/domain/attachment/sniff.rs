//! The type from the magic bytes, and the walks over each container that decide whether a file
//! is whole. The walks hand each segment or chunk to a visitor, so that [`super::strip`] rewrites
//! a file in the same pass that checks it, and nothing is collected per segment (a hostile file
//! can hold millions of them).

use super::{AttachmentError, FileType};

/// The bytes [`sniff`] looks at: the first chunk of a streamed upload is always enough.
pub const SNIFF_LEN: usize = 16;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const PDF_SIGNATURE: &[u8] = b"%PDF-";

/// Decides the type from the first [`SNIFF_LEN`] bytes, which is all it reads: never from a name
/// or a declared type, which the client chooses. `None` for any other type (HTML, SVG, GIF, ZIP,
/// ...) and for too few bytes to tell.
pub fn sniff(head: &[u8]) -> Option<FileType> {
    let head = head.get(..SNIFF_LEN).unwrap_or(head);
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // SOI, then the first segment's marker.
        Some(FileType::Jpeg)
    } else if head.starts_with(&PNG_SIGNATURE) {
        Some(FileType::Png)
    } else if head.starts_with(b"RIFF")
        && head.get(8..15) == Some(b"WEBPVP8")
        && matches!(head.get(15), Some(b' ' | b'L' | b'X'))
    {
        // RIFF is also WAV and AVI: the form type and the first chunk (an image's) decide.
        Some(FileType::Webp)
    } else if head.starts_with(PDF_SIGNATURE) {
        Some(FileType::Pdf)
    } else {
        None
    }
}

/// Checks that `bytes` is a whole file of type `kind`, so that an upload cut short is refused:
/// - JPEG: a well-formed sequence of segments from SOI, with a frame header before the first
///   scan, reaching EOI after a scan (bytes after EOI are not looked at; [`super::strip_metadata`]
///   drops them);
/// - PNG: the signature, then well-formed chunks with matching checksums, IHDR first, at least one
///   IDAT, and IEND (bytes after IEND are not looked at; stripping drops them);
/// - WebP: a RIFF container whose size field is the file's length, of form type WEBP, holding
///   well-formed chunks, an image header first and image data;
/// - PDF: `%PDF-` at the start and `%%EOF` within the last 1024 bytes (the PDF itself is not
///   parsed).
pub fn check_complete(kind: FileType, bytes: &[u8]) -> Result<(), AttachmentError> {
    match kind {
        FileType::Jpeg => walk_jpeg(bytes, |_, _| ()),
        FileType::Png => walk_png(bytes, |_, _| ()),
        FileType::Webp => walk_webp(bytes, |_, _| ()),
        FileType::Pdf => check_pdf(bytes),
    }
}

fn truncated(kind: FileType) -> AttachmentError {
    AttachmentError::Truncated { kind }
}

fn malformed(kind: FileType, why: &'static str) -> AttachmentError {
    AttachmentError::Malformed { kind, why }
}

/// A file shorter than its signature but agreeing with it so far was cut short; one that
/// disagrees is not of that type.
fn signature(kind: FileType, bytes: &[u8], expected: &[u8]) -> Result<(), AttachmentError> {
    let n = bytes.len().min(expected.len());
    if bytes.get(..n) != expected.get(..n) {
        return Err(malformed(kind, "it does not start as such a file does"));
    }
    if bytes.len() < expected.len() {
        return Err(truncated(kind));
    }
    Ok(())
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn fourcc(bytes: &[u8], at: usize) -> Option<[u8; 4]> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some([b[0], b[1], b[2], b[3]])
}

pub(super) mod marker {
    pub const SOI: u8 = 0xD8;
    pub const EOI: u8 = 0xD9;
    pub const SOS: u8 = 0xDA;
    pub const TEM: u8 = 0x01;
    pub const APP0: u8 = 0xE0;
    pub const APP2: u8 = 0xE2;
    pub const APP14: u8 = 0xEE;
    pub const COM: u8 = 0xFE;

    /// Start of frame, of any coding process (C4 is DHT, C8 reserved, CC is DAC).
    pub fn is_sof(code: u8) -> bool {
        matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC)
    }
}

/// Walks a JPEG from SOI to EOI, handing `visit` each segment between them: its marker code and
/// its bytes, from the marker's 0xFF to the end of the segment, a scan's entropy-coded data
/// included. Fill bytes (0xFF before a marker) and anything after EOI are not handed on.
pub(super) fn walk_jpeg(
    bytes: &[u8],
    mut visit: impl FnMut(u8, &[u8]),
) -> Result<(), AttachmentError> {
    const K: FileType = FileType::Jpeg;
    signature(K, bytes, &[0xFF, marker::SOI])?;
    let mut pos = 2;
    let mut seen_frame = false;
    let mut seen_scan = false;
    loop {
        match bytes.get(pos) {
            None => return Err(truncated(K)),
            Some(0xFF) => {}
            Some(_) => return Err(malformed(K, "data where a segment should start")),
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let start = pos - 1;
        let Some(&code) = bytes.get(pos) else {
            return Err(truncated(K));
        };
        pos += 1;
        match code {
            marker::EOI if seen_scan => return Ok(()),
            marker::EOI => return Err(malformed(K, "it ends before its image data")),
            // A marker without a segment, and meaningless: skipped.
            marker::TEM => continue,
            // A stuffed zero, a restart, or a second start of image outside a scan.
            0x00 | 0xD0..=0xD8 => return Err(malformed(K, "a marker out of place")),
            _ => {}
        }
        let length = be16(bytes, pos).ok_or(truncated(K))?;
        if length < 2 {
            return Err(malformed(K, "a segment with an impossible length"));
        }
        pos += usize::from(length);
        if pos > bytes.len() {
            return Err(truncated(K));
        }
        if marker::is_sof(code) {
            seen_frame = true;
        }
        if code == marker::SOS {
            if !seen_frame {
                return Err(malformed(K, "image data before the frame header"));
            }
            pos = scan_end(bytes, pos)?;
            seen_scan = true;
        }
        visit(code, &bytes[start..pos]);
    }
}

/// Where a scan's entropy-coded data ends: at the first 0xFF that starts a marker, one not
/// followed by a stuffed zero or a restart code.
fn scan_end(bytes: &[u8], mut pos: usize) -> Result<usize, AttachmentError> {
    loop {
        let rest = bytes.get(pos..).unwrap_or_default();
        let Some(ff) = rest.iter().position(|&b| b == 0xFF).map(|i| pos + i) else {
            return Err(truncated(FileType::Jpeg));
        };
        match bytes.get(ff + 1) {
            None => return Err(truncated(FileType::Jpeg)),
            Some(0x00 | 0xD0..=0xD7) => pos = ff + 2,
            Some(_) => return Ok(ff),
        }
    }
}

/// The CRC-32 of PNG chunks (ISO 3309, as zlib's), from a table built at compile time.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    !bytes
        .iter()
        .fold(!0u32, |c, &b| TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

/// Walks a PNG from its signature to IEND, handing `visit` each chunk, IEND included: its type
/// and its bytes, from the length field to the CRC. Anything after IEND is not handed on.
pub(super) fn walk_png(
    bytes: &[u8],
    mut visit: impl FnMut([u8; 4], &[u8]),
) -> Result<(), AttachmentError> {
    const K: FileType = FileType::Png;
    signature(K, bytes, &PNG_SIGNATURE)?;
    let mut pos = PNG_SIGNATURE.len();
    let mut seen_data = false;
    loop {
        let length = be32(bytes, pos).ok_or(truncated(K))?;
        if length > 0x7FFF_FFFF {
            return Err(malformed(K, "a chunk with an impossible length"));
        }
        let kind = fourcc(bytes, pos + 4).ok_or(truncated(K))?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed(K, "a chunk of no valid type"));
        }
        // On 32 bits a length near 2 GiB could overflow; such a file cannot be in memory anyway.
        let data_end = (pos + 8).checked_add(length as usize).ok_or(truncated(K))?;
        let crc = be32(bytes, data_end).ok_or(truncated(K))?;
        let end = data_end + 4;
        if crc32(&bytes[pos + 4..data_end]) != crc {
            return Err(malformed(K, "a chunk whose checksum does not match"));
        }
        let first = pos == PNG_SIGNATURE.len();
        match &kind {
            b"IHDR" if !first => return Err(malformed(K, "a second header chunk")),
            b"IHDR" if length != 13 => return Err(malformed(K, "a header of the wrong size")),
            _ if first && &kind != b"IHDR" => {
                return Err(malformed(K, "it does not start with its header chunk"));
            }
            b"IDAT" => seen_data = true,
            b"IEND" if length != 0 => return Err(malformed(K, "an end chunk that is not empty")),
            b"IEND" if !seen_data => return Err(malformed(K, "it has no image data")),
            _ => {}
        }
        visit(kind, &bytes[pos..end]);
        if &kind == b"IEND" {
            return Ok(());
        }
        pos = end;
    }
}

/// Walks a WebP's RIFF container, handing `visit` each chunk after the form type: its FourCC and
/// its bytes, from the FourCC to the padding byte of an odd-sized chunk.
pub(super) fn walk_webp(
    bytes: &[u8],
    mut visit: impl FnMut([u8; 4], &[u8]),
) -> Result<(), AttachmentError> {
    const K: FileType = FileType::Webp;
    signature(K, bytes, b"RIFF")?;
    // The form type, after the size: a prefix of it is a file cut short.
    signature(K, bytes.get(8..).unwrap_or_default(), b"WEBP")?;
    let size = le32(bytes, 4).ok_or(truncated(K))?;
    let total = 8 + u64::from(size);
    let length = bytes.len() as u64;
    if length < total {
        return Err(truncated(K));
    }
    if length > total {
        return Err(malformed(K, "its length is not the one it declares"));
    }
    let mut pos = 12;
    let mut seen_data = false;
    while pos < bytes.len() {
        let (Some(kind), Some(size)) = (fourcc(bytes, pos), le32(bytes, pos + 4)) else {
            return Err(malformed(K, "a chunk that runs past the end of the file"));
        };
        let data = pos + 8;
        // Chunks are padded to an even size.
        let end = data as u64 + u64::from(size) + u64::from(size & 1);
        if end > length {
            return Err(malformed(K, "a chunk that runs past the end of the file"));
        }
        let end = end as usize;
        let payload = &bytes[data..data + size as usize];
        let first = pos == 12;
        match &kind {
            b"VP8X" if !first => return Err(malformed(K, "a misplaced extended header")),
            b"VP8X" if payload.len() < 10 => return Err(malformed(K, "a short extended header")),
            b"VP8 " if payload.len() < 10 || payload.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) => {
                return Err(malformed(K, "a lossy image without its frame header"));
            }
            b"VP8L" if payload.first() != Some(&0x2F) || payload.len() < 5 => {
                return Err(malformed(K, "a lossless image without its header"));
            }
            b"VP8X" => {}
            b"VP8 " | b"VP8L" | b"ANMF" => seen_data = true,
            _ if first => return Err(malformed(K, "it does not start with an image header")),
            _ => {}
        }
        visit(kind, &bytes[pos..end]);
        pos = end;
    }
    if !seen_data {
        return Err(malformed(K, "it has no image data"));
    }
    Ok(())
}

fn check_pdf(bytes: &[u8]) -> Result<(), AttachmentError> {
    signature(FileType::Pdf, bytes, PDF_SIGNATURE)?;
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(truncated(FileType::Pdf));
    }
    Ok(())
}
