import { describe, expect, it } from "vitest";
import {
  DEFAULT_TEAM_FILTER,
  fillPlaceholders,
  insertMention,
  matchReplies,
  mentionAt,
  mentionsIn,
  nextConversation,
  personInitials,
  slashQuery,
  snoozeUntil,
  teamFilterFromQuery,
  teamFilterQuery,
  textOn,
  validShortcut,
} from "./logic";

describe("placeholders", () => {
  const values = { contact_name: "Ann Lee", agent_name: "Bob", number_name: "Watches Paris" };

  it("fills the contact's, the agent's and the number's names, wherever and however often they appear", () => {
    expect(fillPlaceholders("Hello {{contact_name}}, {{agent_name}} of {{ number_name }} here. Bye {{contact_name}}!", values)).toBe(
      "Hello Ann Lee, Bob of Watches Paris here. Bye Ann Lee!",
    );
  });

  it("leaves an unknown placeholder, and text without any, as written", () => {
    expect(fillPlaceholders("Order {{order_id}} for {{contact_name}}", values)).toBe("Order {{order_id}} for Ann Lee");
    expect(fillPlaceholders("Plain {text}", values)).toBe("Plain {text}");
  });
});

describe("the / picker", () => {
  const replies = [
    { shortcut: "thanks", text: "Thank you {{contact_name}}!" },
    { shortcut: "hours", text: "We open at 9." },
    { shortcut: "shipping", text: "We ship worldwide, thanks to DHL." },
  ];

  it("opens only for / at the very start of the text, before any space", () => {
    expect(slashQuery("/")).toBe("");
    expect(slashQuery("/tha")).toBe("tha");
    expect(slashQuery("hello /tha")).toBeNull();
    expect(slashQuery("/thanks ")).toBeNull();
    expect(slashQuery("")).toBeNull();
  });

  it("lists shortcuts that start with the words first, then replies that hold them", () => {
    expect(matchReplies(replies, "").map((r) => r.shortcut)).toEqual(["hours", "shipping", "thanks"]);
    expect(matchReplies(replies, "th").map((r) => r.shortcut)).toEqual(["thanks", "shipping"]);
    expect(matchReplies(replies, "HOUR").map((r) => r.shortcut)).toEqual(["hours"]);
    expect(matchReplies(replies, "zzz")).toEqual([]);
  });

  it("takes the server's shortcuts only", () => {
    expect(validShortcut("thanks_2-a")).toBe(true);
    expect(validShortcut("Thanks")).toBe(false);
    expect(validShortcut("")).toBe(false);
    expect(validShortcut("a".repeat(33))).toBe(false);
  });
});

describe("mentions", () => {
  it("finds the @word being typed before the cursor, not an email address", () => {
    expect(mentionAt("Ask @Bo", 7)).toEqual({ start: 4, query: "Bo" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionAt("mail bob@example.com", 20)).toBeNull();
    expect(mentionAt("Ask @Bob please", 15)).toBeNull();
  });

  it("puts the name in place of what was typed and keeps the people still named", () => {
    const at = mentionAt("Ask @Bo about it", 7)!;
    expect(insertMention("Ask @Bo about it", at, "Bob Smith")).toEqual({ text: "Ask @Bob Smith about it", caret: 14 });
    expect(insertMention("Ask @Bo", mentionAt("Ask @Bo", 7)!, "Bob")).toEqual({ text: "Ask @Bob ", caret: 9 });
    const picked = [
      { id: "u1", name: "Bob Smith" },
      { id: "u2", name: "Cy" },
    ];
    expect(mentionsIn("Ask @Bob Smith and @Cy", picked)).toEqual(["u1", "u2"]);
    expect(mentionsIn("Ask @Cy only", picked)).toEqual(["u2"]);
  });
});

describe("snooze", () => {
  // A Wednesday afternoon, in the reader's time zone.
  const wednesday = new Date(2026, 11, 2, 15, 30);

  it("ends in an hour", () => {
    expect(snoozeUntil("hour", wednesday)).toEqual(new Date(2026, 11, 2, 16, 30));
  });

  it("ends tomorrow at 9:00, across the end of a month", () => {
    expect(snoozeUntil("tomorrow", wednesday)).toEqual(new Date(2026, 11, 3, 9, 0));
    expect(snoozeUntil("tomorrow", new Date(2026, 10, 30, 23, 50))).toEqual(new Date(2026, 11, 1, 9, 0));
  });

  it("ends next Monday at 9:00, a week on from a Monday", () => {
    expect(snoozeUntil("nextWeek", wednesday)).toEqual(new Date(2026, 11, 7, 9, 0));
    expect(snoozeUntil("nextWeek", new Date(2026, 11, 6, 12, 0))).toEqual(new Date(2026, 11, 7, 9, 0));
    expect(snoozeUntil("nextWeek", new Date(2026, 11, 7, 8, 0))).toEqual(new Date(2026, 11, 14, 9, 0));
  });

  it("has no time until the customer writes", () => {
    expect(snoozeUntil("customer", wednesday)).toBeNull();
  });
});

describe("filters in the address", () => {
  it("says nothing for the defaults: every open conversation", () => {
    expect(teamFilterQuery(DEFAULT_TEAM_FILTER)).toBe("");
    expect(teamFilterFromQuery("")).toEqual(DEFAULT_TEAM_FILTER);
  });

  it("goes there and back", () => {
    const filters = [
      { view: "mine", status: "pending", label: "l-1", team: null },
      { view: "unassigned", status: null, label: null, team: "t-1" },
      { view: "all", status: "resolved", label: "a b&c", team: null },
    ] as const;
    for (const filter of filters) expect(teamFilterFromQuery(teamFilterQuery(filter))).toEqual(filter);
    expect(teamFilterQuery({ view: "mine", status: null, label: null, team: null })).toBe("?view=mine&status=any");
    expect(teamFilterQuery({ view: "all", status: "open", label: null, team: "t 1" })).toBe("?team=t+1");
  });

  it("ignores what it does not know, and keeps other parameters out", () => {
    expect(teamFilterFromQuery("?view=theirs&status=closed&message=m1")).toEqual(DEFAULT_TEAM_FILTER);
  });
});

describe("small things", () => {
  it("picks the next conversation, else the one before", () => {
    const rows = [{ id: "a" }, { id: "b" }, { id: "c" }];
    expect(nextConversation(rows, "b")).toBe("c");
    expect(nextConversation(rows, "c")).toBe("b");
    expect(nextConversation([{ id: "a" }], "a")).toBeNull();
  });

  it("writes readable text on a label's colour", () => {
    expect(textOn("#ffeb3b")).toBe("#000000");
    expect(textOn("#1a237e")).toBe("#ffffff");
  });

  it("takes initials from a name or an email", () => {
    expect(personInitials("Bob Smith")).toBe("BS");
    expect(personInitials("cy@example.com")).toBe("CC");
  });
});
