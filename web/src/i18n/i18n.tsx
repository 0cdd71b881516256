import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { en, type MessageKey } from "./en";
import { fr } from "./fr";
import { readStored, writeStored } from "../prefs/stored";

export type Language = "en" | "fr";
export const LANGUAGES: readonly Language[] = ["en", "fr"];
const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = "inbox.language";

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** The stored choice, else the browser's first language we have, else English. */
export function initialLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored === "en" || stored === "fr") return stored;
  for (const tag of browser) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "fr" || base === "en") return base;
  }
  return "en";
}

export function translate(language: Language, key: MessageKey, vars?: Record<string, string | number>): string {
  const text = DICTIONARIES[language][key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The browser's own locale when it is of the chosen language (en-GB keeps its 24-hour clock). */
export function localeFor(language: Language, browser: readonly string[]): string {
  return browser.find((tag) => tag.toLowerCase().split("-")[0] === language) ?? language;
}

interface I18n {
  language: Language;
  /** For dates and times. */
  locale: string;
  setLanguage: (language: Language) => void;
  t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(() =>
    initialLanguage(readStored(STORAGE_KEY), navigator.languages ?? [navigator.language]),
  );
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    writeStored(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  const t = useCallback<Translate>((key, vars) => translate(language, key, vars), [language]);
  const locale = useMemo(() => localeFor(language, navigator.languages ?? [navigator.language]), [language]);
  const value = useMemo(() => ({ language, locale, setLanguage, t }), [language, locale, setLanguage, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error("useI18n outside I18nProvider");
  return context;
}
