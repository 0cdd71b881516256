import { useConversation } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { contactName } from "../inbox/ConversationRow";
import { followLink, messagePath } from "../inbox/route";
import { typeLabel } from "../listings/ListingCard";
import { formatPrice } from "../listings/logic";
import { highlightPieces, reasons, type SearchHit } from "./logic";

/** The snippet with the query's words in `<mark>`, built as text nodes (never HTML). */
export function Snippet({ hit }: { hit: SearchHit }) {
  return (
    <>
      {highlightPieces(hit.snippet, hit.highlights).map((piece, i) => (piece.marked ? <mark key={i}>{piece.text}</mark> : <span key={i}>{piece.text}</span>))}
    </>
  );
}

/** Who the customer of a hit's conversation is (read once per conversation, shared with the inbox). */
export function useWho(conversationId: string): string | null {
  const conversation = useConversation(conversationId);
  return conversation.data ? contactName(conversation.data) : null;
}

/** The link that opens a hit's conversation at its message, named by the snippet. */
export function HitLink({ hit, className }: { hit: SearchHit; className?: string }) {
  const path = messagePath(hit.conversation_id, hit.message_id);
  return (
    <a href={path} className={className} onClick={(e) => followLink(e, path)}>
      <Snippet hit={hit} />
    </a>
  );
}

/** Whom a hit was from or to, on which number (when several may be read), and when. */
export function HitMeta({ hit, number }: { hit: SearchHit; number: string | null }) {
  const { t, locale } = useI18n();
  const who = useWho(hit.conversation_id) ?? hit.contact_id;
  return (
    <p className="search-hit-meta">
      <span>{hit.direction === "outbound" ? t("search.sent", { who }) : t("search.received", { who })}</span>
      {number && <span>{t("search.onNumber", { number })}</span>}
      <time dateTime={hit.written_at}>{new Date(hit.written_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })}</time>
    </p>
  );
}

/** The watch listing read in the message, as small chips. */
export function HitChips({ hit }: { hit: SearchHit }) {
  const { t, locale } = useI18n();
  const chips = [...hit.brands, ...hit.models, ...hit.references];
  if (!hit.type && chips.length === 0 && hit.price == null) return null;
  return (
    <ul className="search-chips" aria-label={t("listings.card")}>
      {hit.type && (
        <li>
          <span className={`listing-badge listing-${hit.type}`}>{typeLabel(hit.type, t)}</span>
        </li>
      )}
      {chips.map((chip, i) => (
        <li key={`${i}-${chip}`} className="search-chip">
          {chip}
        </li>
      ))}
      {hit.price != null && <li className="search-chip">{formatPrice(hit.price, hit.currency, locale)}</li>}
    </ul>
  );
}

/** Why the hit is there: an exact reference, its place by words, its place by meaning. */
export function HitWhy({ hit }: { hit: SearchHit }) {
  const { t } = useI18n();
  const why = reasons(hit.scores);
  if (why.length === 0) return null;
  return (
    <p className="search-why">
      <span className="search-why-label">{t("search.why")}:</span> {why.map((r) => ("rank" in r ? t(r.key, { rank: r.rank }) : t(r.key))).join(", ")}
    </p>
  );
}
