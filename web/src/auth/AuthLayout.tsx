import type { ReactNode } from "react";
import { Preferences } from "../prefs/Preferences";

/** The frame of the signed-out screens: the form in the middle, language and theme above. */
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-page">
      <header className="auth-header">
        <Preferences />
      </header>
      <main className="auth-card">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
