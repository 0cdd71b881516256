import { useId } from "react";
import { LANGUAGES, useI18n, type Language } from "../i18n/i18n";
import { useTheme, type ThemeChoice } from "./theme";
import { setEnterSends, useEnterSends } from "./enterSends";

const LANGUAGE_NAMES: Record<Language, string> = { en: "English", fr: "Français" };
const THEMES: readonly ThemeChoice[] = ["system", "light", "dark"];

/** Language and theme pickers (native selects, each with its label), and which key sends a message. */
export function Preferences({ withComposer = false }: { withComposer?: boolean }) {
  const { t, language, setLanguage } = useI18n();
  const { theme, setTheme } = useTheme();
  const languageId = useId();
  const themeId = useId();
  const enterSends = useEnterSends();
  return (
    <div className="preferences">
      <label htmlFor={languageId}>{t("prefs.language")}</label>
      <select id={languageId} value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
      <label htmlFor={themeId}>{t("prefs.theme")}</label>
      <select id={themeId} value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
        {THEMES.map((th) => (
          <option key={th} value={th}>
            {t(`prefs.theme.${th}`)}
          </option>
        ))}
      </select>
      {withComposer && (
        <label className="inline">
          <input type="checkbox" checked={enterSends} onChange={(e) => setEnterSends(e.target.checked)} />
          {t("prefs.enterSends")}
        </label>
      )}
    </div>
  );
}
