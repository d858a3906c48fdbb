import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { makeJob, renderWithProviders } from "../test/render";
import { json, mockApi } from "../test/mockApi";
import { JobPage } from "./JobPage";

const running = {
  ...makeJob({ id: "job-1", task_type: "sleep", status: "running", attempts: 1, started_at: "2025-01-02T03:04:06Z", payload: { seconds: 30 } }),
  history: [{ attempt: 1, worker: "w-1", started_at: "2025-01-02T03:04:06Z", finished_at: null, outcome: null, error: null }],
};

function renderPage(id = "job-1") {
  return renderWithProviders(
    <Routes>
      <Route path="/jobs/:id" element={<JobPage />} />
    </Routes>,
    { route: `/jobs/${id}` },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("JobPage", () => {
  it("shows payload, attempts and a cancel button for a running job", async () => {
    mockApi({ "GET /jobs/job-1": running });
    renderPage();
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("job-1running");
    expect(screen.getByTestId("payload")).toHaveTextContent('"seconds": 30');
    expect(screen.getByText("not finished yet")).toBeInTheDocument();
    const attempt = within(screen.getByTestId("attempts-table")).getAllByRole("row")[1];
    expect(attempt).toHaveTextContent("w-1");
    expect(attempt).toHaveTextContent("running");
    expect(screen.getByRole("button", { name: "Cancel job" })).toBeEnabled();
  });

  it("cancels after confirmation", async () => {
    let current: Record<string, unknown> = running;
    const { history: _history, ...publicJob } = running;
    const cancelled = { ...publicJob, status: "cancelled", finished_at: "2025-01-02T03:04:09Z" };
    const { calls } = mockApi({
      "GET /jobs/job-1": () => current,
      "POST /jobs/job-1/cancel": () => {
        current = { ...cancelled, history: running.history };
        return cancelled;
      },
    });
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel job" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Cancel job" }));
    expect(calls.some((c) => c.method === "POST" && c.path === "/jobs/job-1/cancel")).toBe(true);
    expect(await screen.findByText("cancelled", { selector: "h1 .badge" })).toBeInTheDocument();
  });

  it("explains a 409 when the job finished first", async () => {
    mockApi({
      "GET /jobs/job-1": running,
      "POST /jobs/job-1/cancel": json({ error: { code: "JobAlreadyFinished", message: "job job-1 already succeeded" } }, 409),
    });
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel job" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Cancel job" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("job job-1 already succeeded");
  });

  it("has no cancel button once finished, and shows the last error", async () => {
    mockApi({ "GET /jobs/job-1": { ...running, status: "dead", last_error: "RuntimeError: boom", finished_at: "2025-01-02T03:04:09Z" } });
    renderPage();
    expect(await screen.findByTestId("last-error")).toHaveTextContent("RuntimeError: boom");
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
  });

  it("says when the job does not exist", async () => {
    mockApi({});
    renderPage("nope");
    expect(await screen.findByText("Job not found")).toBeInTheDocument();
  });
});
