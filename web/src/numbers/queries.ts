import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";

/**
 * The Graph API calls of the number screens. Each is a round trip to Meta through the server, so answers
 * are kept a minute and a refusal is not retried (the app's default); `["templates", id]` is the prefix
 * the composer's template picker uses too, so a created or deleted template shows there as well.
 */
export const numberKeys = {
  phoneNumber: (id: string) => ["numbers", id, "phone-number"] as const,
  businessAccount: (id: string) => ["numbers", id, "business-account"] as const,
  profile: (id: string) => ["numbers", id, "profile"] as const,
  subscription: (id: string) => ["numbers", id, "subscription"] as const,
  token: (id: string) => ["numbers", id, "token"] as const,
  templates: (id: string) => ["templates", id] as const,
  templateList: (id: string, status: string) => ["templates", id, "manage", status] as const,
  teamwork: (id: string) => ["numbers", id, "teamwork"] as const,
};

const META = 60_000;

export function usePhoneNumber(id: string) {
  return useQuery({
    queryKey: numberKeys.phoneNumber(id),
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/accounts/{id}/phone-number", { signal, params: { path: { id } } })),
  });
}

export function useBusinessAccount(id: string, enabled: boolean) {
  return useQuery({
    queryKey: numberKeys.businessAccount(id),
    enabled,
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/accounts/{id}/business-account", { signal, params: { path: { id } } })),
  });
}

export function useProfile(id: string) {
  return useQuery({
    queryKey: numberKeys.profile(id),
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/accounts/{id}/profile", { signal, params: { path: { id } } })),
  });
}

export function useUpdateProfile(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (changes: Schemas["ProfileUpdate"]) =>
      unwrap(await api.PATCH("/api/v1/accounts/{id}/profile", { params: { path: { id } }, body: changes })),
    onSuccess: (profile) => client.setQueryData(numberKeys.profile(id), profile),
  });
}

/** Meta's own filters: an exact name and a status; the search by part of a name is done here. */
export function useTemplates(id: string, status: string) {
  return useQuery({
    queryKey: numberKeys.templateList(id, status),
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/accounts/{id}/templates", {
          signal,
          params: { path: { id }, query: { status: status === "" ? undefined : status, limit: 100 } },
        }),
      ),
  });
}

export function useCreateTemplate(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (template: Schemas["NewTemplate"]) =>
      unwrap(await api.POST("/api/v1/accounts/{id}/templates", { params: { path: { id } }, body: template })),
    onSuccess: () => client.invalidateQueries({ queryKey: numberKeys.templates(id) }),
  });
}

/** Deletes a template in every language, or one language's (`templateId`). */
export function useDeleteTemplate(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ name, templateId }: { name: string; templateId?: string }) =>
      unwrap(
        await api.DELETE("/api/v1/accounts/{id}/templates/{name}", {
          params: { path: { id, name }, query: { template_id: templateId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: numberKeys.templates(id) }),
  });
}

export function useSubscription(id: string) {
  return useQuery({
    queryKey: numberKeys.subscription(id),
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/accounts/{id}/subscription", { signal, params: { path: { id } } })),
  });
}

export function useSetSubscription(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (subscribe: boolean) =>
      unwrap(
        subscribe
          ? await api.PUT("/api/v1/accounts/{id}/subscription", { params: { path: { id } }, body: {} })
          : await api.DELETE("/api/v1/accounts/{id}/subscription", { params: { path: { id } } }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: numberKeys.subscription(id) }),
  });
}

/** Shown only to those who may manage the number (the server refuses others). */
export function useToken(id: string) {
  return useQuery({
    queryKey: numberKeys.token(id),
    staleTime: META,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/accounts/{id}/token", { signal, params: { path: { id } } })),
  });
}

/** The number's team-work settings (business hours, away message, automatic assignment). */
export function useTeamworkSettings(id: string) {
  return useQuery({
    queryKey: numberKeys.teamwork(id),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/accounts/{id}/teamwork", { signal, params: { path: { id } } })),
  });
}

export function useSaveTeamworkSettings(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["Teamwork"]) =>
      unwrap(await api.PUT("/api/v1/accounts/{id}/teamwork", { params: { path: { id } }, body })),
    onSuccess: (saved) => client.setQueryData(numberKeys.teamwork(id), saved),
  });
}
