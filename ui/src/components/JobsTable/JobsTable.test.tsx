import { screen, within } from "@testing-library/react";
import { makeJob, renderWithProviders } from "../../test/render";
import { JobsTable } from "./JobsTable";

describe("JobsTable", () => {
  it("links each job to its page and shows attempts out of the allowed total", () => {
    const job = makeJob({ status: "retrying", attempts: 2, max_retries: 3, partition_key: "tenant-7" });
    renderWithProviders(<JobsTable jobs={[job]} nowMs={Date.parse("2025-01-02T03:04:15Z")} />);
    const row = screen.getAllByRole("row")[1];
    expect(within(row).getByRole("link", { name: "0b5f9c1e" })).toHaveAttribute("href", `/jobs/${job.id}`);
    expect(within(row).getByText("retrying")).toHaveClass("tone-warning");
    expect(within(row).getByText("2/4")).toBeInTheDocument();
    expect(within(row).getByText("tenant-7")).toBeInTheDocument();
    expect(within(row).getByText("10 s ago")).toBeInTheDocument();
  });

  it("notes a running job whose cancel was requested", () => {
    renderWithProviders(<JobsTable jobs={[makeJob({ status: "running", cancel_requested: true })]} nowMs={0} />);
    expect(screen.getByText("cancelling")).toBeInTheDocument();
  });
});
