import { describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { I18nProvider } from "../i18n/i18n";
import type { Me } from "../api/client";
import { ThemeProvider } from "../prefs/theme";
import { TopBar } from "./TopBar";

const notifications = { supported: false, denied: false, isOn: () => false, setNumber: async () => {}, notify: () => {} };

function show(me: Me) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <I18nProvider>
        <ThemeProvider>
        <TopBar
          me={me}
          live="live"
          notifications={notifications}
          route={{ view: "inbox", conversation: null, audit: false }}
        />
        </ThemeProvider>
      </I18nProvider>
    </QueryClientProvider>,
  );
}

const viewer = (permissions: string[]): Me => ({
  authenticated_by: "session",
  permissions: [],
  accounts: [{ account_id: "111", permissions }],
});

describe("the top bar", () => {
  it("leads to the contacts for whoever may see them", () => {
    show(viewer(["conversations.view", "contacts.view"]));
    expect(screen.getByRole("link", { name: "Contacts" }).getAttribute("href")).toBe("/contacts");
    expect(screen.getByRole("link", { name: "Inbox" }).getAttribute("aria-current")).toBe("page");
  });

  it("hides them from whoever may not", () => {
    show(viewer(["conversations.view"]));
    expect(screen.queryByRole("link", { name: "Contacts" })).toBeNull();
  });

  it("leads to the numbers for whoever may see them, and to the settings for everyone", () => {
    show(viewer(["conversations.view", "accounts.view"]));
    expect(screen.getByRole("link", { name: "Numbers" }).getAttribute("href")).toBe("/numbers");
    expect(screen.getByRole("link", { name: "Settings" }).getAttribute("href")).toBe("/settings");
    cleanup();
    show(viewer(["conversations.view"]));
    expect(screen.queryByRole("link", { name: "Numbers" })).toBeNull();
    expect(screen.getByRole("link", { name: "Settings" })).toBeTruthy();
  });

  it("leads to the search for whoever may read messages", () => {
    show(viewer(["conversations.view", "messages.view"]));
    expect(screen.getByRole("link", { name: "Search" }).getAttribute("href")).toBe("/search");
    cleanup();
    show(viewer(["conversations.view"]));
    expect(screen.queryByRole("link", { name: "Search" })).toBeNull();
  });

  it("leads to the watch listings for whoever may read messages", () => {
    show(viewer(["conversations.view", "messages.view"]));
    expect(screen.getByRole("link", { name: "Listings" }).getAttribute("href")).toBe("/listings");
    cleanup();
    show(viewer(["conversations.view"]));
    expect(screen.queryByRole("link", { name: "Listings" })).toBeNull();
  });
});
