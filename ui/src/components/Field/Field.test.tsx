import { render, screen } from "@testing-library/react";
import { Field } from "./Field";

describe("Field", () => {
  it("labels the control and describes it with the hint", () => {
    render(
      <Field label="Delay (ms)" hint="run no sooner than this">
        <input id="delay" />
      </Field>,
    );
    const input = screen.getByLabelText("Delay (ms)");
    expect(input).toHaveAccessibleDescription("run no sooner than this");
    expect(input).toHaveAttribute("aria-invalid", "false");
  });

  it("shows the error instead of the hint and marks the control invalid", () => {
    render(
      <Field label="Payload" hint="JSON" error="Invalid JSON">
        <textarea id="payload" />
      </Field>,
    );
    const input = screen.getByLabelText("Payload");
    expect(input).toHaveAccessibleDescription("Invalid JSON");
    expect(input).toHaveAttribute("aria-invalid", "true");
  });
});
