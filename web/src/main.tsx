import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ApiError } from "./api/client";
import { conversationList, FIRST_FILTER, keys } from "./api/queries";
import { App } from "./App";
import { I18nProvider } from "./i18n/i18n";
import { ThemeProvider } from "./prefs/theme";
import "./styles.css";

// The live stream keeps the cache current, so nothing refetches just because a window got focus.
// A session that ended (expired, signed out elsewhere, user disabled) shows the sign-in screen instead of
// errors, whether a read or a change found out.
const queryClient: QueryClient = new QueryClient({
  defaultOptions: {
    queries: {
      refetchOnWindowFocus: false,
      staleTime: 30_000,
      // A refusal (not found, forbidden) is an answer: only failures of the network or the server retry.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
  queryCache: new QueryCache({ onError: (error) => sessionEnded(error) }),
  mutationCache: new MutationCache({ onError: (error) => sessionEnded(error) }),
});

function sessionEnded(error: unknown) {
  if (error instanceof ApiError && error.status === 401) queryClient.setQueryData(keys.me, null);
}

// Signed in, the inbox needs its code and its first conversations at once: they are asked for together
// with who is signed in, not one after the other (signed out, the list's 401 only confirms it).
void import("./inbox/InboxScreen");
void queryClient.prefetchInfiniteQuery(conversationList(FIRST_FILTER));

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <ThemeProvider>
          <App />
        </ThemeProvider>
      </I18nProvider>
    </QueryClientProvider>
  </StrictMode>,
);
