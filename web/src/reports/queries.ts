import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { reportQuery, type ReportFilter } from "./logic";

export type ReportFigures = Schemas["ReportFigures"];
export type AgentReport = Schemas["AgentReport"];
export type GroupFigures = Schemas["GroupFigures"];

/** The reports' query keys: everything under `["reports"]`, one entry per report and range. */
export const reportKeys = {
  all: ["reports"] as const,
  one: (report: string, filter: ReportFilter) => ["reports", report, filter] as const,
};

/** Counted figures change slowly: a minute old is fresh enough, and a refocus does not count again. */
const FRESH = 60_000;

export function useSummary(filter: ReportFilter) {
  return useQuery({
    queryKey: reportKeys.one("summary", filter),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/reports/summary", { signal, params: { query: reportQuery(filter) } })),
    staleTime: FRESH,
  });
}

export function useVolume(filter: ReportFilter) {
  return useQuery({
    queryKey: reportKeys.one("volume", filter),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/reports/volume", { signal, params: { query: reportQuery(filter) } })),
    staleTime: FRESH,
  });
}

export function useAgentsReport(filter: ReportFilter) {
  return useQuery({
    queryKey: reportKeys.one("agents", filter),
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/reports/agents", { signal, params: { query: reportQuery(filter) } })),
    staleTime: FRESH,
  });
}

export function useBreakdown(by: "accounts" | "labels", filter: ReportFilter) {
  return useQuery({
    queryKey: reportKeys.one(by, filter),
    queryFn: async ({ signal }) =>
      unwrap(
        by === "accounts"
          ? await api.GET("/api/v1/reports/accounts", { signal, params: { query: reportQuery(filter) } })
          : await api.GET("/api/v1/reports/labels", { signal, params: { query: reportQuery(filter) } }),
      ),
    staleTime: FRESH,
  });
}

/** The labels and agents, for names (both need `conversations.view`; without it ids are shown). */
export function useNames(enabled: boolean) {
  const labels = useQuery({
    queryKey: ["reports", "names", "labels"],
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/labels", { signal })),
    staleTime: FRESH,
  });
  const agents = useQuery({
    queryKey: ["reports", "names", "agents"],
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/agents", { signal })),
    staleTime: FRESH,
  });
  return {
    labels: labels.data ?? [],
    agentName: (id: string) => {
      const agent = agents.data?.find((a) => a.id === id);
      return agent ? (agent.name ?? agent.email) : id;
    },
    labelName: (id: string) => labels.data?.find((l) => l.id === id)?.name ?? id,
  };
}
