import { useId, useMemo } from "react";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { followLink, searchPath } from "../inbox/route";
import { HitLink, HitMeta } from "./Hit";
import { BLANK, queryFromState, type SearchState } from "./logic";
import { useSearch } from "./queries";
import "./search.css";

const SHOWN = 5;

/**
 * Under the inbox's search box: the messages that match what was typed (hybrid, on the number picked),
 * the best few, each opening its conversation at the message, and a link to every result on the Search page.
 */
export function MessageMatches({ q, account }: { q: string; account: string | null }) {
  const { t } = useI18n();
  const headingId = useId();
  const state: SearchState = useMemo(() => ({ ...BLANK, q: q.trim(), account: account ?? "" }), [q, account]);
  const query = useSearch(state, state.q !== "", SHOWN);
  const hits = query.data?.pages[0]?.hits ?? [];
  const all = searchPath(queryFromState(state));
  return (
    <section className="message-matches" aria-labelledby={headingId} aria-busy={query.isFetching}>
      <h2 id={headingId} className="sidebar-group">
        {t("search.messages")}
      </h2>
      {query.isPending ? (
        <p className="muted" role="status">
          {t("search.searching")}
        </p>
      ) : query.isError ? (
        <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
      ) : hits.length === 0 ? (
        <p className="muted">{t("search.noResults")}</p>
      ) : (
        <ol aria-labelledby={headingId}>
          {hits.map((hit) => (
            <li key={`${hit.conversation_id} ${hit.message_id}`}>
              <HitLink hit={hit} className="message-match" />
              <HitMeta hit={hit} number={null} />
            </li>
          ))}
        </ol>
      )}
      <a href={all} className="see-all" onClick={(e) => followLink(e, all)}>
        {t("search.seeAll")}
      </a>
    </section>
  );
}
