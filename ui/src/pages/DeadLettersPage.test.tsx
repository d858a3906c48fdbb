import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { makeJob, renderWithProviders } from "../test/render";
import { mockApi } from "../test/mockApi";
import { DeadLettersPage } from "./DeadLettersPage";

const dead = [
  makeJob({ id: "dead-aaaa-1", status: "dead", attempts: 4, last_error: "ValueError: boom" }),
  makeJob({ id: "dead-bbbb-2", status: "dead", attempts: 1, last_error: "TimeoutError" }),
];

afterEach(() => vi.unstubAllGlobals());

describe("DeadLettersPage", () => {
  it("replays the selected jobs after confirmation", async () => {
    const { calls } = mockApi({ "GET /dlq": { items: dead, next_cursor: null }, "POST /dlq/replay": { items: dead } });
    renderWithProviders(<DeadLettersPage />);
    await userEvent.click(await screen.findByLabelText("Select all on this page"));
    await userEvent.click(screen.getByRole("button", { name: "Replay selected (2)" }));
    const dialog = screen.getByRole("dialog", { name: "Replay 2 jobs?" });
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Replay" }));
    expect(await screen.findByText("Replayed 2 jobs.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ ids: ["dead-aaaa-1", "dead-bbbb-2"] });
  });

  it("does nothing when the confirmation is cancelled", async () => {
    const { calls } = mockApi({ "GET /dlq": { items: dead, next_cursor: null } });
    renderWithProviders(<DeadLettersPage />);
    await userEvent.click((await screen.findAllByRole("button", { name: "Replay" }))[0]);
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(calls.every((c) => c.method === "GET")).toBe(true);
  });

  it("purges after a danger confirmation", async () => {
    const { calls } = mockApi({ "GET /dlq": { items: dead, next_cursor: null }, "DELETE /dlq": { purged: 2 } });
    renderWithProviders(<DeadLettersPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Purge all" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Purge every dead letter?" })).getByRole("button", { name: "Purge" }));
    expect(await screen.findByText("Purged 2 dead letters.")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
  });

  it("says when the queue has no dead letters", async () => {
    mockApi({ "GET /dlq": { items: [], next_cursor: null } });
    renderWithProviders(<DeadLettersPage />);
    expect(await screen.findByText("No dead letters")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Purge all" })).toBeDisabled();
  });
});
