import { useId, useState, type FormEvent } from "react";
import type { Me } from "../api/client";
import { may } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { useVisibleNumbers } from "../inbox/AccountPicker";
import { conversationPath, followLink } from "../inbox/route";
import { conditionLabel, MatchesButton, PriceText, typeLabel } from "./ListingCard";
import { hasMatches, listingKey, watchName, formatPrice } from "./logic";
import { PriceChart } from "./PriceChart";
import { MOST, NO_FILTER, useListings, useListingStats, type ListingCondition, type ListingFilter, type ListingType } from "./queries";
import "./listings.css";

const TYPES: ListingType[] = ["sale", "wanted", "question", "trade", "general"];
const CONDITIONS: ListingCondition[] = ["new", "unworn", "excellent", "very_good", "good", "used", "vintage"];
type Pane = "results" | "chart" | "stats";
const PANES: Pane[] = ["results", "chart", "stats"];

/** Why the filters cannot be sent as they are, or null. */
export function filterProblem(filter: ListingFilter): MessageKey | null {
  const min = filter.minPrice.trim() === "" ? null : Number(filter.minPrice.replace(",", "."));
  const max = filter.maxPrice.trim() === "" ? null : Number(filter.maxPrice.replace(",", "."));
  if (min !== null && max !== null && min > max) return "listings.badRange";
  if (filter.currency.trim() !== "" && !/^[A-Za-z]{3}$/.test(filter.currency.trim())) return "listings.badCurrency";
  if (filter.since !== "" && filter.until !== "" && filter.since > filter.until) return "listings.badDates";
  return null;
}

/**
 * Every watch read in the messages of the numbers the caller may read: filters, the results a page at a
 * time (each opening its conversation, each offer or request with its matches), the asking prices of a
 * family over time, and the counts and price spreads. On a phone one pane at a time.
 */
export function ListingsScreen({ me }: { me: Me }) {
  const { t } = useI18n();
  const canRead = may(me, "messages.view");
  const [draft, setDraft] = useState<ListingFilter>(NO_FILTER);
  const [filter, setFilter] = useState<ListingFilter>(NO_FILTER);
  const [problem, setProblem] = useState<MessageKey | null>(null);
  const [pane, setPane] = useState<Pane>("results");
  const [filtersOpen, setFiltersOpen] = useState(false);
  const filtersId = useId();

  if (!canRead) {
    return (
      <main className="listings">
        <p className="empty">{t("listings.none")}</p>
      </main>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const wrong = filterProblem(draft);
    setProblem(wrong);
    if (wrong === null) {
      setFilter(draft);
      setFiltersOpen(false);
    }
  };

  return (
    <main className={`listings listings-show-${pane}${filtersOpen ? " listings-filters-open" : ""}`}>
      <div className="listings-head">
        <h2>{t("listings.title")}</h2>
        <button type="button" className="listings-filters-toggle" aria-expanded={filtersOpen} aria-controls={filtersId} onClick={() => setFiltersOpen(!filtersOpen)}>
          {filtersOpen ? t("listings.hideFilters") : t("listings.showFilters")}
        </button>
        <div className="listings-panes" role="group" aria-label={t("listings.pane")}>
          {PANES.map((p) => (
            <button
              key={p}
              type="button"
              aria-pressed={pane === p && !filtersOpen}
              onClick={() => {
                setPane(p);
                setFiltersOpen(false);
              }}
            >
              {t(`listings.pane.${p}`)}
            </button>
          ))}
        </div>
      </div>
      <form id={filtersId} className="listings-filters" aria-label={t("listings.filters")} onSubmit={submit} noValidate>
        <Filters me={me} value={draft} onChange={setDraft} />
        {problem && (
          <p className="form-error" role="alert">
            {t(problem)}
          </p>
        )}
        <div className="listings-filter-actions">
          <button type="submit" className="primary">
            {t("listings.apply")}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTER);
              setFilter(NO_FILTER);
              setProblem(null);
            }}
          >
            {t("listings.reset")}
          </button>
        </div>
      </form>
      <Results me={me} filter={filter} />
      <section className="listings-chart" aria-labelledby={`${filtersId}-chart`}>
        <h3 id={`${filtersId}-chart`}>{t("listings.chart")}</h3>
        <ChartOfOffers filter={filter} />
      </section>
      <section className="listings-stats" aria-labelledby={`${filtersId}-stats`}>
        <h3 id={`${filtersId}-stats`}>{t("listings.stats")}</h3>
        <Stats filter={filter} />
      </section>
    </main>
  );
}

function Filters({ me, value, onChange }: { me: Me; value: ListingFilter; onChange: (value: ListingFilter) => void }) {
  const { t } = useI18n();
  const numbers = useVisibleNumbers(me);
  const id = useId();
  const set = <K extends keyof ListingFilter>(key: K, v: ListingFilter[K]) => onChange({ ...value, [key]: v });
  const input = (key: "brand" | "model" | "reference" | "q", label: MessageKey) => (
    <div className="listings-filter">
      <label htmlFor={`${id}-${key}`}>{t(label)}</label>
      <input id={`${id}-${key}`} type={key === "q" ? "search" : "text"} value={value[key]} onChange={(e) => set(key, e.target.value)} />
    </div>
  );
  return (
    <>
      <div className="listings-filter">
        <label htmlFor={`${id}-type`}>{t("listings.type")}</label>
        <select id={`${id}-type`} value={value.type} onChange={(e) => set("type", e.target.value as ListingType | "")}>
          <option value="">{t("listings.type.any")}</option>
          {TYPES.map((type) => (
            <option key={type} value={type}>
              {typeLabel(type, t)}
            </option>
          ))}
        </select>
      </div>
      {input("brand", "listings.brand")}
      {input("model", "listings.model")}
      {input("reference", "listings.reference")}
      <div className="listings-filter">
        <label htmlFor={`${id}-condition`}>{t("listings.condition")}</label>
        <select id={`${id}-condition`} value={value.condition} onChange={(e) => set("condition", e.target.value as ListingCondition | "")}>
          <option value="">{t("listings.condition.any")}</option>
          {CONDITIONS.map((c) => (
            <option key={c} value={c}>
              {conditionLabel(c, t)}
            </option>
          ))}
        </select>
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-min`}>{t("listings.minPrice")}</label>
        <input id={`${id}-min`} type="number" min={0} step="any" inputMode="decimal" value={value.minPrice} onChange={(e) => set("minPrice", e.target.value)} />
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-max`}>{t("listings.maxPrice")}</label>
        <input id={`${id}-max`} type="number" min={0} step="any" inputMode="decimal" value={value.maxPrice} onChange={(e) => set("maxPrice", e.target.value)} />
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-currency`}>{t("listings.currency")}</label>
        <input id={`${id}-currency`} maxLength={3} autoCapitalize="characters" value={value.currency} onChange={(e) => set("currency", e.target.value)} />
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-account`}>{t("listings.number")}</label>
        <select id={`${id}-account`} value={value.account} onChange={(e) => set("account", e.target.value)}>
          <option value="">{t("listings.anyNumber")}</option>
          {numbers.map((n) => (
            <option key={n.id} value={n.id}>
              {n.label}
            </option>
          ))}
        </select>
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-since`}>{t("listings.since")}</label>
        <input id={`${id}-since`} type="date" value={value.since} onChange={(e) => set("since", e.target.value)} />
      </div>
      <div className="listings-filter">
        <label htmlFor={`${id}-until`}>{t("listings.until")}</label>
        <input id={`${id}-until`} type="date" value={value.until} onChange={(e) => set("until", e.target.value)} />
      </div>
      {input("q", "listings.text")}
    </>
  );
}

function Results({ me, filter }: { me: Me; filter: ListingFilter }) {
  const { t, locale } = useI18n();
  const numbers = useVisibleNumbers(me);
  const query = useListings(filter, true);
  const headingId = useId();
  const rows = query.data?.pages.flatMap((p) => p.listings) ?? [];
  return (
    <section className="listings-results" aria-labelledby={headingId} aria-busy={query.isFetching}>
      <h3 id={headingId}>{t("listings.results")}</h3>
      {query.isPending ? (
        <p role="status">{t("loading")}</p>
      ) : query.isError ? (
        <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <p className="empty">{t("listings.noResults")}</p>
      ) : (
        <div className="listings-table-scroll">
          <table className="listings-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">{t("listings.type")}</th>
                <th scope="col">{t("listings.model")}</th>
                <th scope="col">{t("listings.reference")}</th>
                <th scope="col">{t("listings.price")}</th>
                <th scope="col">{t("listings.condition")}</th>
                <th scope="col">{t("listings.number")}</th>
                <th scope="col">{t("listings.when")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("listings.matches")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((l) => {
                const path = conversationPath(l.conversation_id);
                return (
                  <tr key={listingKey(l)}>
                    <td>
                      <span className={`listing-badge listing-${l.type}`}>{typeLabel(l.type, t)}</span>
                    </td>
                    <td>
                      <a href={path} onClick={(e) => followLink(e, path)}>
                        {watchName(l) || t("listings.openConversation")}
                      </a>
                    </td>
                    <td>{l.reference}</td>
                    <td>{l.price != null && <PriceText listing={l} />}</td>
                    <td>{l.condition && conditionLabel(l.condition, t)}</td>
                    <td>{numbers.find((n) => n.id === l.account_id)?.label ?? l.account_id}</td>
                    <td>
                      <time dateTime={l.written_at}>{new Date(l.written_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })}</time>
                    </td>
                    <td>{hasMatches(l) && <MatchesButton listing={l} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? t("listings.loadingMore") : t("listings.more")}
        </button>
      )}
      {query.isFetchNextPageError && <ErrorNotice error={query.error} onRetry={() => void query.fetchNextPage()} />}
    </section>
  );
}

/** The chart draws offers only (the newest 200): with the filters as they are, but of type "sale". */
function ChartOfOffers({ filter }: { filter: ListingFilter }) {
  const { t } = useI18n();
  const offersOnly = filter.type === "" || filter.type === "sale";
  const query = useListings({ ...filter, type: "sale" }, offersOnly, MOST);
  if (!offersOnly) return <p className="empty">{t("listings.chartNone")}</p>;
  if (query.isPending) return <p role="status">{t("loading")}</p>;
  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  return <PriceChart listings={query.data.pages.flatMap((p) => p.listings)} />;
}

function Stats({ filter }: { filter: ListingFilter }) {
  const { t, locale } = useI18n();
  const query = useListingStats({ account: filter.account, since: filter.since, until: filter.until }, true);
  if (query.isPending) return <p role="status">{t("loading")}</p>;
  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  const stats = query.data;
  if (stats.by_type.length === 0 && stats.by_brand.length === 0) return <p className="empty">{t("listings.statsNone")}</p>;
  const count = (n: number) => n.toLocaleString(locale);
  return (
    <div className="listings-stat-tables">
      <CountTable caption={t("listings.byType")} head={t("listings.type")} rows={stats.by_type.map((r) => [typeLabel(r.name, t), count(r.count)])} />
      <CountTable caption={t("listings.byBrand")} head={t("listings.brand")} rows={stats.by_brand.map((r) => [r.name, count(r.count)])} />
      <CountTable caption={t("listings.byModel")} head={t("listings.model")} rows={stats.by_model.map((r) => [`${r.brand} ${r.model}`, count(r.count)])} />
      {stats.prices.length > 0 && (
        <table className="listings-stat-table">
          <caption>{t("listings.prices")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("listings.model")}</th>
              <th scope="col">{t("listings.count")}</th>
              <th scope="col">{t("listings.q1")}</th>
              <th scope="col">{t("listings.median")}</th>
              <th scope="col">{t("listings.q3")}</th>
            </tr>
          </thead>
          <tbody>
            {stats.prices.map((p) => (
              <tr key={`${p.brand} ${p.model} ${p.currency}`}>
                <th scope="row">
                  {p.brand} {p.model}
                </th>
                <td>{count(p.count)}</td>
                <td>{formatPrice(p.q1, p.currency, locale)}</td>
                <td>{formatPrice(p.median, p.currency, locale)}</td>
                <td>{formatPrice(p.q3, p.currency, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CountTable({ caption, head, rows }: { caption: string; head: string; rows: [string, string][] }) {
  const { t } = useI18n();
  if (rows.length === 0) return null;
  return (
    <table className="listings-stat-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col">{t("listings.count")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, n]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
