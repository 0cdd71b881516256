import type { Account, Me } from "../api/client";
import { may, useAccounts } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { botPath, followLink, numbersPath } from "../inbox/route";
import { BotScreen } from "../bot/BotScreen";
import { limitText, limitTier, messagingLimitOf, qualityOf } from "./meta";
import { NumberInfo } from "./NumberInfo";
import { ProfileSection } from "./ProfileSection";
import { ToneText } from "./parts";
import { usePhoneNumber } from "./queries";
import { SubscriptionSection } from "./SubscriptionSection";
import { TemplatesSection } from "./TemplatesSection";
import { TeamworkSection } from "./TeamworkSection";
import { TokenSection } from "./TokenSection";
import "./numbers.css";

/** How people read a number: what the inbox calls it, else Meta's approved name, else its number. */
export function numberLabel(account: Account): string {
  return account.name ?? account.display_name ?? account.phone_number ?? account.id;
}

/** The numbers the caller may see; which of them are visible comes from who is signed in. */
function visibleAccounts(me: Me, accounts: Account[]): Account[] {
  if (me.authenticated_by === "operator") return accounts;
  return accounts.filter((a) => may(me, "accounts.view", a.id));
}

/**
 * The WhatsApp numbers as Meta sees them: the list, and one number's info and quality, profile,
 * templates, webhook subscription and token. On a phone one pane at a time.
 */
export function NumbersScreen({ me, account, bot = false }: { me: Me; account: string | null; bot?: boolean }) {
  const { t } = useI18n();
  const canView = may(me, "accounts.view");
  const accounts = useAccounts(canView);
  const visible = accounts.data ? visibleAccounts(me, accounts.data) : undefined;
  const open = account !== null ? visible?.find((a) => a.id === account) : undefined;
  if (!canView) {
    return (
      <main className="numbers">
        <p className="empty">{t("numbers.none")}</p>
      </main>
    );
  }
  return (
    <main className={account ? "numbers has-number" : "numbers"}>
      <aside className="numbers-list" aria-labelledby="numbers-title">
        <h2 id="numbers-title">{t("numbers.title")}</h2>
        {accounts.isError ? (
          <ErrorNotice error={accounts.error} onRetry={() => void accounts.refetch()} />
        ) : visible === undefined ? (
          <p className="loading" role="status">
            {t("loading")}
          </p>
        ) : visible.length === 0 ? (
          <p className="empty">{t("numbers.none")}</p>
        ) : (
          <ul aria-labelledby="numbers-title">
            {visible.map((a) => (
              <NumberRow key={a.id} account={a} current={a.id === account} />
            ))}
          </ul>
        )}
      </aside>
      <div className="numbers-detail">
        {account === null ? (
          <p className="empty">{t("numbers.pick")}</p>
        ) : visible === undefined ? (
          accounts.isError ? null : (
            <p className="loading" role="status">
              {t("loading")}
            </p>
          )
        ) : open && bot ? (
          <BotScreen key={open.id} account={open} name={numberLabel(open)} me={me} />
        ) : open ? (
          <NumberDetail key={open.id} account={open} me={me} />
        ) : (
          <div className="numbers-missing">
            <BackLink />
            <p className="empty">{t("numbers.notFound")}</p>
          </div>
        )}
      </div>
    </main>
  );
}

/** A number in the list: its name and number, with Meta's quality rating and messaging limit. */
function NumberRow({ account, current }: { account: Account; current: boolean }) {
  const { t, locale } = useI18n();
  const path = numbersPath(account.id);
  const live = usePhoneNumber(account.id);
  const quality = qualityOf(live.data?.quality_rating);
  const limit = messagingLimitOf(limitTier(account, live.data));
  return (
    <li>
      <a href={path} className="numbers-row" aria-current={current ? "page" : undefined} onClick={(e) => followLink(e, path)}>
        <span className="numbers-row-name">{numberLabel(account)}</span>
        <span className="numbers-row-number">{live.data?.display_phone_number ?? account.phone_number ?? account.id}</span>
        <span className="numbers-row-facts">
          {live.isPending ? (
            <span className="muted">{t("numbers.asking")}</span>
          ) : (
            <>
              {t("numbers.quality")}: <ToneText said={quality} />
            </>
          )}
          {limit && <span>{limitText(limit.count, t, locale)}</span>}
        </span>
      </a>
    </li>
  );
}

function BackLink() {
  const { t } = useI18n();
  return (
    <a href={numbersPath()} className="back" onClick={(e) => followLink(e, numbersPath())}>
      <span aria-hidden="true">←</span>
      <span className="visually-hidden">{t("numbers.back")}</span>
    </a>
  );
}

/** One number, section by section; each section asks Meta on its own, so a slow one holds up no other. */
function NumberDetail({ account, me }: { account: Account; me: Me }) {
  const id = account.id;
  return (
    <article className="numbers-number" aria-labelledby="number-title">
      <header className="numbers-header">
        <BackLink />
        <h2 id="number-title">{numberLabel(account)}</h2>
      </header>
      <NumberInfo account={account} />
      {may(me, "bot.manage", id) && <BotLink id={id} />}
      <ProfileSection id={id} canEdit={may(me, "accounts.manage", id)} />
      <TeamworkSection id={id} canEdit={may(me, "accounts.manage", id)} />
      {may(me, "messages.send", id) && <TemplatesSection id={id} canManage={may(me, "templates.manage", id)} />}
      <SubscriptionSection id={id} canManage={may(me, "accounts.manage", id)} />
      {may(me, "accounts.manage", id) && <TokenSection id={id} />}
    </article>
  );
}

/** To the number's bot page (those who manage its bot). */
function BotLink({ id }: { id: string }) {
  const { t } = useI18n();
  const path = botPath(id);
  return (
    <section className="numbers-section" aria-labelledby="number-bot">
      <h3 id="number-bot">{t("bot.section")}</h3>
      <p className="numbers-hint">{t("bot.section.hint")}</p>
      <a href={path} onClick={(e) => followLink(e, path)}>
        {t("bot.section.open")}
      </a>
    </section>
  );
}
