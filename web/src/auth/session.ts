import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, apiError, unwrap, type Me, type Schemas } from "../api/client";
import { keys } from "../api/queries";

/**
 * Who is signed in: `null` when nobody is (the server answered 401). The session is an HttpOnly cookie
 * the server sets on sign-in; this app never holds a token.
 */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async ({ signal }): Promise<Me | null> => {
      const answer = await api.GET("/api/v1/auth/me", { signal });
      if (answer.response.status === 401) return null;
      return unwrap(answer);
    },
    staleTime: 5 * 60_000,
  });
}

/** Whether the install has no user yet, so the first admin must be created. */
export function useSetupNeeded(enabled: boolean) {
  return useQuery({
    queryKey: keys.setup,
    enabled,
    queryFn: async ({ signal }): Promise<boolean> => unwrap(await api.GET("/api/v1/auth/setup", { signal })).needed,
  });
}

// `cookie: true`: the session is an HttpOnly cookie, and the answer carries no token.
type SignInBody = Schemas["Credentials"];
type SetupBody = Schemas["Setup"];

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: { email: string; password: string }) => {
      const body: SignInBody = { ...credentials, cookie: true };
      return unwrap(await api.POST("/api/v1/auth/sign-in", { body }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: keys.me }),
  });
}

export function useSetup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (admin: { email: string; password: string; name: string }) => {
      const body: SetupBody = { ...admin, name: admin.name.trim() === "" ? undefined : admin.name, cookie: true };
      return unwrap(await api.POST("/api/v1/auth/setup", { body }));
    },
    onSuccess: async () => {
      client.setQueryData(keys.setup, false);
      await client.invalidateQueries({ queryKey: keys.me });
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const answer = await api.POST("/api/v1/auth/sign-out");
      // Already signed out counts as signed out.
      if (!answer.response.ok && answer.response.status !== 401) throw apiError(answer.response.status, answer.error);
    },
    onSettled: () => {
      // Signed out at once; nothing of this user stays cached for whoever signs in next.
      client.setQueryData(keys.me, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.me[0] });
    },
  });
}
