import { useId, useMemo, useState, type FormEvent } from "react";
import { ApiError, type Me } from "../api/client";
import { may } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n, type Translate } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { useVisibleNumbers } from "../inbox/AccountPicker";
import { navigate, searchPath, useQueryString } from "../inbox/route";
import { typeLabel } from "../listings/ListingCard";
import { HitChips, HitLink, HitMeta, HitWhy } from "./Hit";
import {
  FACETS,
  MODES,
  TYPES,
  hasCriteria,
  queryFromState,
  stateFromQuery,
  stateProblem,
  toggleFacet,
  type Facet,
  type ListingType,
  type SearchMode,
  type SearchResults,
  type SearchState,
} from "./logic";
import { useSearch } from "./queries";
import { AskHistory } from "./AskHistory";
import "../listings/listings.css";
import "./search.css";

const FACET_LABEL: Record<Facet, MessageKey> = {
  account: "search.number",
  direction: "search.direction",
  kind: "search.kind",
  type: "search.type",
  brand: "search.brand",
  model: "search.model",
};

/** Goes to the page for `state`, a new entry in the history so Back returns to the previous search. */
function show(state: SearchState) {
  navigate(searchPath(queryFromState(state)));
}

/**
 * Every message of the numbers the caller may read, found by words, by meaning or both: the query and
 * its mode, filters, counts per facet (a click applies one), and the results a page at a time, each
 * opening its conversation at the message. All of it is in the address.
 */
export function SearchScreen({ me }: { me: Me }) {
  const { t } = useI18n();
  const query = useQueryString();
  const state = useMemo(() => stateFromQuery(query), [query]);
  const numbers = useVisibleNumbers(me);
  const numberLabel = (id: string) => numbers.find((n) => n.id === id)?.label ?? id;

  if (!may(me, "messages.view")) {
    return (
      <main className="search">
        <p className="empty">{t("search.none")}</p>
      </main>
    );
  }
  return (
    <main className="search">
      <h2 className="search-title">{t("search.title")}</h2>
      {/* Keyed by the address: Back or a shared link puts the form back as the address says. */}
      <SearchForm key={query} me={me} state={state} />
      <AskHistory state={state} />
      <Results state={state} numberLabel={numberLabel} showNumber={numbers.length > 1} />
    </main>
  );
}

function SearchForm({ me, state }: { me: Me; state: SearchState }) {
  const { t } = useI18n();
  const id = useId();
  const numbers = useVisibleNumbers(me);
  const [draft, setDraft] = useState(state);
  const [problem, setProblem] = useState<MessageKey | null>(null);
  // On a phone the filters fold away, so the results follow the query box.
  const [filtersOpen, setFiltersOpen] = useState(false);
  const set = <K extends keyof SearchState>(key: K, value: SearchState[K]) => setDraft({ ...draft, [key]: value });

  const apply = (next: SearchState) => {
    const wrong = stateProblem(next);
    setProblem(wrong);
    if (wrong === null) show(next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const text = (key: "brand" | "model" | "reference" | "currency", label: MessageKey, extra: object = {}) => (
    <div className="search-filter">
      <label htmlFor={`${id}-${key}`}>{t(label)}</label>
      <input id={`${id}-${key}`} value={draft[key]} onChange={(e) => set(key, e.target.value)} {...extra} />
    </div>
  );
  // Filters the form has no field for (set from a facet, a conversation or a contact), removable here.
  const hidden: { key: "kind" | "conversation" | "contact"; label: string }[] = [];
  if (state.kind) hidden.push({ key: "kind", label: `${t("search.kind")}: ${state.kind}` });
  if (state.conversation) hidden.push({ key: "conversation", label: t("search.oneConversation") });
  if (state.contact) hidden.push({ key: "contact", label: t("search.oneContact") });

  return (
    <form className="search-form" role="search" aria-label={t("search.title")} onSubmit={submit} noValidate>
      <div className="search-box">
        <label htmlFor={`${id}-q`} className="visually-hidden">
          {t("search.query")}
        </label>
        <input id={`${id}-q`} type="search" placeholder={t("search.query")} maxLength={1000} value={draft.q} onChange={(e) => set("q", e.target.value)} />
        <button type="submit" className="primary">
          {t("search.submit")}
        </button>
      </div>
      <fieldset className="search-modes">
        <legend>{t("search.mode")}</legend>
        {MODES.map((mode: SearchMode) => (
          <div key={mode} className="search-mode">
            <input
              type="radio"
              id={`${id}-mode-${mode}`}
              name={`${id}-mode`}
              value={mode}
              checked={draft.mode === mode}
              aria-describedby={`${id}-mode-${mode}-help`}
              onChange={() => apply({ ...draft, mode })}
            />
            <label htmlFor={`${id}-mode-${mode}`}>{t(`search.mode.${mode}`)}</label>
            <span id={`${id}-mode-${mode}-help`} className="muted">
              {t(`search.modeHelp.${mode}`)}
            </span>
          </div>
        ))}
      </fieldset>
      <button
        type="button"
        className="search-filters-toggle"
        aria-expanded={filtersOpen}
        aria-controls={`${id}-filters`}
        onClick={() => setFiltersOpen(!filtersOpen)}
      >
        {filtersOpen ? t("search.hideFilters") : t("search.showFilters")}
      </button>
      <fieldset id={`${id}-filters`} className={filtersOpen ? "search-filters open" : "search-filters"}>
        <legend>{t("search.filters")}</legend>
        <div className="search-filter">
          <label htmlFor={`${id}-account`}>{t("search.number")}</label>
          <select id={`${id}-account`} value={draft.account} onChange={(e) => set("account", e.target.value)}>
            <option value="">{t("search.anyNumber")}</option>
            {numbers.map((n) => (
              <option key={n.id} value={n.id}>
                {n.label}
              </option>
            ))}
            {draft.account !== "" && !numbers.some((n) => n.id === draft.account) && <option value={draft.account}>{draft.account}</option>}
          </select>
        </div>
        <div className="search-filter">
          <label htmlFor={`${id}-direction`}>{t("search.direction")}</label>
          <select id={`${id}-direction`} value={draft.direction} onChange={(e) => set("direction", e.target.value)}>
            <option value="">{t("search.direction.any")}</option>
            <option value="inbound">{t("search.direction.inbound")}</option>
            <option value="outbound">{t("search.direction.outbound")}</option>
          </select>
        </div>
        <div className="search-filter">
          <label htmlFor={`${id}-type`}>{t("search.type")}</label>
          <select id={`${id}-type`} value={draft.type} onChange={(e) => set("type", e.target.value as ListingType | "")}>
            <option value="">{t("listings.type.any")}</option>
            {TYPES.map((type) => (
              <option key={type} value={type}>
                {typeLabel(type, t)}
              </option>
            ))}
          </select>
        </div>
        {text("brand", "search.brand")}
        {text("model", "search.model")}
        {text("reference", "search.reference")}
        <div className="search-filter">
          <label htmlFor={`${id}-since`}>{t("search.since")}</label>
          <input id={`${id}-since`} type="date" value={draft.since} onChange={(e) => set("since", e.target.value)} />
        </div>
        <div className="search-filter">
          <label htmlFor={`${id}-until`}>{t("search.until")}</label>
          <input id={`${id}-until`} type="date" value={draft.until} onChange={(e) => set("until", e.target.value)} />
        </div>
        <div className="search-filter">
          <label htmlFor={`${id}-min`}>{t("search.minPrice")}</label>
          <input id={`${id}-min`} type="text" inputMode="decimal" value={draft.minPrice} onChange={(e) => set("minPrice", e.target.value)} />
        </div>
        <div className="search-filter">
          <label htmlFor={`${id}-max`}>{t("search.maxPrice")}</label>
          <input id={`${id}-max`} type="text" inputMode="decimal" value={draft.maxPrice} onChange={(e) => set("maxPrice", e.target.value)} />
        </div>
        {text("currency", "search.currency", { maxLength: 3, autoCapitalize: "characters" })}
        {hidden.map((h) => (
          <button key={h.key} type="button" className="search-active" onClick={() => show({ ...state, [h.key]: "" })}>
            {t("search.remove", { what: h.label })}
          </button>
        ))}
        {problem && (
          <p className="form-error" role="alert">
            {t(problem)}
          </p>
        )}
        <div className="search-filter-actions">
          <button type="submit">{t("search.apply")}</button>
          <button type="button" onClick={() => show({ ...stateFromQuery(""), q: state.q, mode: state.mode })}>
            {t("search.clear")}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

function Results({ state, numberLabel, showNumber }: { state: SearchState; numberLabel: (id: string) => string; showNumber: boolean }) {
  const { t, locale } = useI18n();
  const headingId = useId();
  const searching = hasCriteria(state) && stateProblem(state) === null;
  const query = useSearch(state, searching);
  if (!searching) return <p className="search-hint muted">{t("search.hint")}</p>;
  const first = query.data?.pages[0];
  const hits = query.data?.pages.flatMap((p) => p.hits) ?? [];
  return (
    <>
      {first && <Facets state={state} results={first} numberLabel={numberLabel} />}
      <section className="search-results" aria-labelledby={headingId} aria-busy={query.isFetching}>
        <h3 id={headingId}>
          {t("search.results")}
          {first && <span className="muted"> · {t("search.total", { count: first.total.toLocaleString(locale) })}</span>}
        </h3>
        {/* Said to screen readers as each search answers; the heading says it to everyone. */}
        <p className="visually-hidden" role="status">
          {first && !query.isFetching ? t("search.total", { count: first.total.toLocaleString(locale) }) : ""}
        </p>
        {first?.notice && <Notice asked={state.mode} results={first} />}
        {query.isPending ? (
          <p role="status">{t("search.searching")}</p>
        ) : query.isError && hits.length === 0 ? (
          meaningUnavailable(state, query.error) ? (
            <div className="error-notice" role="alert">
              <p>{t("search.meaningUnavailable")}</p>
              <button type="button" onClick={() => show({ ...state, mode: "hybrid" })}>
                {t("search.useHybrid")}
              </button>
            </div>
          ) : (
            <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
          )
        ) : hits.length === 0 ? (
          <p className="empty">{t("search.noResults")}</p>
        ) : (
          <ol className="search-hits" aria-labelledby={headingId}>
            {hits.map((hit) => (
              <li key={`${hit.conversation_id} ${hit.message_id}`}>
                <article className="search-hit">
                  <HitLink hit={hit} className="search-hit-snippet" />
                  <HitMeta hit={hit} number={showNumber ? numberLabel(hit.account_id) : null} />
                  <HitChips hit={hit} />
                  <HitWhy hit={hit} />
                </article>
              </li>
            ))}
          </ol>
        )}
        {query.hasNextPage && (
          <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? t("search.loadingMore") : t("search.more")}
          </button>
        )}
        {query.isFetchNextPageError && <ErrorNotice error={query.error} onRetry={() => void query.fetchNextPage()} />}
      </section>
    </>
  );
}

/** A search by meaning alone the server cannot answer: it has no embedding model, or cannot reach it. */
function meaningUnavailable(state: SearchState, error: unknown): boolean {
  return state.mode === "semantic" && error instanceof ApiError && (error.code === "semantic_unavailable" || error.code === "unavailable");
}

/** What the server says about the results; a hybrid or meaning search answered by words alone says so in the reader's language. */
function Notice({ asked, results }: { asked: SearchMode; results: SearchResults }) {
  const { t } = useI18n();
  const wordsOnly = results.mode === "keyword" && asked !== "keyword";
  return (
    <p className="search-notice" role="status">
      {wordsOnly ? t("search.keywordOnly") : results.notice}
      {wordsOnly && results.notice && (
        <span className="muted" lang="en">
          {" "}
          ({results.notice})
        </span>
      )}
    </p>
  );
}

function facetValueLabel(facet: Facet, value: string, t: Translate, numberLabel: (id: string) => string): string {
  if (facet === "account") return numberLabel(value);
  if (facet === "type") return typeLabel(value, t);
  if (facet === "direction" && (value === "inbound" || value === "outbound")) return t(`search.direction.${value}`);
  return value;
}

/** The counts per value of each facet over the results; a value applies (or, applied, removes) its filter. */
function Facets({ state, results, numberLabel }: { state: SearchState; results: SearchResults; numberLabel: (id: string) => string }) {
  const { t, locale } = useI18n();
  const headingId = useId();
  const shown = FACETS.filter((f) => results.facets[f].length > 0);
  if (shown.length === 0) return null;
  return (
    <section className="search-facets" aria-labelledby={headingId}>
      <h3 id={headingId}>{t("search.facets")}</h3>
      {shown.map((facet) => (
        <div key={facet} role="group" aria-label={t(FACET_LABEL[facet])} className="search-facet">
          <h4 aria-hidden="true">{t(FACET_LABEL[facet])}</h4>
          <ul>
            {results.facets[facet].map((v) => (
              <li key={v.value}>
                <button
                  type="button"
                  className="search-facet-value"
                  aria-pressed={state[facet] === v.value}
                  onClick={() => show(toggleFacet(state, facet, v.value))}
                >
                  <span>{facetValueLabel(facet, v.value, t, numberLabel)}</span>{" "}
                  <span className="search-facet-count">{v.count.toLocaleString(locale)}</span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
