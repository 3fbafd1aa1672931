//! Attachments (issue 16): which files a citizen or an officer may attach, how their type is
//! decided, when a file counts as whole, and how images lose their metadata before they are kept.
//!
//! A scanned ID card identifies a citizen as surely as a name, and a phone photo's EXIF carries
//! where it was taken (GPS), when, and the camera's serial number: images never keep metadata.
//! The rules, for that reason:
//! - the type is decided from the file's first bytes only ([`sniff`]), never from its name or the
//!   type the client declared, both of which the client chooses;
//! - a file is kept only whole ([`check_complete`]): an upload cut short must not be stored as if
//!   it were the citizen's document;
//! - an image is kept only as [`strip_metadata`] rewrote it; a PDF is kept as sent (its metadata
//!   is *not* removed, see [`strip_metadata`]);
//! - how many files, how large, and which types are allowed is one pure decision
//!   ([`AttachmentLimits::admit`]), made as the bytes arrive.
//!
//! Pure code: no I/O, no HTTP, no SQL. The container walks are written here rather than taken
//! from a crate: the completeness check needs a walk of the whole file anyway, and img-parts, the
//! crate that rewrites these containers, stops parsing a JPEG at its first scan and keeps the rest
//! verbatim (metadata between the scans of a progressive JPEG, and the images with their own EXIF
//! that phones append after EOI), and would bring itself and miniz_oxide into the build.

mod access;
mod name;
mod sniff;
mod strip;
#[cfg(test)]
mod tests;

use std::fmt;

pub use access::{FileReader, Filed, ReleaseRefusal, may_read, may_release, shown_name};
pub use name::file_name;
pub use sniff::{SNIFF_LEN, check_complete, sniff};
pub use strip::strip_metadata;

/// The types of file that may be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl FileType {
    pub const ALL: [FileType; 4] = [FileType::Jpeg, FileType::Png, FileType::Webp, FileType::Pdf];

    /// The media type the file is served with.
    pub fn mime(&self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    /// The label in configuration and storage; never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }

    /// Reads a label of a configuration list: [`FileType::as_str`]'s, in any case and with
    /// surrounding spaces, and `jpg`, which people write as often as `jpeg`.
    pub fn parse(label: &str) -> Option<Self> {
        let label = label.trim();
        if label.eq_ignore_ascii_case("jpg") {
            return Some(FileType::Jpeg);
        }
        FileType::ALL
            .into_iter()
            .find(|kind| label.eq_ignore_ascii_case(kind.as_str()))
    }

    /// Whether the file is an image, whose metadata [`strip_metadata`] removes.
    pub fn is_image(&self) -> bool {
        !matches!(self, FileType::Pdf)
    }

    /// The name people know the type by, in messages.
    pub fn name(&self) -> &'static str {
        match self {
            FileType::Jpeg => "JPEG",
            FileType::Png => "PNG",
            FileType::Webp => "WebP",
            FileType::Pdf => "PDF",
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file is not accepted. The messages go to the client as they are: they name the type and
/// a fixed reason, never a byte of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// The first bytes are none of the accepted types'.
    #[error("the file is not a JPEG, PNG, WebP or PDF file")]
    UnsupportedType,
    /// The file ends before its structure does: most often an upload cut short.
    #[error("the {kind} file is incomplete; it may have been cut short while uploading")]
    Truncated { kind: FileType },
    /// The file is as long as it says but its structure is not that of its type.
    #[error("the {kind} file is damaged: {why}")]
    Malformed { kind: FileType, why: &'static str },
}

/// Decides the type from the first bytes and checks that the file is whole: what a store calls
/// once the whole upload is in.
pub fn identify(bytes: &[u8]) -> Result<FileType, AttachmentError> {
    let kind = sniff(bytes).ok_or(AttachmentError::UnsupportedType)?;
    check_complete(kind, bytes)?;
    Ok(kind)
}

const MIB: u64 = 1024 * 1024;

/// How many attachments, how large, and of which types one request may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLimits {
    pub max_files_per_request: u32,
    pub max_bytes_per_file: u64,
    pub max_total_bytes: u64,
    pub allowed: Vec<FileType>,
}

impl Default for AttachmentLimits {
    /// 5 files, 10 MiB each and 25 MiB together: a few phone photos or scanned pages, the size
    /// of what citizens attach, while a request stays small enough to hold in memory.
    fn default() -> Self {
        AttachmentLimits {
            max_files_per_request: 5,
            max_bytes_per_file: 10 * MIB,
            max_total_bytes: 25 * MIB,
            allowed: FileType::ALL.to_vec(),
        }
    }
}

/// Why [`AttachmentLimits::admit`] refused a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    #[error("{kind} files are not accepted")]
    TypeNotAllowed { kind: FileType },
    #[error("at most {max} files can be attached")]
    TooManyFiles { max: u32 },
    #[error("a file can be at most {}", size_label(*max_bytes))]
    FileTooLarge { max_bytes: u64 },
    #[error("the files together can be at most {}", size_label(*max_bytes))]
    TotalTooLarge { max_bytes: u64 },
}

impl AttachmentLimits {
    /// Decides whether one more file fits, given the files (`already_files`) and bytes
    /// (`already_bytes`) of the request admitted before it. `this_file` may be the bytes received
    /// so far: an upload is checked as it streams, once its first bytes have been sniffed, so that
    /// an oversized one is refused before it is all read, and again with its full size.
    pub fn admit(
        &self,
        already_files: u32,
        already_bytes: u64,
        this_file: u64,
        kind: FileType,
    ) -> Result<(), LimitRefusal> {
        if !self.allowed.contains(&kind) {
            return Err(LimitRefusal::TypeNotAllowed { kind });
        }
        // Saturating: counts a client sent must not wrap into admission.
        if already_files.saturating_add(1) > self.max_files_per_request {
            return Err(LimitRefusal::TooManyFiles {
                max: self.max_files_per_request,
            });
        }
        if this_file > self.max_bytes_per_file {
            return Err(LimitRefusal::FileTooLarge {
                max_bytes: self.max_bytes_per_file,
            });
        }
        if already_bytes.saturating_add(this_file) > self.max_total_bytes {
            return Err(LimitRefusal::TotalTooLarge {
                max_bytes: self.max_total_bytes,
            });
        }
        Ok(())
    }
}

impl AttachmentLimits {
    /// Whether a request's files, all of them together, are within the limits: what attaching
    /// checks once the files are on the request, in its transaction.
    pub fn fits(&self, files: u64, total_bytes: u64) -> Result<(), LimitRefusal> {
        if files > u64::from(self.max_files_per_request) {
            return Err(LimitRefusal::TooManyFiles {
                max: self.max_files_per_request,
            });
        }
        if total_bytes > self.max_total_bytes {
            return Err(LimitRefusal::TotalTooLarge {
                max_bytes: self.max_total_bytes,
            });
        }
        Ok(())
    }
}

/// A size as people read it: whole MB or KB where it is one (the limits usually are).
fn size_label(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}
