//! Media files: uploaded by agents to send, or fetched from Meta when customers send them. Browsers never
//! get Meta's links (they expire and need the token); they get the file from here.

use super::auth::{ApiAuth, Caller, Permission};
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::graph::limits::MEDIA;
use actors::graph::media::{limit_for, MAX_MEDIA_BYTES};
use actors::media_store::{MediaStore, StoredMedia};
use poem::web::Data;
use poem::Body;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, Object, OpenApi};
use projections::uploads;
use std::sync::Arc;

pub struct MediaApi;

#[derive(Debug, Multipart)]
pub struct MediaUpload {
    /// The file, with its MIME type as the part's content type.
    pub file: Upload,
}

/// A file in the inbox's media store.
#[derive(Debug, Clone, Object)]
pub struct Media {
    /// Use it as `media_id` in a media message; also the file's SHA-256.
    pub id: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub filename: Option<String>,
}

impl From<StoredMedia> for Media {
    fn from(m: StoredMedia) -> Self {
        Media {
            sha256: m.id.clone(),
            id: m.id,
            mime_type: m.mime_type,
            size: m.size,
            filename: m.filename,
        }
    }
}

#[derive(ApiResponse)]
pub enum Uploaded {
    #[oai(status = 201)]
    Created(Json<Media>),
}

#[derive(ApiResponse)]
pub enum Download {
    /// The file. Images, audio and video of the types WhatsApp carries come with their MIME type, to show
    /// inline; anything else is `application/octet-stream`, an attachment. Never sniffed, never run.
    #[oai(status = 200)]
    File(
        Binary<Body>,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "X-Content-Type-Options")] String,
        #[oai(header = "Content-Security-Policy")] String,
    ),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Media")]
impl MediaApi {
    /// Upload a file to send in a media message.
    ///
    /// The file's type must be one Meta accepts for some message kind (JPEG, PNG, WebP, MP4, 3GPP, AAC,
    /// AMR, MP3, M4A, OGG, PDF, text, office documents) and at most 100 MB; 415 and 413 say otherwise,
    /// before anything reaches Meta. Whether it fits the kind it is sent as (5 MB for images, ...) is
    /// checked when it is sent.
    #[oai(path = "/media", method = "post", operation_id = "uploadMedia")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        upload: MediaUpload,
    ) -> Result<Uploaded, ApiError> {
        let file = upload.file;
        let mime = file
            .content_type()
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unsupported_type("the file part needs a Content-Type (its MIME type)")
            })?;
        if !MEDIA.iter().any(|kind| kind.types.contains(&mime.as_str())) {
            return Err(ApiError::unsupported_type(format!(
                "WhatsApp does not accept {mime} files"
            )));
        }
        if file.size() as u64 > MAX_MEDIA_BYTES {
            return Err(ApiError::too_large(format!(
                "WhatsApp accepts files up to {MAX_MEDIA_BYTES} bytes; this one has {}",
                file.size()
            )));
        }
        let filename = file.file_name().map(sanitize_filename);
        let bytes = file
            .into_vec()
            .await
            .map_err(|e| ApiError::bad_request("invalid_upload", e.to_string()))?;
        let stored = state
            .media
            .put(&bytes, &mime, filename.as_deref())
            .await
            .map_err(|e| ApiError::dependency_failed("its media store", e))?;
        uploads::record_upload(&state.pool, &stored.id, &caller.user_id).await?;
        Ok(Uploaded::Created(Json(stored.into())))
    }

    /// Download a file: one an agent uploaded, or one a customer sent (fetched from Meta when it arrived).
    #[oai(path = "/media/:id", method = "get", operation_id = "getMedia")]
    async fn download(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Download, ApiError> {
        if !visible(&state, &caller, &id.0).await? {
            return Err(ApiError::not_found("media", &id.0));
        }
        let (media, file) = state
            .media
            .open(&id.0)
            .await
            .map_err(|e| ApiError::dependency_failed("its media store", e))?
            .ok_or_else(|| ApiError::not_found("media", &id.0))?;
        let (content_type, disposition) = presentation(&media);
        Ok(Download::File(
            Binary(Body::from_async_read(file)),
            content_type,
            disposition,
            "nosniff".to_owned(),
            // Should a browser render it anyway, it runs nothing and has no origin.
            "sandbox".to_owned(),
        ))
    }

    /// Describe a file.
    #[oai(
        path = "/media/:id/info",
        method = "get",
        operation_id = "describeMedia"
    )]
    async fn describe(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Media>, ApiError> {
        if !visible(&state, &caller, &id.0).await? {
            return Err(ApiError::not_found("media", &id.0));
        }
        let media = state
            .media
            .describe(&id.0)
            .await
            .map_err(|e| ApiError::dependency_failed("its media store", e))?
            .ok_or_else(|| ApiError::not_found("media", &id.0))?;
        Ok(Json(media.into()))
    }
}

/// Whether the caller may see a stored file: they uploaded it, or a message on an account where they may
/// read messages uses it. Decided in one query, so files of other accounts are never opened.
pub async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<bool, ApiError> {
    if !MediaStore::is_id(id) {
        return Ok(false);
    }
    let scope = caller.accounts_for(Permission::MessagesView);
    Ok(uploads::visible(&state.pool, id, &caller.user_id, &scope).await?)
}

/// Message kinds whose files a browser may show inline: their types (Meta's list) are pictures and
/// sounds a browser displays or plays, never runs.
const INLINE_KINDS: [&str; 4] = ["image", "sticker", "audio", "video"];

/// How a stored file is served: its type and `Content-Disposition`. A customer's file is untrusted: an
/// HTML or SVG "document" served as such would run its script with the inbox's origin, so everything but
/// inline pictures and sounds is an opaque attachment.
fn presentation(media: &StoredMedia) -> (String, String) {
    let essence = media
        .mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let inline = INLINE_KINDS
        .iter()
        .any(|kind| limit_for(kind, &essence).is_ok());
    let (content_type, disposition) = match inline {
        true => (essence, "inline"),
        false => ("application/octet-stream".to_owned(), "attachment"),
    };
    let disposition = match &media.filename {
        Some(name) if !name.is_empty() => format!(
            "{disposition}; filename=\"{}\"; filename*=UTF-8''{}",
            ascii_filename(name),
            percent_encode(name)
        ),
        _ => disposition.to_owned(),
    };
    (content_type, disposition)
}

/// The name for clients that read only `filename`: printable ASCII, without quotes or backslashes.
fn ascii_filename(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect()
}

/// RFC 8187's encoding of `filename*`: bytes outside its `attr-char` set as `%XX`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Keeps the last path component, without control characters, at most 200 characters.
fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(mime_type: &str, filename: Option<&str>) -> StoredMedia {
        StoredMedia {
            id: "0".repeat(64),
            mime_type: mime_type.to_owned(),
            size: 1,
            filename: filename.map(str::to_owned),
        }
    }

    #[test]
    fn only_pictures_and_sounds_whatsapp_carries_are_served_inline() {
        for mime in [
            "image/jpeg",
            "image/png",
            "image/webp",
            "audio/ogg",
            "video/mp4",
        ] {
            let (content_type, disposition) = presentation(&stored(mime, None));
            assert_eq!(
                (content_type.as_str(), disposition.as_str()),
                (mime, "inline")
            );
        }
        for mime in [
            "text/html",
            "image/svg+xml",
            "application/pdf",
            "text/plain",
            "application/xhtml+xml",
            "",
        ] {
            let (content_type, disposition) = presentation(&stored(mime, None));
            assert_eq!(content_type, "application/octet-stream", "{mime}");
            assert_eq!(disposition, "attachment", "{mime}");
        }
    }

    #[test]
    fn a_filename_cannot_break_out_of_its_header() {
        let (_, disposition) = presentation(&stored(
            "text/html",
            Some("évil\"; filename=x.html\r\n.html"),
        ));
        assert_eq!(
            disposition,
            "attachment; filename=\"_vil_; filename=x.html__.html\"; \
             filename*=UTF-8''%C3%A9vil%22%3B%20filename%3Dx.html%0D%0A.html"
        );
        assert!(poem::http::HeaderValue::from_str(&disposition).is_ok());
    }
}
