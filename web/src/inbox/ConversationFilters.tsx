import { useEffect, useId, useState } from "react";
import * as ToggleGroup from "@radix-ui/react-toggle-group";
import type { ConversationFilter, ListFilter } from "../api/queries";
import { useI18n } from "../i18n/i18n";

const FILTERS: readonly ListFilter[] = ["all", "unread", "favourites", "archived", "groups"];

/**
 * Search by name or number (applied as the agent pauses typing) and the list's filter. With
 * `messages`, the same words also find messages (shown under the list by `search/MessageMatches`).
 */
export function ConversationFilters({
  value,
  onChange,
  messages = false,
}: {
  value: ConversationFilter;
  onChange: (filter: ConversationFilter) => void;
  messages?: boolean;
}) {
  const { t } = useI18n();
  const searchId = useId();
  const [text, setText] = useState(value.q);
  useEffect(() => {
    if (text === value.q) return;
    const timer = setTimeout(() => onChange({ ...value, q: text }), 250);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <div className="conversation-filters">
      <label htmlFor={searchId} className="visually-hidden">
        {t(messages ? "search.inbox" : "inbox.search")}
      </label>
      <input
        id={searchId}
        type="search"
        placeholder={t(messages ? "search.inbox" : "inbox.search")}
        maxLength={100}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <ToggleGroup.Root
        type="single"
        className="filter-group"
        aria-label={t("inbox.filters")}
        value={value.filter}
        onValueChange={(next) => {
          if (next) onChange({ ...value, filter: next as ListFilter });
        }}
      >
        {FILTERS.map((f) => (
          <ToggleGroup.Item key={f} value={f} className="filter-item">
            {t(`inbox.filter.${f}`)}
          </ToggleGroup.Item>
        ))}
      </ToggleGroup.Root>
    </div>
  );
}
