import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";

/** The settings' own query keys; the numbers and the users share the app's (`keys.accounts`, `keys.users`). */
export const settingsKeys = {
  roles: ["settings", "roles"] as const,
  permissions: ["settings", "permissions"] as const,
  tokens: ["settings", "api-tokens"] as const,
};

export function useRoles(enabled: boolean) {
  return useQuery({
    queryKey: settingsKeys.roles,
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/roles", { signal })),
  });
}

/** The permission catalogue; it changes only with the server's version. */
export function usePermissionCatalogue() {
  return useQuery({
    queryKey: settingsKeys.permissions,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/permissions", { signal })),
    staleTime: Infinity,
  });
}

export function useApiTokens() {
  return useQuery({
    queryKey: settingsKeys.tokens,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/api-tokens", { signal })),
  });
}

/**
 * A change made in the settings: on success the lists it touches are refetched. (A refusal for want of a
 * session shows the sign-in screen, for every change of the app: `main.tsx`.)
 */
export function useChange<Variables, Result>(
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

/** For `useChange`: the answer of a call that returns nothing (204), or its refusal thrown. */
export function done(answer: { error?: unknown; response: Response }): void {
  if (!answer.response.ok) unwrap({ ...answer, data: undefined });
}
