import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { HashRouter } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App } from "./App";
import { isRetryable } from "./lib/errors";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // one quick retry for transient failures, so a stopped API shows within a second or two
      retry: (failures, error) => failures < 1 && isRetryable(error),
      retryDelay: 500,
      staleTime: 1_000,
    },
  },
});

// a hash router: the API owns the real paths (/jobs, /dlq, …) on this origin
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <HashRouter>
        <App />
      </HashRouter>
    </QueryClientProvider>
  </StrictMode>,
);
