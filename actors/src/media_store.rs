//! Files of media messages, kept on local disk by their SHA-256: inbound media fetched from Meta (whose
//! links expire), and files agents upload to send. The same content is stored once.
//!
//! Layout: `{root}/{first two hex digits}/{sha256}` holds the bytes, `{sha256}.json` beside it the MIME
//! type, size and file name. Files are written to a temporary name and renamed, so a reader never sees
//! half a file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A stored file's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMedia {
    /// The file's id in the inbox: its SHA-256 in lower-case hex.
    pub id: String,
    pub mime_type: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `id` can name a stored file (64 hex digits); anything else never reaches the file system.
    pub fn is_id(id: &str) -> bool {
        id.len() == 64
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    fn paths(&self, id: &str) -> (PathBuf, PathBuf) {
        let dir = self.root.join(&id[..2]);
        (dir.join(id), dir.join(format!("{id}.json")))
    }

    /// Stores the bytes (once per content) and returns their description.
    pub async fn put(
        &self,
        bytes: &[u8],
        mime_type: &str,
        filename: Option<&str>,
    ) -> std::io::Result<StoredMedia> {
        let id = hex(&Sha256::digest(bytes));
        let media = StoredMedia {
            id: id.clone(),
            mime_type: mime_type.to_owned(),
            size: bytes.len() as u64,
            filename: filename.map(str::to_owned),
        };
        let (data, meta) = self.paths(&id);
        if let Some(dir) = data.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::metadata(&data).await.is_err() {
            write_atomically(&data, bytes).await?;
        }
        let description = serde_json::to_vec(&media).map_err(std::io::Error::other)?;
        write_atomically(&meta, &description).await?;
        Ok(media)
    }

    /// The description of a stored file, or `None`.
    pub async fn describe(&self, id: &str) -> std::io::Result<Option<StoredMedia>> {
        if !Self::is_id(id) {
            return Ok(None);
        }
        let (data, meta) = self.paths(id);
        match tokio::fs::read(&meta).await {
            Ok(bytes) if tokio::fs::metadata(&data).await.is_ok() => Ok(Some(
                serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
            )),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens a stored file for reading.
    pub async fn open(&self, id: &str) -> std::io::Result<Option<(StoredMedia, tokio::fs::File)>> {
        let Some(media) = self.describe(id).await? else {
            return Ok(None);
        };
        let file = tokio::fs::File::open(self.paths(id).0).await?;
        Ok(Some((media, file)))
    }

    /// Reads a stored file whole.
    pub async fn read(&self, id: &str) -> std::io::Result<Option<(StoredMedia, Vec<u8>)>> {
        let Some(media) = self.describe(id).await? else {
            return Ok(None);
        };
        let bytes = tokio::fs::read(self.paths(id).0).await?;
        Ok(Some((media, bytes)))
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&temporary, bytes).await?;
    match tokio::fs::rename(&temporary, path).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = tokio::fs::remove_file(&temporary).await;
            Err(e)
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_once_by_content_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("media-{}", uuid::Uuid::new_v4().simple()));
        let store = MediaStore::new(&dir);
        let a = store.put(b"jpeg bytes", "image/jpeg", None).await.unwrap();
        let b = store
            .put(b"jpeg bytes", "image/jpeg", Some("a.jpg"))
            .await
            .unwrap();
        assert_eq!(a.id, b.id);
        // `printf 'jpeg bytes' | sha256sum`
        assert_eq!(
            a.id,
            "1b48e21282963dfba2ffff3a4c331471242fe42fd0a51161e56df72085c445c9"
        );
        let (media, bytes) = store.read(&a.id).await.unwrap().unwrap();
        assert_eq!(bytes, b"jpeg bytes");
        assert_eq!(media.size, 10);
        assert_eq!(media.filename.as_deref(), Some("a.jpg"));
        assert!(store.read("../../etc/passwd").await.unwrap().is_none());
        assert!(store.read(&"0".repeat(64)).await.unwrap().is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
