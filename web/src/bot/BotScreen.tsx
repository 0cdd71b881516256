import { useState } from "react";
import type { Account, Me } from "../api/client";
import { may } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { followLink, numbersPath } from "../inbox/route";
import { ErrorNotice } from "../ErrorNotice";
import { BotSettingsForm } from "./BotSettingsForm";
import { draftFromSettings, type BotConfig, type BotDraft } from "./logic";
import { PromptPreview } from "./PromptPreview";
import { QaManager } from "./QaManager";
import { useBotConfig } from "./queries";
import { TryPanel } from "./TryPanel";
import "./bot.css";

/**
 * A number's bot (`/numbers/{id}/bot`, with `bot.manage`): its settings and playbook, the prompt they
 * make, the knowledge base, and a try with what the form holds, saved or not.
 */
export function BotScreen({ account, name, me }: { account: Account; name: string; me: Me }) {
  const { t } = useI18n();
  const id = account.id;
  const config = useBotConfig(id);
  const back = numbersPath(id);
  return (
    <article className="numbers-number bot-page" aria-labelledby="bot-title">
      <header className="numbers-header">
        <a href={back} className="back" onClick={(e) => followLink(e, back)}>
          <span aria-hidden="true">←</span>
          <span className="visually-hidden">{t("bot.back", { number: name })}</span>
        </a>
        <h2 id="bot-title">{t("bot.title", { number: name })}</h2>
      </header>
      {!may(me, "bot.manage", id) ? (
        <p className="empty">{t("bot.forbidden")}</p>
      ) : config.isError ? (
        <ErrorNotice error={config.error} onRetry={() => void config.refetch()} />
      ) : !config.data ? (
        <p className="loading numbers-loading" role="status">
          {t("loading")}
        </p>
      ) : (
        <BotEditor id={id} me={me} config={config.data} />
      )}
    </article>
  );
}

/** The form and what follows from it: the preview and the try follow what is typed. */
function BotEditor({ id, me, config }: { id: string; me: Me; config: BotConfig }) {
  const [draft, setDraft] = useState<BotDraft>(() => draftFromSettings(config.settings));
  return (
    <>
      <BotSettingsForm id={id} config={config} draft={draft} onChange={setDraft} />
      <PromptPreview id={id} config={config} draft={draft} />
      <TryPanel id={id} draft={draft} />
      <QaManager id={id} canSuggest={may(me, "messages.view", id)} />
    </>
  );
}
