import { screen } from "@testing-library/react";
import { renderWithProviders } from "../test/render";
import { mockApi } from "../test/mockApi";
import { OverviewPage } from "./OverviewPage";

const METRICS = {
  jobs_by_status: { queued: 12, scheduled: 0, running: 3, retrying: 1, succeeded: 1500, dead: 2, cancelled: 0 },
  dlq_depth: 2,
  jobs_created_total: 1518,
  jobs_completed_total: 1500,
  jobs_failed_attempts_total: 9,
  jobs_retried_total: 7,
  jobs_dead_total: 2,
  jobs_cancelled_total: 0,
  queue_backlog: 12,
  oldest_queued_age_s: 4.2,
};
const SERIES = { bucket_s: 10, points: [{ t: "2025-01-02T03:04:00Z", created: 20, completed: 10, failed: 1, avg_wait_ms: 12, avg_run_ms: 30 }] };
const WORKERS = { items: [{ name: "w-1", host: "box", pid: 1, started_at: null, heartbeat_age_s: 1, concurrency: 8, in_flight: 3, processed: 1500, failed: 9 }] };

afterEach(() => vi.unstubAllGlobals());

describe("OverviewPage", () => {
  it("shows counts, backlog age, rates and workers", async () => {
    mockApi({ "GET /metrics": METRICS, "GET /metrics/timeseries": SERIES, "GET /workers": WORKERS });
    renderWithProviders(<OverviewPage />);
    expect(await screen.findByTestId("stat-backlog")).toHaveTextContent("12");
    expect(screen.getByTestId("stat-oldest")).toHaveTextContent("4.2 s");
    expect(screen.getByTestId("stat-dlq")).toHaveClass("tone-border-danger");
    expect(screen.getByTestId("stat-created")).toHaveTextContent("1,5182/s");
    expect(screen.getByTestId("count-succeeded")).toHaveTextContent("1,500");
    expect(await screen.findByTestId("stat-workers")).toHaveTextContent("1all heartbeats fresh");
    expect(screen.getByTestId("workers-table")).toHaveTextContent("3/8");
  });

  it("shows the unreachable state when the API cannot be reached", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    renderWithProviders(<OverviewPage />);
    expect(await screen.findByRole("alert")).toHaveTextContent("API unreachable");
  });
});
