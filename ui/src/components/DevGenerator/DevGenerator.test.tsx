import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders } from "../../test/render";
import { TASKS } from "../../test/fixtures";
import { DevGenerator } from "./DevGenerator";

function setup(overrides: Partial<Parameters<typeof DevGenerator>[0]> = {}) {
  const onGenerate = vi.fn();
  renderWithProviders(<DevGenerator tasks={TASKS.items} onGenerate={onGenerate} isPending={false} result={undefined} error={null} {...overrides} />);
  return { onGenerate };
}

describe("DevGenerator", () => {
  it("asks for the jobs described by the form", async () => {
    const { onGenerate } = setup();
    await userEvent.clear(screen.getByLabelText("Count"));
    await userEvent.type(screen.getByLabelText("Count"), "250");
    await userEvent.selectOptions(screen.getByLabelText("Task type"), "sleep");
    await userEvent.type(screen.getByLabelText("Partition key prefix"), "tenant-");
    await userEvent.type(screen.getByLabelText(/Payload template/), '{{"seconds": 0.1}');
    await userEvent.click(screen.getByRole("button", { name: "Generate jobs" }));
    expect(onGenerate).toHaveBeenCalledWith({ count: 250, task_type: "sleep", partition_key_prefix: "tenant-", payload_template: { seconds: 0.1 } });
  });

  it("blocks an invalid count or template", async () => {
    const { onGenerate } = setup();
    await userEvent.clear(screen.getByLabelText("Count"));
    expect(screen.getByText("Required.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Generate jobs" })).toBeDisabled();
    await userEvent.type(screen.getByLabelText("Count"), "5");
    await userEvent.type(screen.getByLabelText(/Payload template/), "[[]");
    expect(screen.getByRole("button", { name: "Generate jobs" })).toBeDisabled();
    expect(onGenerate).not.toHaveBeenCalled();
  });

  it("reports how many jobs were queued and links the first", () => {
    setup({ result: { count: 100, ids: ["01a21e5e158fff4257db-0"] } });
    expect(screen.getByRole("status")).toHaveTextContent("Queued 100 jobs · first: 01a21e5e158fff4257db-0");
    expect(screen.getByRole("link", { name: "01a21e5e158fff4257db-0" })).toHaveAttribute("href", "/jobs/01a21e5e158fff4257db-0");
  });
});
