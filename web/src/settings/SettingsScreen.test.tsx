import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Me } from "../api/client";
import { I18nProvider } from "../i18n/i18n";
import { ThemeProvider } from "../prefs/theme";
import { SettingsScreen } from "./SettingsScreen";

function show(me: Me, section: string | null) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <I18nProvider>
        <ThemeProvider>
          <SettingsScreen me={me} section={section} />
        </ThemeProvider>
      </I18nProvider>
    </QueryClientProvider>,
  );
}

const agent: Me = {
  user: { id: "u1", email: "cy@example.com", name: "Cy", active: true, roles: [], overrides: [] },
  authenticated_by: "session",
  permissions: [],
  accounts: [{ account_id: "111", permissions: ["conversations.view", "messages.send"] }],
};

afterEach(() => vi.unstubAllGlobals());

describe("the settings", () => {
  it("lists only the sections the caller may use, the open one current", () => {
    show(agent, "account");
    const nav = screen.getByRole("navigation", { name: "Settings" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["API tokens", "My account"]);
    expect(within(nav).getByRole("link", { name: "My account" }).getAttribute("aria-current")).toBe("page");
    expect(within(nav).getByRole("link", { name: "My account" }).getAttribute("href")).toBe("/settings/account");
  });

  it("says so when a section is not the caller's to use", () => {
    vi.stubGlobal("fetch", vi.fn(() => new Promise(() => {})));
    show(agent, "users");
    expect(screen.getByRole("alert").textContent).toMatch(/may not use it/);
    expect(screen.queryByRole("heading", { name: "Users" })).toBeNull();
  });

  it("checks the password rules before sending anything", () => {
    const fetch = vi.fn(() => new Promise(() => {}));
    vi.stubGlobal("fetch", fetch);
    show(agent, "account");
    const form = screen.getByRole("form", { name: "Change my password" });
    fireEvent.change(within(form).getByLabelText("Current password"), { target: { value: "old password!" } });
    fireEvent.change(within(form).getByLabelText("New password"), { target: { value: "aaaaaaaaaaaa" } });
    fireEvent.change(within(form).getByLabelText("New password, again"), { target: { value: "aaaaaaaaaaaa" } });
    fireEvent.submit(form);
    expect(within(form).getByRole("alert").textContent).toBe("A password of one repeated character is too easy to guess.");
    fireEvent.change(within(form).getByLabelText("New password"), { target: { value: "a better passphrase" } });
    fireEvent.submit(form);
    expect(within(form).getByRole("alert").textContent).toBe("The two new passwords differ.");
    expect(fetch).not.toHaveBeenCalled();
  });
});
