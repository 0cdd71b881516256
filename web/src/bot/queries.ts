import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { done } from "../settings/queries";
import type { BotSettings } from "./logic";

/**
 * The bot's API calls. A number's settings, preview and knowledge base live under `["bot", id]`, so a
 * save reads the preview again; a conversation's bot state under `["bot", "conversation", id]`, read
 * again by the live stream when the conversation changes (`live/useLiveUpdates.ts`).
 */
export const botKeys = {
  all: ["bot"] as const,
  config: (id: string) => ["bot", id, "config"] as const,
  preview: (id: string, message: string, conversation: string) => ["bot", id, "preview", message, conversation] as const,
  qa: (id: string) => ["bot", id, "qa"] as const,
  suggestions: (id: string) => ["bot", id, "qa-suggestions"] as const,
  conversation: (id: string) => ["bot", "conversation", id] as const,
};

export function useBotConfig(id: string) {
  return useQuery({
    queryKey: botKeys.config(id),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/accounts/{id}/bot", { signal, params: { path: { id } } })),
  });
}

/** Saves the whole settings at the version they were read at (a 409 `stale_settings` when someone saved since). */
export function useSaveBot(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ settings, version }: { settings: BotSettings; version: number }) =>
      unwrap(await api.PUT("/api/v1/accounts/{id}/bot", { params: { path: { id } }, body: { settings, version } })),
    onSuccess: (config) => {
      client.setQueryData(botKeys.config(id), config);
      void client.invalidateQueries({ queryKey: ["bot", id, "preview"] });
    },
  });
}

/** The exact prompt a turn would send for `message` (as the next message of `conversation`, when set). */
export function useBotPreview(id: string, message: string, conversation: string) {
  return useQuery({
    queryKey: botKeys.preview(id, message, conversation),
    placeholderData: keepPreviousData,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/accounts/{id}/bot/preview", {
          signal,
          params: {
            path: { id },
            query: { message: message.trim() === "" ? undefined : message, conversation: conversation.trim() === "" ? undefined : conversation.trim() },
          },
        }),
      ),
  });
}

/** Asks the model as a turn would, with the form's (unsaved) settings; nothing is sent or recorded. */
export function useTryBot(id: string) {
  return useMutation({
    mutationFn: async (body: Schemas["BotTry"]) => unwrap(await api.POST("/api/v1/accounts/{id}/bot/try", { params: { path: { id } }, body })),
  });
}

export function useQa(id: string) {
  return useQuery({
    queryKey: botKeys.qa(id),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/accounts/{id}/bot/qa", { signal, params: { path: { id } } })),
  });
}

/** Questions customers asked and the answers people gave (needs `messages.view` on the number too). */
export function useQaSuggestions(id: string, enabled: boolean) {
  return useQuery({
    queryKey: botKeys.suggestions(id),
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/accounts/{id}/bot/qa-suggestions", { signal, params: { path: { id } } })),
  });
}

/** Adds an entry (`qaId` null) or changes one; the list and the suggestions (which leave out what is in it) are read again. */
export function useSaveQa(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ qaId, change }: { qaId: string | null; change: Schemas["QaChange"] }) =>
      unwrap(
        qaId === null
          ? await api.POST("/api/v1/accounts/{id}/bot/qa", { params: { path: { id } }, body: change })
          : await api.PUT("/api/v1/accounts/{id}/bot/qa/{qa_id}", { params: { path: { id, qa_id: qaId } }, body: change }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: botKeys.qa(id) });
      void client.invalidateQueries({ queryKey: botKeys.suggestions(id) });
    },
  });
}

export function useRemoveQa(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (qaId: string) => {
      done(await api.DELETE("/api/v1/accounts/{id}/bot/qa/{qa_id}", { params: { path: { id, qa_id: qaId } } }));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: botKeys.qa(id) });
      void client.invalidateQueries({ queryKey: botKeys.suggestions(id) });
    },
  });
}

/** A conversation's bot: on or off and why, and its turns (newest first). */
export function useConversationBot(id: string) {
  return useQuery({
    queryKey: botKeys.conversation(id),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/conversations/{id}/bot", { signal, params: { path: { id } } })),
  });
}
