import { useState } from "react";
import { useI18n } from "../i18n/i18n";
import { AskingMeta, ConfirmDialog, Fact, MetaErrorNotice, ToneText } from "./parts";
import { useSetSubscription, useSubscription } from "./queries";

/**
 * Whether this inbox's Meta app receives the business account's webhooks: without the subscription a
 * verified webhook receives nothing. Unsubscribing stops messages at once, so it is asked first.
 */
export function SubscriptionSection({ id, canManage }: { id: string; canManage: boolean }) {
  const { t } = useI18n();
  const subscription = useSubscription(id);
  const change = useSetSubscription(id);
  const [asking, setAsking] = useState(false);
  const data = subscription.data;
  const subscribed = data?.this_app_subscribed;
  const overrides = (data?.apps ?? []).map((a) => a.override_callback_uri).filter((u): u is string => !!u);
  return (
    <section className="numbers-section" aria-labelledby="number-webhooks">
      <h3 id="number-webhooks">{t("numbers.webhooks")}</h3>
      {subscription.isError ? (
        <MetaErrorNotice error={subscription.error} onRetry={() => void subscription.refetch()} />
      ) : !data ? (
        <AskingMeta />
      ) : (
        <>
          <dl className="numbers-facts">
            <dt>{t("numbers.webhooks.thisApp")}</dt>
            <dd>
              <ToneText
                said={
                  subscribed === true
                    ? { key: "numbers.webhooks.subscribed", raw: "", tone: "good" }
                    : subscribed === false
                      ? { key: "numbers.webhooks.notSubscribed", raw: "", tone: "bad" }
                      : { key: "numbers.webhooks.appUnknown", raw: "", tone: "neutral" }
                }
              />
            </dd>
            <Fact label={t("numbers.webhooks.apps")}>{String(data.apps.length)}</Fact>
            <Fact label={t("numbers.webhooks.override")}>{overrides.length > 0 ? overrides.join(", ") : null}</Fact>
          </dl>
          {subscribed === false && <p className="numbers-hint">{t("numbers.webhooks.why")}</p>}
          {change.isError && <MetaErrorNotice error={change.error} />}
          {canManage && (
            <div className="numbers-actions start">
              {subscribed !== true && (
                <button type="button" className="primary" disabled={change.isPending} onClick={() => change.mutate(true)}>
                  {change.isPending ? t("numbers.saving") : t("numbers.webhooks.subscribe")}
                </button>
              )}
              {subscribed !== false && data.apps.length > 0 && (
                <button type="button" className="danger" disabled={change.isPending} onClick={() => setAsking(true)}>
                  {t("numbers.webhooks.unsubscribe")}
                </button>
              )}
            </div>
          )}
          <ConfirmDialog
            open={asking}
            title={t("numbers.webhooks.confirmTitle")}
            onClose={() => setAsking(false)}
            actions={
              <button
                type="button"
                className="danger"
                onClick={() => {
                  setAsking(false);
                  change.mutate(false);
                }}
              >
                {t("numbers.webhooks.unsubscribe")}
              </button>
            }
          >
            <p>{t("numbers.webhooks.confirmText")}</p>
          </ConfirmDialog>
        </>
      )}
    </section>
  );
}
