import { describe, expect, it } from "vitest";
import { auditPath, botPath, contactsPath, conversationPath, listingsPath, messageFromQuery, messagePath, numbersPath, routeFromPath, searchPath, settingsPath } from "./route";

describe("the address", () => {
  it("names the inbox and an open conversation", () => {
    expect(routeFromPath("/")).toEqual({ view: "inbox", conversation: null, audit: false });
    expect(routeFromPath(conversationPath("c/1 2"))).toEqual({ view: "inbox", conversation: "c/1 2", audit: false });
  });

  it("names a conversation's audit trail", () => {
    expect(routeFromPath(auditPath("c/1"))).toEqual({ view: "inbox", conversation: "c/1", audit: true });
    expect(routeFromPath("/conversations/c1/other")).toEqual({ view: "inbox", conversation: "c1", audit: false });
  });

  it("names the contacts and one contact", () => {
    expect(routeFromPath("/contacts")).toEqual({ view: "contacts", contact: null });
    expect(routeFromPath("/contacts/")).toEqual({ view: "contacts", contact: null });
    expect(routeFromPath(contactsPath("447700900123"))).toEqual({ view: "contacts", contact: "447700900123" });
    expect(routeFromPath(contactsPath("US.a/b"))).toEqual({ view: "contacts", contact: "US.a/b" });
  });

  it("does not mistake a longer word for the contacts", () => {
    expect(routeFromPath("/contactsx")).toEqual({ view: "inbox", conversation: null, audit: false });
  });

  it("ignores a badly encoded id", () => {
    expect(routeFromPath("/contacts/%E0%A4%A")).toEqual({ view: "contacts", contact: null });
  });

  it("names the numbers, one number, the settings and one section", () => {
    expect(routeFromPath(numbersPath())).toEqual({ view: "numbers", account: null, bot: false });
    expect(routeFromPath(numbersPath("1122334455667"))).toEqual({ view: "numbers", account: "1122334455667", bot: false });
    expect(routeFromPath(botPath("1122334455667"))).toEqual({ view: "numbers", account: "1122334455667", bot: true });
    expect(botPath("1122334455667")).toBe("/numbers/1122334455667/bot");
    expect(routeFromPath(settingsPath())).toEqual({ view: "settings", section: null });
    expect(routeFromPath(settingsPath("users"))).toEqual({ view: "settings", section: "users" });
    expect(routeFromPath("/settingsx")).toEqual({ view: "inbox", conversation: null, audit: false });
  });

  it("names the watch listings", () => {
    expect(routeFromPath(listingsPath())).toEqual({ view: "listings" });
    expect(routeFromPath("/listings/")).toEqual({ view: "listings" });
    expect(routeFromPath("/listingsx")).toEqual({ view: "inbox", conversation: null, audit: false });
  });

  it("names the search, its state in the query string", () => {
    expect(searchPath()).toBe("/search");
    expect(searchPath("q=rolex&mode=keyword")).toBe("/search?q=rolex&mode=keyword");
    expect(routeFromPath("/search")).toEqual({ view: "search" });
    expect(routeFromPath("/searchx")).toEqual({ view: "inbox", conversation: null, audit: false });
  });

  it("names a conversation opened at one message", () => {
    const path = messagePath("c/1", "wamid.HBg=&x");
    const [pathname, query] = path.split("?");
    expect(routeFromPath(pathname ?? "")).toEqual({ view: "inbox", conversation: "c/1", audit: false });
    expect(messageFromQuery(`?${query}`)).toBe("wamid.HBg=&x");
    expect(messageFromQuery("")).toBeNull();
    expect(messageFromQuery("?message=")).toBeNull();
  });
});
