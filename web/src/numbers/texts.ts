/** The WhatsApp number screens' texts, merged into the app's dictionaries (`i18n/en.ts`, `i18n/fr.ts`). */
export const numbersEn = {
  "numbers.open": "Numbers",
  "numbers.title": "WhatsApp numbers",
} as const;

export const numbersFr: Record<keyof typeof numbersEn, string> = {
  "numbers.open": "Numéros",
  "numbers.title": "Numéros WhatsApp",
};
