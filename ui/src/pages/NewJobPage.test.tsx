import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { makeJob, renderWithProviders } from "../test/render";
import { json, mockApi } from "../test/mockApi";
import { INFO, TASKS } from "../test/fixtures";
import { NewJobPage } from "./NewJobPage";

function renderPage() {
  return renderWithProviders(
    <Routes>
      <Route path="/new" element={<NewJobPage />} />
      <Route path="/jobs/:id" element={<p>job page</p>} />
    </Routes>,
    { route: "/new" },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("NewJobPage", () => {
  it("creates a job with only the fields that were set, then opens it", async () => {
    const { calls } = mockApi({ "GET /tasks": TASKS, "GET /info": INFO, "POST /jobs": makeJob({ id: "new-1" }) });
    renderPage();
    const form = await screen.findByRole("form", { name: "New job" });
    await userEvent.selectOptions(screen.getByLabelText("Task type", { selector: "#task-type" }), "sleep");
    expect(screen.getByLabelText("Payload (JSON object)")).toHaveValue('{\n  "seconds": 2\n}');
    expect(form).toHaveTextContent("timeout 1m · 2 retries");
    await userEvent.type(screen.getByLabelText("Max retries"), "0");
    await userEvent.type(screen.getByLabelText("Idempotency key"), "abc");
    await userEvent.click(screen.getByRole("button", { name: "Create job" }));
    expect(await screen.findByText("job page")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toEqual({ task_type: "sleep", payload: { seconds: 2 }, max_retries: 0 });
    expect(post?.headers["Idempotency-Key"]).toBe("abc");
  });

  it("refuses invalid JSON before sending anything", async () => {
    const { calls } = mockApi({ "GET /tasks": TASKS, "GET /info": INFO });
    renderPage();
    const payload = await screen.findByLabelText("Payload (JSON object)");
    await userEvent.clear(payload);
    await userEvent.type(payload, "[[1]");
    expect(screen.getByText(/must be a JSON object|Invalid JSON/)).toBeInTheDocument();
    expect(payload).toHaveAttribute("aria-invalid", "true");
    await userEvent.click(screen.getByRole("button", { name: "Create job" }));
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("shows the API's refusal, e.g. an unknown task type", async () => {
    mockApi({
      "GET /tasks": TASKS,
      "GET /info": INFO,
      "POST /jobs": json({ error: { code: "InvalidRequest", message: "unknown task type; known: echo, sleep" } }, 422),
    });
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Create job" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("unknown task type; known: echo, sleep");
  });

  it("hides the dev generator when the API has no dev routes", async () => {
    mockApi({ "GET /tasks": TASKS, "GET /info": { ...INFO, environment: "production", dev_routes: false } });
    renderPage();
    await screen.findByRole("form", { name: "New job" });
    await waitFor(() => expect(screen.queryByTestId("dev-generator")).not.toBeInTheDocument());
  });

  it("shows the dev generator in development", async () => {
    mockApi({ "GET /tasks": TASKS, "GET /info": INFO });
    renderPage();
    expect(await screen.findByTestId("dev-generator")).toBeInTheDocument();
  });
});
