//! What Meta accepts in a message: file types and sizes per media kind, and the lengths and counts of
//! texts, buttons and lists (`WHATSAPP_CLOUD_API.md` §2). The one copy of these rules: the server checks
//! messages against it before queueing them, and publishes it (`GET /api/v1/limits`) so the browser app
//! checks the same rules before a user sends.

const MB: u64 = 1024 * 1024;

/// The files one media kind takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimit {
    /// The message kind (`image`, `sticker`, `audio`, `video`, `document`).
    pub kind: &'static str,
    /// MIME types, without parameters.
    pub types: &'static [&'static str],
    pub max_bytes: u64,
}

/// Every media kind, in the order a file's type is matched (a WebP image goes as a sticker).
pub const MEDIA: [MediaLimit; 5] = [
    MediaLimit {
        kind: "image",
        types: &["image/jpeg", "image/png"],
        max_bytes: 5 * MB,
    },
    MediaLimit {
        kind: "sticker",
        types: &["image/webp"],
        max_bytes: 500 * 1024,
    },
    MediaLimit {
        kind: "audio",
        types: &[
            "audio/aac",
            "audio/amr",
            "audio/mpeg",
            "audio/mp4",
            "audio/ogg",
        ],
        max_bytes: 16 * MB,
    },
    MediaLimit {
        kind: "video",
        types: &["video/mp4", "video/3gpp"],
        max_bytes: 16 * MB,
    },
    MediaLimit {
        kind: "document",
        types: &[
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
        max_bytes: 100 * MB,
    },
];

/// The largest file of any kind.
pub const fn largest_file() -> u64 {
    let mut largest = 0;
    let mut i = 0;
    while i < MEDIA.len() {
        if MEDIA[i].max_bytes > largest {
            largest = MEDIA[i].max_bytes;
        }
        i += 1;
    }
    largest
}

/// Longest text message, in characters.
pub const TEXT: usize = 4096;
/// Longest media caption, in characters.
pub const CAPTION: usize = 1024;
/// Longest document file name, in characters.
pub const FILENAME: usize = 240;

/// Texts of buttons, lists and link-button messages, in characters.
pub const INTERACTIVE_HEADER: usize = 60;
pub const INTERACTIVE_BODY: usize = 1024;
pub const INTERACTIVE_FOOTER: usize = 60;

/// Reply buttons: how many, and their texts.
pub const BUTTONS: usize = 3;
pub const BUTTON_TITLE: usize = 20;
pub const BUTTON_ID: usize = 256;

/// Lists: the button that opens them, and how many sections and rows in all.
pub const LIST_BUTTON: usize = 20;
pub const LIST_SECTIONS: usize = 10;
pub const LIST_ROWS: usize = 10;
pub const LIST_SECTION_TITLE: usize = 24;
pub const LIST_ROW_TITLE: usize = 24;
pub const LIST_ROW_DESCRIPTION: usize = 72;
pub const LIST_ROW_ID: usize = 200;

/// The text of a link button.
pub const CTA_DISPLAY_TEXT: usize = 20;
