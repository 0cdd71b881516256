//! What WhatsApp accepts in a message, published so the browser app checks a file or a list before the
//! user sends it, with the same rules the server applies ([`actors::graph::limits`]).

use super::auth::ApiAuth;
use super::Tag;
use actors::graph::limits as meta;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct LimitsApi;

/// Meta's limits on messages. Lengths count characters (Unicode code points), as Meta does.
#[derive(Debug, Clone, Object)]
pub struct Limits {
    /// The files each media kind takes, in the order a file's type is matched.
    pub media: Vec<MediaLimit>,
    /// Longest text message.
    pub text: u32,
    /// Longest caption of an image, video or document.
    pub caption: u32,
    /// Longest document file name.
    pub filename: u32,
    pub interactive: InteractiveLimits,
}

#[derive(Debug, Clone, Object)]
pub struct MediaLimit {
    /// `image`, `sticker`, `audio`, `video` or `document`.
    pub kind: String,
    /// MIME types, without parameters.
    pub types: Vec<String>,
    pub max_bytes: u64,
}

/// Reply buttons, lists and link buttons.
#[derive(Debug, Clone, Object)]
pub struct InteractiveLimits {
    pub header: u32,
    pub body: u32,
    pub footer: u32,
    /// How many reply buttons a message holds.
    pub buttons: u32,
    pub button_title: u32,
    pub button_id: u32,
    /// The text of the button that opens a list.
    pub list_button: u32,
    pub list_sections: u32,
    /// Rows of a list, in all its sections.
    pub list_rows: u32,
    /// A section's title, required when a list has several.
    pub list_section_title: u32,
    pub list_row_title: u32,
    pub list_row_description: u32,
    pub list_row_id: u32,
    /// The text of a link button.
    pub cta_display_text: u32,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Conversations")]
impl LimitsApi {
    /// What WhatsApp accepts in a message: file types and sizes per kind, and the lengths and counts of
    /// texts, buttons and lists. Sending checks the same rules (422, 413 or 415 otherwise).
    #[oai(path = "/limits", method = "get", operation_id = "messageLimits")]
    async fn limits(&self, ApiAuth(_caller): ApiAuth) -> Json<Limits> {
        Json(limits())
    }
}

fn limits() -> Limits {
    let n = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
    Limits {
        media: meta::MEDIA
            .iter()
            .map(|m| MediaLimit {
                kind: m.kind.to_owned(),
                types: m.types.iter().map(|t| (*t).to_owned()).collect(),
                max_bytes: m.max_bytes,
            })
            .collect(),
        text: n(meta::TEXT),
        caption: n(meta::CAPTION),
        filename: n(meta::FILENAME),
        interactive: InteractiveLimits {
            header: n(meta::INTERACTIVE_HEADER),
            body: n(meta::INTERACTIVE_BODY),
            footer: n(meta::INTERACTIVE_FOOTER),
            buttons: n(meta::BUTTONS),
            button_title: n(meta::BUTTON_TITLE),
            button_id: n(meta::BUTTON_ID),
            list_button: n(meta::LIST_BUTTON),
            list_sections: n(meta::LIST_SECTIONS),
            list_rows: n(meta::LIST_ROWS),
            list_section_title: n(meta::LIST_SECTION_TITLE),
            list_row_title: n(meta::LIST_ROW_TITLE),
            list_row_description: n(meta::LIST_ROW_DESCRIPTION),
            list_row_id: n(meta::LIST_ROW_ID),
            cta_display_text: n(meta::CTA_DISPLAY_TEXT),
        },
    }
}
