import * as Toggle from "@radix-ui/react-toggle";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Conversation } from "../api/client";
import { keys } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";

type Setting = "favourite" | "archive" | "bot";

const SETTINGS: readonly { setting: Setting; label: MessageKey; icon: string; on: (c: Conversation) => boolean }[] = [
  { setting: "favourite", label: "conversation.favourite", icon: "★", on: (c) => c.favourite },
  { setting: "archive", label: "conversation.archive", icon: "🗄", on: (c) => c.archived },
  { setting: "bot", label: "conversation.bot", icon: "🤖", on: (c) => c.bot_enabled },
];

/** Favourite, archive and bot switches: pressed buttons (aria-pressed), disabled without the permission. */
export function ConversationSettings({ conversation, disabled }: { conversation: Conversation; disabled: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: async ({ setting, on }: { setting: Setting; on: boolean }) => {
      const params = { params: { path: { id: conversation.id, setting } } };
      return unwrap(on ? await api.PUT("/api/v1/conversations/{id}/{setting}", params) : await api.DELETE("/api/v1/conversations/{id}/{setting}", params));
    },
    onSuccess: (updated) => {
      client.setQueryData(keys.conversation(conversation.id), updated);
      void client.invalidateQueries({ queryKey: ["conversations", "list"] });
    },
  });
  return (
    <div className="conversation-settings" role="group" aria-label={t("conversation.settings")}>
      {SETTINGS.map(({ setting, label, icon, on }) => (
        <Toggle.Root
          key={setting}
          className="setting-toggle"
          pressed={on(conversation)}
          disabled={disabled || change.isPending}
          onPressedChange={(pressed) => change.mutate({ setting, on: pressed })}
          aria-label={t(label)}
          title={t(label)}
        >
          <span aria-hidden="true">{icon}</span>
        </Toggle.Root>
      ))}
    </div>
  );
}
