import type { Message } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { describeMessage, linkify, type FileView, type MessageView } from "../messages/content";
import { kindLabel } from "../inbox/preview";
import { ImageWithLightbox } from "./ImageWithLightbox";
import { markPieces, type Range } from "../listings/logic";

/** A message's text with its links; `highlight` (UTF-16 units) is marked, to show where a listing was read. */
export function LinkedText({ text, highlight = null }: { text: string; highlight?: Range | null }) {
  const parts = linkify(text);
  const pieces = markPieces(
    parts.map((part) => part.text),
    highlight,
  );
  return (
    <p className="message-text">
      {parts.map((part, i) => {
        const inside = pieces[i]!.map((piece, j) => (piece.marked ? <mark key={j}>{piece.text}</mark> : piece.text));
        return "href" in part ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {inside}
          </a>
        ) : (
          <span key={i}>{inside}</span>
        );
      })}
    </p>
  );
}

/** A quoted message in a reply: its text, or what kind it is. */
export function QuotedText({ message }: { message: Message }) {
  const { t } = useI18n();
  const view = describeMessage(message);
  const text = "text" in view && typeof view.text === "string" ? view.text : "caption" in view && view.caption ? view.caption : kindLabel(message.kind ?? view.type, t);
  return <span className="quote-text">{text.length > 140 ? `${text.slice(0, 140)}…` : text}</span>;
}

function FileState({ file, children }: { file: FileView; children: (url: string) => React.ReactNode }) {
  const { t } = useI18n();
  if (file.state === "stored") return <>{children(file.url)}</>;
  if (file.state === "pending") return <p className="muted">{t("message.mediaPending")}</p>;
  if (file.state === "failed") return <p className="muted">{t("message.mediaFailed")}</p>;
  return null;
}

function formatSize(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What a message says, by its kind. */
export function MessageBody({ view, highlight = null }: { view: MessageView; highlight?: Range | null }) {
  const { t } = useI18n();
  switch (view.type) {
    case "text":
      return <LinkedText text={view.text} highlight={highlight} />;
    case "image":
      return (
        <>
          <FileState file={view.file}>
            {(url) => <ImageWithLightbox url={url} alt={view.caption ?? t("message.image")} />}
          </FileState>
          {view.caption && <LinkedText text={view.caption} highlight={highlight} />}
        </>
      );
    case "video":
      return (
        <>
          <FileState file={view.file}>
            {(url) => <video src={url} controls preload="metadata" className="message-video" aria-label={view.caption ?? t("kind.video")} />}
          </FileState>
          {view.caption && <LinkedText text={view.caption} highlight={highlight} />}
        </>
      );
    case "audio":
      return (
        <>
          <FileState file={view.file}>
            {(url) => <audio src={url} controls preload="metadata" aria-label={view.voice ? t("message.voice") : t("kind.audio")} />}
          </FileState>
          {view.transcript && (
            <blockquote className="transcript" aria-label={t("message.transcript")}>
              <LinkedText text={view.transcript} highlight={highlight} />
            </blockquote>
          )}
        </>
      );
    case "document":
      return (
        <>
          <FileState file={view.file}>
            {(url) => (
              <a href={url} download={view.filename} className="document-link">
                <span aria-hidden="true">📄 </span>
                {t("message.download", { name: view.filename })}
                {view.file.state === "stored" && view.file.size !== null && <span className="muted"> ({formatSize(view.file.size)})</span>}
              </a>
            )}
          </FileState>
          {view.caption && <LinkedText text={view.caption} highlight={highlight} />}
        </>
      );
    case "sticker":
      return (
        <FileState file={view.file}>
          {(url) => <img src={url} alt={t("message.sticker")} className="message-sticker" loading="lazy" />}
        </FileState>
      );
    case "location":
      return (
        <div className="location">
          <p>
            <span aria-hidden="true">📍 </span>
            {view.name ?? t("kind.location")}
          </p>
          {view.address && <p className="muted">{view.address}</p>}
          <p className="muted">
            {view.latitude.toFixed(5)}, {view.longitude.toFixed(5)}
          </p>
          <a href={view.mapUrl} target="_blank" rel="noopener noreferrer">
            {t("message.openMap")}
          </a>
        </div>
      );
    case "contacts":
      return (
        <ul className="contact-cards" aria-label={t("kind.contacts")}>
          {view.cards.map((card, i) => (
            <li key={i}>
              <strong>{card.name}</strong>
              {card.phones.map((phone) => (
                <a key={phone} href={`tel:${phone}`}>
                  {phone}
                </a>
              ))}
            </li>
          ))}
        </ul>
      );
    case "choice":
      return (
        <p className="choice">
          {t("message.tapped", { title: view.title })}
          {view.description && <span className="muted"> — {view.description}</span>}
        </p>
      );
    case "template":
      return (
        <div className="template">
          <p className="muted">{t("message.template", { name: view.name, language: view.language })}</p>
          {view.text && <LinkedText text={view.text} />}
        </div>
      );
    case "interactive":
      return (
        <div className="interactive">
          {view.header && <p className="interactive-header">{view.header}</p>}
          <LinkedText text={view.text} />
          {view.footer && <p className="muted">{view.footer}</p>}
          {view.buttons.length > 0 && (
            <ul className="interactive-buttons">
              {view.buttons.map((b) => (
                <li key={b}>{b}</li>
              ))}
            </ul>
          )}
        </div>
      );
    case "order":
      return (
        <div className="order">
          <p>
            <span aria-hidden="true">🛒 </span>
            {t("message.order", { count: view.items })}
          </p>
          {view.text && <LinkedText text={view.text} />}
        </div>
      );
    case "system":
      return <p className="system-notice">{view.text}</p>;
    case "deleted":
      return <p className="deleted">{t("message.deleted")}</p>;
    case "unsupported":
      return <p className="unsupported">{t("message.unsupported", { type: view.what })}</p>;
    case "unknown":
      return <p className="unsupported">{t("message.unknown", { kind: view.kind })}</p>;
  }
}
