import type { Account } from "../api/client";
import { useI18n } from "../i18n/i18n";
import {
  accountReviewOf,
  limitText,
  limitTier,
  messagingLimitOf,
  nameStatusOf,
  qualityEventOf,
  qualityOf,
  registrationOf,
  throughputOf,
  verificationOf,
} from "./meta";
import { AskingMeta, Fact, MetaErrorNotice, ToneText } from "./parts";
import { useBusinessAccount, usePhoneNumber } from "./queries";

/** The number as Meta sees it now: its display number and name, quality, limits and registration. */
export function NumberInfo({ account }: { account: Account }) {
  const { t, locale } = useI18n();
  const number = usePhoneNumber(account.id);
  const business = useBusinessAccount(account.id, number.isSuccess);
  const data = number.data;
  const limit = messagingLimitOf(limitTier(account, data));
  const event = qualityEventOf(account.quality_event);
  const when = (iso: string) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  return (
    <section className="numbers-section" aria-labelledby="number-info">
      <h3 id="number-info">{t("numbers.info")}</h3>
      {number.isError ? (
        <MetaErrorNotice error={number.error} onRetry={() => void number.refetch()} />
      ) : !data ? (
        <AskingMeta />
      ) : (
        <dl className="numbers-facts">
          <Fact label={t("numbers.displayNumber")}>{data.display_phone_number ?? account.phone_number}</Fact>
          <Fact label={t("numbers.verifiedName")}>{data.verified_name}</Fact>
          <Fact label={t("numbers.nameStatus")}>
            {data.name_status ? <ToneText said={nameStatusOf(data.name_status)} /> : null}
          </Fact>
          <Fact label={t("numbers.quality")}>
            <ToneText said={qualityOf(data.quality_rating)} />
            <span className="numbers-hint">{t("numbers.quality.hint")}</span>
          </Fact>
          <Fact label={t("numbers.messagingLimit")}>{limit ? limitText(limit.count, t, locale) : t("numbers.unknown")}</Fact>
          <Fact label={t("numbers.throughput")}>
            {data.throughput ? <ToneText said={throughputOf(data.throughput)} /> : null}
          </Fact>
          <Fact label={t("numbers.registration")}>
            <ToneText said={registrationOf(data.status)} />
          </Fact>
          <Fact label={t("numbers.lastEvent")}>
            {event ? (
              <>
                <ToneText said={event} />
                {account.quality_reported_at && (
                  <span className="numbers-hint">
                    <time dateTime={account.quality_reported_at}>{when(account.quality_reported_at)}</time>
                  </span>
                )}
              </>
            ) : null}
          </Fact>
          <Fact label={t("numbers.phoneId")}>{account.id}</Fact>
          {business.data && (
            <>
              <Fact label={t("numbers.businessAccount")}>
                {business.data.name ? `${business.data.name} (${business.data.id})` : business.data.id}
              </Fact>
              <Fact label={t("numbers.businessVerification")}>
                {business.data.business_verification_status ? <ToneText said={verificationOf(business.data.business_verification_status)} /> : null}
              </Fact>
              <Fact label={t("numbers.accountReview")}>
                {business.data.account_review_status ? <ToneText said={accountReviewOf(business.data.account_review_status)} /> : null}
              </Fact>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
