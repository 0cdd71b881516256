import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";

/**
 * The listings' query keys. Everything lives under `["listings"]`, which the live stream invalidates
 * when a message is read for watches (`watch.detected`); only what is on screen is read again.
 */
export const listingKeys = {
  all: ["listings"] as const,
  conversation: (id: string) => ["listings", "conversation", id] as const,
  search: (filter: ListingFilter, limit: number) => ["listings", "search", filter, limit] as const,
  stats: (filter: StatsFilter) => ["listings", "stats", filter] as const,
  matches: (conversation: string, message: string, index: number) => ["listings", "matches", conversation, message, index] as const,
};

export type ListingType = Schemas["MessageType"];
export type ListingCondition = Schemas["Condition"];

/** The Listings page's filters as the API takes them; empty strings mean "any". */
export interface ListingFilter {
  type: ListingType | "";
  brand: string;
  model: string;
  reference: string;
  condition: ListingCondition | "";
  minPrice: string;
  maxPrice: string;
  currency: string;
  account: string;
  since: string;
  until: string;
  q: string;
}

export interface StatsFilter {
  account: string;
  since: string;
  until: string;
}

export const NO_FILTER: ListingFilter = {
  type: "",
  brand: "",
  model: "",
  reference: "",
  condition: "",
  minPrice: "",
  maxPrice: "",
  currency: "",
  account: "",
  since: "",
  until: "",
  q: "",
};

const PAGE = 50;
/** The most the API gives in one page: what the price chart draws. */
export const MOST = 200;

const text = (value: string) => (value.trim() === "" ? undefined : value.trim());
const number = (value: string) => (value.trim() === "" ? undefined : Number(value.replace(",", ".")));
/** A date field's day as the start of that day, in the reader's time zone. */
export const dayStart = (value: string) => (value === "" ? undefined : new Date(`${value}T00:00:00`).toISOString());
/** "Until" a day includes that day. */
export const dayEnd = (value: string) => {
  if (value === "") return undefined;
  const next = new Date(`${value}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
};

/** The listings of one conversation, once for all its messages' cards. */
export function useConversationListings(conversation: string, enabled: boolean) {
  return useQuery({
    queryKey: listingKeys.conversation(conversation),
    enabled,
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/listings", { signal, params: { query: { conversation, limit: MOST } } })).listings,
  });
}

export function useListings(filter: ListingFilter, enabled: boolean, limit = PAGE) {
  return useInfiniteQuery({
    queryKey: listingKeys.search(filter, limit),
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }) =>
      unwrap(
        await api.GET("/api/v1/listings", {
          signal,
          params: {
            query: {
              type: filter.type === "" ? undefined : filter.type,
              condition: filter.condition === "" ? undefined : filter.condition,
              brand: text(filter.brand),
              model: text(filter.model),
              reference: text(filter.reference),
              min_price: number(filter.minPrice),
              max_price: number(filter.maxPrice),
              currency: text(filter.currency)?.toUpperCase(),
              account: text(filter.account),
              since: dayStart(filter.since),
              until: dayEnd(filter.until),
              q: text(filter.q),
              limit,
              cursor: pageParam,
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useListingStats(filter: StatsFilter, enabled: boolean) {
  return useQuery({
    queryKey: listingKeys.stats(filter),
    enabled,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/listings/stats", {
          signal,
          params: { query: { account: text(filter.account), since: dayStart(filter.since), until: dayEnd(filter.until) } },
        }),
      ),
  });
}

export function useMatches(conversation: string, message: string, index: number, enabled: boolean) {
  return useQuery({
    queryKey: listingKeys.matches(conversation, message, index),
    enabled,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/listings/matches", {
          signal,
          params: { query: { conversation, message, index, limit: 50 } },
        }),
      ),
  });
}
