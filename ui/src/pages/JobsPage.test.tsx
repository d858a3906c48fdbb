import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { makeJob, renderWithProviders } from "../test/render";
import { mockApi } from "../test/mockApi";
import { TASKS } from "../test/fixtures";
import { JobsPage } from "./JobsPage";

function renderPage(route = "/jobs") {
  return renderWithProviders(
    <Routes>
      <Route path="/jobs" element={<JobsPage />} />
      <Route path="/jobs/:id" element={<p>job page</p>} />
    </Routes>,
    { route },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("JobsPage", () => {
  it("reads filters from the URL and sends them to the API", async () => {
    const { fetchMock } = mockApi({ "GET /tasks": TASKS, "GET /jobs": { items: [makeJob({ status: "dead" })], next_cursor: null } });
    renderPage("/jobs?status=dead&task_type=echo");
    expect(await screen.findByTestId("jobs-table")).toBeInTheDocument();
    const listUrl = fetchMock.mock.calls.map(([u]) => String(u)).find((u) => u.startsWith("/jobs?"));
    expect(listUrl).toBe("/jobs?status=dead&task_type=echo&limit=50");
    expect(screen.getByLabelText("Status")).toHaveValue("dead");
  });

  it("pages with the cursor the API returned", async () => {
    const { fetchMock } = mockApi({
      "GET /tasks": TASKS,
      "GET /jobs": ({ url }: { url: URL }) =>
        url.searchParams.get("cursor") === "c2" ? { items: [makeJob({ id: "older" })], next_cursor: null } : { items: [makeJob({ id: "newer" })], next_cursor: "c2" },
    });
    renderPage();
    expect(await screen.findByRole("link", { name: "newer" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Older →" }));
    expect(await screen.findByRole("link", { name: "older" })).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([u]) => String(u).includes("cursor=c2"))).toBe(true);
  });

  it("says when no job matches the filters", async () => {
    mockApi({ "GET /tasks": TASKS, "GET /jobs": { items: [], next_cursor: null } });
    renderPage("/jobs?status=cancelled");
    expect(await screen.findByText("No jobs match these filters")).toBeInTheDocument();
  });

  it("jumps to a job by id", async () => {
    mockApi({ "GET /tasks": TASKS, "GET /jobs": { items: [], next_cursor: null } });
    renderPage();
    await userEvent.type(screen.getByLabelText("Job id"), "01a21e5e158fff4257db-0{Enter}");
    expect(await screen.findByText("job page")).toBeInTheDocument();
  });
});
