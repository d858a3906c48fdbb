import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { getApiKey, setApiKey } from "../../api/client";
import { ApiKeyForm } from "./ApiKeyForm";

describe("ApiKeyForm", () => {
  it("saves a pasted key", async () => {
    const onSaved = vi.fn();
    render(<ApiKeyForm onSaved={onSaved} />);
    expect(screen.getByRole("button", { name: "Save key" })).toBeDisabled();
    await userEvent.type(screen.getByLabelText("API key"), "abc{Enter}");
    expect(getApiKey()).toBe("abc");
    expect(onSaved).toHaveBeenCalledOnce();
  });

  it("forgets a stored key", async () => {
    setApiKey("old");
    const onSaved = vi.fn();
    render(<ApiKeyForm onSaved={onSaved} />);
    expect(screen.getByLabelText("API key")).toHaveValue("old");
    await userEvent.click(screen.getByRole("button", { name: "Forget" }));
    expect(getApiKey()).toBeNull();
    expect(onSaved).toHaveBeenCalledOnce();
  });
});
