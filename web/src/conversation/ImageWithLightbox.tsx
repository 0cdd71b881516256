import { useRef } from "react";
import { useI18n } from "../i18n/i18n";

/** A picture in a message; a click (or Enter) shows it whole in a dialog that Escape closes. */
export function ImageWithLightbox({ url, alt }: { url: string; alt: string }) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" className="image-button" onClick={() => dialog.current?.showModal()} aria-label={t("message.enlarge", { what: alt })}>
        <img src={url} alt={alt} loading="lazy" className="message-image" />
      </button>
      <dialog ref={dialog} className="lightbox" aria-label={alt} onClick={(e) => e.target === dialog.current && dialog.current?.close()}>
        <img src={url} alt={alt} />
        <div className="dialog-actions">
          <a href={url} target="_blank" rel="noopener noreferrer">
            {t("message.openOriginal")}
          </a>
          <button type="button" onClick={() => dialog.current?.close()}>
            {t("message.close")}
          </button>
        </div>
      </dialog>
    </>
  );
}
