import { useCallback } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { keys } from "../api/queries";
import { messageOf } from "../ErrorNotice";
import { pendingMessages } from "./pendingStore";

export type OutboundContent = Schemas["OutboundContent"];

/**
 * Sends a message: its copy shows at once as "sending" (`shown`, and the file's name for a file), then
 * `content` is made (a file is uploaded first) and posted. The copy learns the server's id from the answer,
 * or why it was refused.
 */
export function useSend(conversationId: string) {
  const client = useQueryClient();
  return useCallback(
    (shown: string, attachment: string | null, content: () => Promise<OutboundContent>, replyTo: string | null = null) => {
      const item = pendingMessages.add(conversationId, shown, new Date(), attachment, replyTo);
      void (async () => {
        try {
          const queued = unwrap(
            await api.POST("/api/v1/conversations/{id}/messages", {
              params: { path: { id: conversationId }, header: { "Idempotency-Key": item.clientId } },
              body: { content: await content(), reply_to: replyTo },
            }),
          );
          pendingMessages.resolve(item.clientId, queued.message_id);
          void client.invalidateQueries({ queryKey: keys.messages(conversationId) });
        } catch (error) {
          pendingMessages.fail(item.clientId, messageOf(error));
        }
      })();
    },
    [client, conversationId],
  );
}
