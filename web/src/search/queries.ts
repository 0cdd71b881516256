import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { apiQuery, type SearchState } from "./logic";

/** Search results live under `["search"]`: a page of its own, read again when it is opened again. */
export const searchKeys = {
  all: ["search"] as const,
  results: (state: SearchState, limit: number) => ["search", state, limit] as const,
};

/** The messages matching `state`, `limit` at a time, each next page through the API's cursor. */
export function useSearch(state: SearchState, enabled: boolean, limit = 20) {
  return useInfiniteQuery({
    queryKey: searchKeys.results(state, limit),
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }) =>
      unwrap(await api.GET("/api/v1/search", { signal, params: { query: { ...apiQuery(state), limit, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** "Ask the history": the model's answer over the messages found, citing those it used. */
export function useAskHistory() {
  return useMutation({
    mutationFn: async (body: Schemas["AskHistory"]) => unwrap(await api.POST("/api/v1/search/answer", { body })),
  });
}
