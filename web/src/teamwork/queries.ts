import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { keys } from "../api/queries";
import type { ConversationStatus } from "./logic";

export type Team = Schemas["Team"];
export type Label = Schemas["Label"];
export type Reply = Schemas["Reply"];
export type Agent = Schemas["Agent"];

/** Team work's query keys. */
export const teamKeys = {
  teams: ["teamwork", "teams"] as const,
  labels: ["teamwork", "labels"] as const,
  replies: ["teamwork", "replies"] as const,
  repliesFor: (account: string | null) => ["teamwork", "replies", account ?? ""] as const,
  // Under the users' key, so a user created or changed in the settings shows here too.
  agents: [...keys.users, "agents"] as const,
};

export function useTeams(enabled = true) {
  return useQuery({
    queryKey: teamKeys.teams,
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/teams", { signal })),
    staleTime: 60_000,
  });
}

export function useLabels(enabled = true) {
  return useQuery({
    queryKey: teamKeys.labels,
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/labels", { signal })),
    staleTime: 60_000,
  });
}

/** Canned replies: those of `account` and the global ones (every reply the caller may see with `null`). */
export function useReplies(account: string | null, enabled = true) {
  return useQuery({
    queryKey: teamKeys.repliesFor(account),
    enabled,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/replies", { signal, params: { query: { account: account ?? undefined } } })),
    staleTime: 30_000,
  });
}

/**
 * The users who may take conversations, with whether they are available and their teams. `fresh` reads
 * them again as a picker opens (a colleague may have been added since); the list's rows share what is read.
 */
export function useAgents(enabled = true, fresh = false) {
  return useQuery({
    queryKey: teamKeys.agents,
    enabled,
    refetchOnMount: fresh ? "always" : true,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/agents", { signal })),
    staleTime: 30_000,
  });
}

/** A change: on success the queries it touches are read again. */
export function useTeamChange<Variables, Result>(
  run: (variables: Variables) => Promise<Result>,
  touches: readonly QueryKey[],
  onDone?: (result: Result, variables: Variables) => void,
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: async (result, variables) => {
      onDone?.(result, variables);
      await Promise.all(touches.map((queryKey) => client.invalidateQueries({ queryKey })));
    },
  });
}

/** Sets the signed-in user available or away. */
export function useSetAvailability() {
  return useTeamChange(
    async (available: boolean) => unwrap(await api.PUT("/api/v1/me/availability", { body: { available } })),
    [teamKeys.agents],
  );
}

/** Posts a private note; the timeline shows it once read again. */
export function useAddNote(conversation: string) {
  return useTeamChange(
    async (body: { text: string; mentions: string[] }) => {
      const answer = await api.POST("/api/v1/conversations/{id}/notes", { params: { path: { id: conversation } }, body });
      if (!answer.response.ok) unwrap({ ...answer, data: undefined });
    },
    [keys.messages(conversation)],
  );
}

/** How many conversations each view holds, for the number picked (or every number) and the status shown. */
export function useConversationCounts(account: string | null, status: ConversationStatus | null, enabled = true) {
  return useQuery({
    queryKey: [...keys.conversations, "counts", account ?? "", status ?? ""] as const,
    enabled,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/conversation-counts", {
          signal,
          params: { query: { account: account ?? undefined, status: status ?? undefined } },
        }),
      ),
  });
}
