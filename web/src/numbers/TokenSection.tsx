import { useI18n } from "../i18n/i18n";
import { tokenState } from "./meta";
import { AskingMeta, Fact, MetaErrorNotice, ToneText } from "./parts";
import { useToken } from "./queries";

/** What Meta says about the number's access token, for those who manage the number; checked again on demand. */
export function TokenSection({ id }: { id: string }) {
  const { t, locale } = useI18n();
  const token = useToken(id);
  const when = (date: Date) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
  const info = token.data;
  const state = info ? tokenState(info, new Date(token.dataUpdatedAt)) : null;
  const reaches = info
    ? [
        ...new Set(
          info.granular_scopes.flatMap((g) => {
            const ids = typeof g === "object" && g !== null ? (g as { target_ids?: unknown }).target_ids : undefined;
            return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : [];
          }),
        ),
      ]
    : [];
  return (
    <section className="numbers-section" aria-labelledby="number-token">
      <div className="numbers-section-head">
        <h3 id="number-token">{t("numbers.token")}</h3>
        <button type="button" disabled={token.isFetching} onClick={() => void token.refetch()}>
          {token.isFetching ? t("numbers.token.checking") : t("numbers.token.check")}
        </button>
      </div>
      {token.isError ? (
        <MetaErrorNotice error={token.error} onRetry={() => void token.refetch()} />
      ) : !info || !state ? (
        <AskingMeta />
      ) : (
        <dl className="numbers-facts">
          <dt>{t("numbers.token.state")}</dt>
          <dd>
            <ToneText
              said={{
                key: `numbers.token.${state.state}`,
                raw: state.state,
                tone: state.state === "valid" ? "good" : "bad",
              }}
            />
            {state.state !== "valid" && <span className="numbers-hint">{t("numbers.token.fix")}</span>}
          </dd>
          <dt>{t("numbers.token.expires")}</dt>
          <dd>{state.expiresAt ? <time dateTime={state.expiresAt.toISOString()}>{when(state.expiresAt)}</time> : t("numbers.token.never")}</dd>
          <Fact label={t("numbers.token.type")}>{info.type}</Fact>
          <Fact label={t("numbers.token.app")}>{info.application ? `${info.application} (${info.app_id ?? ""})` : info.app_id}</Fact>
          <Fact label={t("numbers.token.issued")}>{info.issued_at ? when(new Date(info.issued_at * 1000)) : null}</Fact>
          <Fact label={t("numbers.token.scopes")}>
            {info.scopes.length > 0 ? (
              <ul className="numbers-inline-list">
                {info.scopes.map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ul>
            ) : (
              t("numbers.token.noScopes")
            )}
          </Fact>
          <Fact label={t("numbers.token.reaches")}>{reaches.length > 0 ? reaches.join(", ") : null}</Fact>
          <dt>{t("numbers.token.checked")}</dt>
          <dd>
            <time dateTime={new Date(token.dataUpdatedAt).toISOString()}>{new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(new Date(token.dataUpdatedAt))}</time>
          </dd>
        </dl>
      )}
    </section>
  );
}
