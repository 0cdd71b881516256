import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, ApiError, unwrap } from "../api/client";
import { keys } from "../api/queries";

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
 * A change made in the settings: on success the lists it touches are refetched; a refusal for want of a
 * session (signed out elsewhere, disabled) shows the sign-in screen, as a failed load does.
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
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) client.setQueryData(keys.me, null);
    },
  });
}

/** For `useChange`: the answer of a call that returns nothing (204), or its refusal thrown. */
export function done(answer: { error?: unknown; response: Response }): void {
  if (!answer.response.ok) unwrap({ ...answer, data: undefined });
}
