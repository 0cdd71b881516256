import type { Limits } from "../api/client";

const MB = 1024 * 1024;

/** Limits as `GET /api/v1/limits` answers them (the server's own test checks it enforces them). */
export const limits: Limits = {
  media: [
    { kind: "image", types: ["image/jpeg", "image/png"], max_bytes: 5 * MB },
    { kind: "sticker", types: ["image/webp"], max_bytes: 500 * 1024 },
    { kind: "audio", types: ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"], max_bytes: 16 * MB },
    { kind: "video", types: ["video/mp4", "video/3gpp"], max_bytes: 16 * MB },
    { kind: "document", types: ["text/plain", "application/pdf"], max_bytes: 100 * MB },
  ],
  text: 4096,
  caption: 1024,
  filename: 240,
  interactive: {
    header: 60,
    body: 1024,
    footer: 60,
    buttons: 3,
    button_title: 20,
    button_id: 256,
    list_button: 20,
    list_sections: 10,
    list_rows: 10,
    list_section_title: 24,
    list_row_title: 24,
    list_row_description: 72,
    list_row_id: 200,
    cta_display_text: 20,
  },
};
