import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError, getApiKey } from "../../api/client";
import { renderWithProviders } from "../../test/render";
import { ErrorState } from "./ErrorState";

describe("ErrorState", () => {
  it("says the API is unreachable and offers a retry", async () => {
    const onRetry = vi.fn();
    renderWithProviders(<ErrorState error={new ApiError(0, "unreachable", "x")} onRetry={onRetry} />);
    expect(screen.getByRole("alert")).toHaveTextContent("API unreachable");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it("offers a place to paste an API key on 401, and stores it", async () => {
    renderWithProviders(<ErrorState error={new ApiError(401, "unauthorized", "missing X-API-Key")} onRetry={() => {}} />);
    expect(screen.getByRole("alert")).toHaveTextContent("API key required");
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("API key"), "s3cret");
    await userEvent.click(screen.getByRole("button", { name: "Save key" }));
    expect(getApiKey()).toBe("s3cret");
  });

  it("shows the wait on 429", () => {
    renderWithProviders(<ErrorState error={new ApiError(429, "rate_limited", "slow", null, 4)} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Too many requests; retry in 4 s.");
  });

  it("marks its kind for styling and tests", () => {
    renderWithProviders(<ErrorState error={new ApiError(503, "unavailable", "Redis down")} inline />);
    expect(screen.getByRole("alert")).toHaveAttribute("data-error-kind", "unavailable");
    expect(screen.getByRole("alert")).toHaveClass("inline");
  });
});
