import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { makeJob, renderWithProviders } from "../../test/render";
import { DeadLettersTable } from "./DeadLettersTable";

const jobs = [
  makeJob({ id: "aaaaaaaa-1", status: "dead", attempts: 4, last_error: "ValueError: boom" }),
  makeJob({ id: "bbbbbbbb-2", status: "dead", attempts: 1, last_error: "TimeoutError" }),
];

function setup(selected = new Set<string>()) {
  const props = { onToggle: vi.fn(), onToggleAll: vi.fn(), onReplay: vi.fn() };
  renderWithProviders(<DeadLettersTable jobs={jobs} selected={selected} nowMs={0} {...props} />);
  return props;
}

describe("DeadLettersTable", () => {
  it("shows the last error and attempts", () => {
    setup();
    expect(screen.getByText("ValueError: boom")).toBeInTheDocument();
    expect(screen.getByText("TimeoutError").closest("td")).toHaveAttribute("title", "TimeoutError");
  });

  it("toggles one row or the whole page", async () => {
    const { onToggle, onToggleAll } = setup();
    await userEvent.click(screen.getByLabelText("Select job bbbbbbbb-2"));
    expect(onToggle).toHaveBeenCalledWith("bbbbbbbb-2");
    await userEvent.click(screen.getByLabelText("Select all on this page"));
    expect(onToggleAll).toHaveBeenCalledWith(true);
  });

  it("checks select-all when every row is selected", () => {
    setup(new Set(["aaaaaaaa-1", "bbbbbbbb-2"]));
    expect(screen.getByLabelText("Select all on this page")).toBeChecked();
  });

  it("replays a single row", async () => {
    const { onReplay } = setup();
    await userEvent.click(screen.getAllByRole("button", { name: "Replay" })[0]);
    expect(onReplay).toHaveBeenCalledWith(jobs[0]);
  });
});
