import * as Toggle from "@radix-ui/react-toggle";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Conversation } from "../api/client";
import { keys } from "../api/queries";
import { updateLists } from "../api/conversationLists";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";

type Setting = "favourite" | "archive" | "bot";

const SETTINGS: readonly { setting: Setting; label: MessageKey; on: (c: Conversation) => boolean }[] = [
  { setting: "favourite", label: "conversation.favourite", on: (c) => c.favourite },
  { setting: "archive", label: "conversation.archive", on: (c) => c.archived },
  { setting: "bot", label: "conversation.bot", on: (c) => c.bot_enabled },
];

/** Favourite, archive and bot switches: pressed buttons (aria-pressed), disabled without the permission. */
export function ConversationSettings({ conversation, disabled }: { conversation: Conversation; disabled: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: async ({ setting, on }: { setting: Setting; on: boolean }) => {
      if (setting === "bot") {
        // The bot has its own route (beside its turns), switched on or off with one PUT.
        return unwrap(
          await api.PUT("/api/v1/conversations/{id}/bot", { params: { path: { id: conversation.id } }, body: { enabled: on } }),
        );
      }
      const params = { params: { path: { id: conversation.id, setting } } };
      return unwrap(on ? await api.PUT("/api/v1/conversations/{id}/{setting}", params) : await api.DELETE("/api/v1/conversations/{id}/{setting}", params));
    },
    onSuccess: (updated) => {
      client.setQueryData(keys.conversation(conversation.id), updated);
      updateLists(client, updated);
    },
  });
  return (
    <div className="conversation-settings" role="group" aria-label={t("conversation.settings")}>
      {SETTINGS.map(({ setting, label, on }) => (
        <Toggle.Root
          key={setting}
          className="setting-toggle"
          pressed={on(conversation)}
          disabled={disabled || change.isPending}
          onPressedChange={(pressed) => change.mutate({ setting, on: pressed })}
        >
          <span className="toggle-mark" aria-hidden="true" />
          {t(label)}
        </Toggle.Root>
      ))}
    </div>
  );
}
