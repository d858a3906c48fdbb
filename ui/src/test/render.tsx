import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Job } from "../api/types";

/** Render inside a router and a fresh QueryClient that never retries, as the app would. */
export function renderWithProviders(ui: ReactElement, { route = "/" }: { route?: string } = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}

/** A Job as the API returns it, with overrides. */
export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    id: "0b5f9c1e-7a4d-4c35-9a51-2f1f5e0b1c2d",
    task_type: "echo",
    payload: { message: "hi" },
    status: "queued",
    attempts: 0,
    max_retries: 3,
    partition_key: null,
    created_at: "2025-01-02T03:04:05Z",
    updated_at: "2025-01-02T03:04:05Z",
    started_at: null,
    finished_at: null,
    last_error: null,
    result: null,
    timeout_s: 30,
    scheduled_for: null,
    cancel_requested: false,
    ...overrides,
  };
}
