//! The data folder holds citizens' personal data (the SQLite database) and the token-signing
//! secret, so what mardom creates there is readable by the service's own account only.

use std::path::Path;

/// Creates `folder` and its parents, new ones with mode 0700; existing folders are left as the
/// operator set them.
pub fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    if folder.as_os_str().is_empty() || folder.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Writes a new file readable by its owner only, creating its folder as above.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        create_private_dir(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, contents.as_bytes())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn new_folders_and_files_are_private() -> std::io::Result<()> {
        let root = std::env::temp_dir().join(format!("mardom-private-{}", std::process::id()));
        let file = root.join("a/b/secret");
        write_private(&file, "s")?;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode(&root.join("a/b"))?, 0o700);
        assert_eq!(mode(&file)?, 0o600);
        std::fs::remove_dir_all(&root)
    }
}
