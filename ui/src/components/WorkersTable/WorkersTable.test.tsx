import { render, screen, within } from "@testing-library/react";
import { WorkersTable } from "./WorkersTable";

const worker = (overrides = {}) => ({
  name: "w-1",
  host: "box",
  pid: 42,
  started_at: "2025-01-02T03:00:00Z",
  heartbeat_age_s: 1.2,
  concurrency: 8,
  in_flight: 3,
  processed: 1500,
  failed: 2,
  ...overrides,
});

describe("WorkersTable", () => {
  it("shows load, totals and a fresh heartbeat", () => {
    render(<WorkersTable workers={[worker()]} nowMs={Date.parse("2025-01-02T03:05:00Z")} />);
    const row = screen.getAllByRole("row")[1];
    expect(within(row).getByText("3/8")).toBeInTheDocument();
    expect(within(row).getByText("1,500")).toBeInTheDocument();
    expect(within(row).getByText("1.2 s ago").closest(".heartbeat")).toHaveClass("fresh");
    expect(within(row).getByText("5m ago")).toBeInTheDocument();
  });

  it("flags a late heartbeat", () => {
    render(<WorkersTable workers={[worker({ heartbeat_age_s: 40 })]} nowMs={0} />);
    expect(screen.getByText("40 s ago").closest(".heartbeat")).toHaveClass("stale");
  });

  it("says when no worker is running", () => {
    render(<WorkersTable workers={[]} nowMs={0} />);
    expect(screen.getByText("No workers")).toBeInTheDocument();
  });
});
