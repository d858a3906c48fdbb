import { render, screen } from "@testing-library/react";
import { LatencyChart, ThroughputChart } from "./TimeseriesChart";
import { toChartPoints } from "../../lib/timeseries";

describe("TimeseriesChart", () => {
  it("says when the window is empty", () => {
    render(<ThroughputChart points={[]} />);
    expect(screen.getByText("No activity in this window")).toBeInTheDocument();
  });

  it("says when nothing completed, so latency is unknown", () => {
    render(<LatencyChart points={toChartPoints([{ t: "2025-01-02T03:04:00Z", created: 1, completed: 0, failed: 0 }], 10)} />);
    expect(screen.getByText("No completed jobs in this window")).toBeInTheDocument();
  });

  it("renders a labelled chart when there is data", () => {
    render(<ThroughputChart points={toChartPoints([{ t: "2025-01-02T03:04:00Z", created: 1, completed: 1, failed: 0 }], 10)} />);
    expect(screen.getByRole("img", { name: "Throughput in jobs per second" })).toBeInTheDocument();
  });
});
