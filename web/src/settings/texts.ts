/** The settings screens' texts, merged into the app's dictionaries (`i18n/en.ts`, `i18n/fr.ts`). */
export const settingsEn = {
  "settings.open": "Settings",
  "settings.title": "Settings",
} as const;

export const settingsFr: Record<keyof typeof settingsEn, string> = {
  "settings.open": "Réglages",
  "settings.title": "Réglages",
};
