//! Rewriting images without their metadata. Each container is walked once, by the same walk that
//! decides it is whole, and the output keeps what is needed to show the image as it was, copied
//! byte for byte, and nothing else. What is kept is listed (rather than what is dropped), so that a
//! kind of metadata this code has never heard of is dropped too; the one exception is JPEG's
//! segments outside APPn and COM, which are all image coding.

use super::sniff::{self, marker};
use super::{AttachmentError, FileType};

/// Returns the file without its metadata, or why it is not a whole file of type `kind` (the
/// checks of [`super::check_complete`]); the output passes those checks too.
///
/// - JPEG: drops EXIF (GPS position, dates, camera and lens serial numbers, the thumbnail of the
///   uncropped picture), XMP, IPTC and Photoshop resources (APP13), comments (COM), every other
///   APPn segment, wherever it stands, and anything after EOI (where phones append more images
///   with their own EXIF). Kept: the JFIF header (APP0) without its thumbnail, the ICC colour
///   profile (APP2 `ICC_PROFILE`), the fixed 12-byte Adobe header (APP14), which says how CMYK
///   and YCCK scans are coded and carries nothing else, and every table, frame and scan.
/// - PNG: keeps the critical chunks (IHDR, PLTE, IDAT, IEND) and those that change how the image
///   looks: colour (cHRM, gAMA, iCCP, sBIT, sRGB, cICP, mDCV, cLLI), transparency (tRNS),
///   background (bKGD), pixel size (pHYs), palette notes (hIST, sPLT) and animation (acTL, fcTL,
///   fdAT). Drops every other chunk: tEXt, zTXt, iTXt (where XMP goes), eXIf, tIME, and private
///   ones. Bytes after IEND are dropped.
/// - WebP: keeps VP8X, ICCP, ANIM, ANMF, ALPH, VP8 and VP8L; drops EXIF, XMP and any other chunk,
///   clears VP8X's EXIF and XMP flags, and writes the RIFF size anew.
/// - PDF: returned unchanged. **Its metadata is not removed**: the document information dictionary
///   (author, creator tool, dates) and XMP streams stay, as does everything else in it; removing
///   them needs a PDF parser and rewriter, which this module does not have.
pub fn strip_metadata(kind: FileType, bytes: Vec<u8>) -> Result<Vec<u8>, AttachmentError> {
    match kind {
        FileType::Jpeg => strip_jpeg(&bytes),
        FileType::Png => strip_png(&bytes),
        FileType::Webp => strip_webp(&bytes),
        FileType::Pdf => {
            sniff::check_complete(kind, &bytes)?;
            Ok(bytes)
        }
    }
}

const JFIF: &[u8] = b"JFIF\0";
/// The JFIF header before its thumbnail: identifier, version, units, densities, thumbnail size.
const JFIF_HEADER: usize = 14;
const ICC_PROFILE: &[u8] = b"ICC_PROFILE\0";
const ADOBE: &[u8] = b"Adobe";
const ADOBE_LENGTH: usize = 12;

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, marker::SOI]);
    sniff::walk_jpeg(bytes, |code, segment| {
        // An APPn or COM segment: marker (2 bytes), length (2), then this.
        let payload = segment.get(4..).unwrap_or_default();
        match code {
            marker::APP0 if payload.starts_with(JFIF) && payload.len() >= JFIF_HEADER => {
                // A thumbnail is a copy of the picture, maybe from before it was cropped.
                out.extend_from_slice(&[0xFF, marker::APP0, 0, JFIF_HEADER as u8 + 2]);
                out.extend_from_slice(&payload[..JFIF_HEADER - 2]);
                out.extend_from_slice(&[0, 0]);
            }
            marker::APP2 if payload.starts_with(ICC_PROFILE) => out.extend_from_slice(segment),
            marker::APP14 if payload.starts_with(ADOBE) && payload.len() == ADOBE_LENGTH => {
                out.extend_from_slice(segment);
            }
            0xE0..=0xEF | marker::COM => {}
            _ => out.extend_from_slice(segment),
        }
    })?;
    out.extend_from_slice(&[0xFF, marker::EOI]);
    Ok(out)
}

const PNG_KEPT: [&[u8; 4]; 16] = [
    b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI", b"tRNS", b"bKGD",
    b"pHYs", b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..8).unwrap_or_default());
    sniff::walk_png(bytes, |kind, chunk| {
        // Critical chunks (upper-case first letter) are the image; a decoder refuses one it does
        // not know, so none is dropped.
        if kind[0].is_ascii_uppercase() || PNG_KEPT.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
    })?;
    Ok(out)
}

const WEBP_KEPT: [&[u8; 4]; 7] = [
    b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L",
];
/// VP8X's flags: ICC, alpha, EXIF, XMP, animation, from the high bits down.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let mut out = Vec::with_capacity(bytes.len());
    // The size, 4 bytes after RIFF, is written once the chunks are in.
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    sniff::walk_webp(bytes, |kind, chunk| {
        if !WEBP_KEPT.contains(&&kind) {
            return;
        }
        let start = out.len();
        out.extend_from_slice(chunk);
        if &kind == b"VP8X" {
            // The flags byte, after the FourCC and the size.
            if let Some(flags) = out.get_mut(start + 8) {
                *flags &= !(VP8X_EXIF | VP8X_XMP);
            }
        }
    })?;
    // Smaller than the input, whose size fitted in 32 bits.
    let size = u32::try_from(out.len() - 8).map_err(|_| AttachmentError::Malformed {
        kind: FileType::Webp,
        why: "it is too large",
    })?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Ok(out)
}
