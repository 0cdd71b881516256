import type { Me } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { followLink, settingsPath } from "../inbox/route";
import { isSection, sectionsFor, type Section } from "./logic";
import { NumbersSection } from "./NumbersSection";
import { UsersSection } from "./UsersSection";
import { RolesSection } from "./RolesSection";
import { TokensSection } from "./TokensSection";
import { MyAccountSection } from "./MyAccountSection";
import { TeamsSection } from "./TeamsSection";
import { LabelsSection } from "./LabelsSection";
import { RepliesSection } from "./RepliesSection";
import "./settings.css";

/**
 * The install's settings: numbers, users, roles, teams, labels, canned replies, API tokens, and the caller's own account. Only the
 * sections the caller may use are listed. On a wide screen the list and one section side by side; on a
 * phone the list alone at `/settings`, a section alone (with a way back) at `/settings/{section}`.
 */
export function SettingsScreen({ me, section }: { me: Me; section: string | null }) {
  const { t } = useI18n();
  const sections = sectionsFor(me);
  const asked = isSection(section) && sections.includes(section) ? section : null;
  const shown: Section | undefined = asked ?? sections[0];
  return (
    <main className={asked ? "settings has-section" : "settings"}>
      <nav className="settings-nav" aria-labelledby="settings-title">
        <h2 id="settings-title">{t("settings.title")}</h2>
        <ul>
          {sections.map((s) => (
            <li key={s}>
              <a
                href={settingsPath(s)}
                aria-current={s === shown ? "page" : undefined}
                onClick={(e) => followLink(e, settingsPath(s))}
              >
                {t(`settings.section.${s}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="settings-pane">
        <a className="settings-back" href={settingsPath()} onClick={(e) => followLink(e, settingsPath())}>
          {t("settings.back")}
        </a>
        {section !== null && asked === null && (
          <p className="form-error" role="alert">
            {t("settings.unknownSection")}
          </p>
        )}
        {shown === "numbers" && <NumbersSection me={me} />}
        {shown === "users" && <UsersSection me={me} />}
        {shown === "roles" && <RolesSection />}
        {shown === "teams" && <TeamsSection />}
        {shown === "labels" && <LabelsSection />}
        {shown === "replies" && <RepliesSection me={me} />}
        {shown === "tokens" && <TokensSection me={me} />}
        {shown === "account" && <MyAccountSection me={me} />}
      </div>
    </main>
  );
}
