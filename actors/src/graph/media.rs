//! Media on Meta's side: upload, look up (a download URL valid for five minutes), download (the URL needs
//! the token too), delete; and Meta's size and type limits, checked before anything is uploaded.

use super::client::{is_not_found, AccessToken, CallError, GraphClient, Success};
use futures::StreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// The largest file a media message of `kind` may carry when the file is of type `mime`, or why WhatsApp
/// would refuse it ([`super::limits::MEDIA`]).
pub fn limit_for(kind: &str, mime: &str) -> Result<u64, String> {
    let Some(limit) = super::limits::MEDIA.iter().find(|l| l.kind == kind) else {
        return Err(format!("{kind} messages carry no media"));
    };
    let (types, max) = (limit.types, limit.max_bytes);
    let essence = mime.split(';').next().unwrap_or("").trim();
    if types.contains(&essence) {
        Ok(max)
    } else {
        Err(format!(
            "{kind} messages accept {}; this file is {essence}",
            types.join(", ")
        ))
    }
}

/// The largest file any message kind accepts: uploads above it are refused outright.
pub const MAX_MEDIA_BYTES: u64 = super::limits::largest_file();

/// Answer of `GET /{media-id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub id: String,
    /// Valid for five minutes, and only with the token.
    pub url: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    /// Meta sends it as a string.
    #[serde(default, deserialize_with = "number_or_string")]
    pub file_size: Option<u64>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

#[derive(Deserialize)]
struct Uploaded {
    id: String,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: Vec<u8>,
    pub mime_type: Option<String>,
}

impl GraphClient {
    /// `POST /{phone-number-id}/media` (multipart); returns Meta's media id (valid 30 days).
    pub async fn upload_media(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, CallError> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(mime_type)
            .map_err(|_| CallError::Refused {
                message: format!("{mime_type:?} is not a MIME type"),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let request = self
            .request(Method::POST, &format!("{phone_number_id}/media"), token)
            .multipart(form);
        let uploaded: Uploaded = self.call(request).await?;
        Ok(uploaded.id)
    }

    /// `GET /{media-id}`: where to download it from, for the next five minutes.
    pub async fn media_info(
        &self,
        token: &AccessToken,
        media_id: &str,
    ) -> Result<MediaInfo, CallError> {
        self.call(self.request(Method::GET, media_id, token)).await
    }

    /// Downloads from a URL given by [`GraphClient::media_info`], refusing more than `max_bytes`.
    pub async fn download_media(
        &self,
        token: &AccessToken,
        url: &str,
        max_bytes: u64,
    ) -> Result<Downloaded, CallError> {
        let response = self
            .send(self.request_absolute(Method::GET, url, token))
            .await?;
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(CallError::Refused {
                message: format!("the file is larger than {max_bytes} bytes"),
            });
        }
        let mime_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| self.failure(&e))?;
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(CallError::Refused {
                    message: format!("the file is larger than {max_bytes} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Downloaded { bytes, mime_type })
    }

    /// Looks a media id up and downloads it; when the URL has already expired (404), looks it up once more.
    pub async fn fetch_media(
        &self,
        token: &AccessToken,
        media_id: &str,
        max_bytes: u64,
    ) -> Result<(MediaInfo, Downloaded), CallError> {
        let info = self.media_info(token, media_id).await?;
        match self.download_media(token, &info.url, max_bytes).await {
            Err(e) if is_not_found(&e) => {
                let info = self.media_info(token, media_id).await?;
                let file = self.download_media(token, &info.url, max_bytes).await?;
                Ok((info, file))
            }
            other => other.map(|file| (info, file)),
        }
    }

    /// `DELETE /{media-id}`.
    pub async fn delete_media(
        &self,
        token: &AccessToken,
        media_id: &str,
    ) -> Result<Success, CallError> {
        self.call(self.request(Method::DELETE, media_id, token))
            .await
    }
}
