import { useId, useRef, useState, type ReactNode } from "react";
import { useI18n, type Translate } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { ErrorNotice } from "../ErrorNotice";
import { conversationPath, followLink } from "../inbox/route";
import { currencySymbol, formatPrice, formatSize, hasMatches, listingKey, spanOf, watchName, type Field, type Listing, type Range } from "./logic";
import { useMatches } from "./queries";
import "./listings.css";

/** The badge's words for a message's type. */
export function typeLabel(type: string, t: Translate): string {
  return ["sale", "wanted", "question", "trade", "general"].includes(type) ? t(`listings.type.${type}` as MessageKey) : type;
}

export function conditionLabel(condition: string, t: Translate): string {
  return ["new", "unworn", "excellent", "very_good", "good", "used", "vintage"].includes(condition)
    ? t(`listings.condition.${condition}` as MessageKey)
    : condition;
}

/** "9 800 €", with "(€, inferred)" when the currency was not written, and "sold" or "negotiable". */
export function PriceText({ listing }: { listing: Listing }) {
  const { t, locale } = useI18n();
  if (listing.price == null) return null;
  const extras: string[] = [];
  if (listing.currency && listing.currency_implied) extras.push(t("listings.inferred", { symbol: currencySymbol(listing.currency, locale) }));
  if (listing.price_type && listing.price_type !== "asking" && ["sold", "negotiable"].includes(listing.price_type)) {
    extras.push(t(`listings.priceType.${listing.price_type}` as MessageKey));
  }
  return (
    <>
      {formatPrice(listing.price, listing.currency, locale)}
      {extras.length > 0 && ` (${extras.join(", ")})`}
    </>
  );
}

function yesNo(value: boolean | null | undefined, t: Translate): string | null {
  return value == null ? null : value ? t("listings.yes") : t("listings.no");
}

/**
 * What the extractor read in one message, one card per watch. Hovering or focusing a field tells the
 * message (`onHighlight`) which characters it was read from, so the agent sees why.
 */
export function ListingCards({ listings, text, onHighlight }: { listings: Listing[]; text: string; onHighlight: (range: Range | null) => void }) {
  return (
    <div className="listing-cards">
      {listings.map((listing) => (
        <ListingCard key={listingKey(listing)} listing={listing} text={text} onHighlight={onHighlight} />
      ))}
    </div>
  );
}

function ListingCard({ listing, text, onHighlight }: { listing: Listing; text: string; onHighlight: (range: Range | null) => void }) {
  const { t, locale } = useI18n();
  const what = watchName(listing) || typeLabel(listing.type, t);
  const field = (name: Field, label: MessageKey, value: ReactNode) => {
    if (value === null || value === undefined || value === "") return null;
    const range = spanOf(listing, name, text);
    const show = range ? () => onHighlight(range) : undefined;
    const hide = range ? () => onHighlight(null) : undefined;
    return (
      <div
        className={range ? "listing-field has-span" : "listing-field"}
        tabIndex={range ? 0 : undefined}
        onMouseEnter={show}
        onMouseLeave={hide}
        onFocus={show}
        onBlur={hide}
      >
        <dt>{t(label)}</dt>
        <dd>{value}</dd>
      </div>
    );
  };
  return (
    <section className="listing-card" aria-label={t("listings.cardOf", { what })}>
      <div className="listing-card-head">
        <span
          className={`listing-badge listing-${listing.type}`}
          tabIndex={spanOf(listing, "type", text) ? 0 : undefined}
          onMouseEnter={() => onHighlight(spanOf(listing, "type", text))}
          onMouseLeave={() => onHighlight(null)}
          onFocus={() => onHighlight(spanOf(listing, "type", text))}
          onBlur={() => onHighlight(null)}
        >
          {typeLabel(listing.type, t)}
        </span>
        {listing.method === "llm" && (
          <span className="listing-read-by" title={listing.read_by ?? undefined}>
            {t("listings.readByModel")}
          </span>
        )}
        {hasMatches(listing) && <MatchesButton listing={listing} />}
      </div>
      <dl className="listing-fields">
        {field("brand", "listings.brand", listing.brand)}
        {field("model", "listings.model", listing.model)}
        {field("reference", "listings.reference", listing.reference)}
        {field("price", "listings.price", listing.price != null ? <PriceText listing={listing} /> : null)}
        {field("condition", "listings.condition", listing.condition ? conditionLabel(listing.condition, t) : null)}
        {field("box", "listings.box", yesNo(listing.box, t))}
        {field("papers", "listings.papers", yesNo(listing.papers, t))}
        {field("year", "listings.year", listing.year != null ? String(listing.year) : null)}
        {field("size_mm", "listings.size", listing.size_mm != null ? formatSize(listing.size_mm, locale) : null)}
        {field("movement", "listings.movement", listing.movement)}
      </dl>
    </section>
  );
}

/** Opens what a request could buy, or the requests an offer answers, each linking to its conversation. */
export function MatchesButton({ listing }: { listing: Listing }) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [open, setOpen] = useState(false);
  const what = watchName(listing) || typeLabel(listing.type, t);
  return (
    <>
      <button
        type="button"
        className="listing-matches-button"
        aria-label={t("listings.matchesOf", { what })}
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        {t("listings.matches")}
      </button>
      <dialog ref={dialog} className="app-dialog listing-matches" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {open && (
          <>
            <h2 id={titleId}>{t("listings.matchesOf", { what })}</h2>
            <MatchList listing={listing} onLeave={() => dialog.current?.close()} />
            <div className="dialog-actions">
              <button type="button" onClick={() => dialog.current?.close()}>
                {t("listings.close")}
              </button>
            </div>
          </>
        )}
      </dialog>
    </>
  );
}

function MatchList({ listing, onLeave }: { listing: Listing; onLeave: () => void }) {
  const { t, locale } = useI18n();
  const matches = useMatches(listing.conversation_id, listing.message_id, listing.index, true);
  if (matches.isPending) return <p role="status">{t("loading")}</p>;
  if (matches.isError) return <ErrorNotice error={matches.error} onRetry={() => void matches.refetch()} />;
  const found = matches.data.matches;
  return (
    <>
      <p className="muted">{t(listing.type === "wanted" ? "listings.matchesFor.wanted" : "listings.matchesFor.offer")}</p>
      {found.length === 0 ? (
        <p>{t("listings.noMatches")}</p>
      ) : (
        <ul className="listing-match-list">
          {found.map((m) => {
            const path = conversationPath(m.conversation_id);
            return (
              <li key={listingKey(m)}>
                <span className={`listing-badge listing-${m.type}`}>{typeLabel(m.type, t)}</span>{" "}
                <strong>{watchName(m)}</strong>
                {m.reference && ` ${m.reference}`}
                {m.price != null && (
                  <>
                    {" · "}
                    <PriceText listing={m} />
                  </>
                )}
                {" · "}
                <time dateTime={m.written_at}>{new Date(m.written_at).toLocaleDateString(locale, { dateStyle: "medium" })}</time>{" "}
                <a
                  href={path}
                  onClick={(e) => {
                    onLeave();
                    followLink(e, path);
                  }}
                >
                  {t("listings.openConversation")}
                  <span className="visually-hidden">
                    {" "}
                    ({typeLabel(m.type, t)} {watchName(m)})
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
