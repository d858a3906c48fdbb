import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError, getApiKey } from "../../api/client";
import { renderWithProviders } from "../../test/render";
import { INFO } from "../../test/fixtures";
import { Layout } from "./Layout";

describe("Layout", () => {
  it("shows navigation, environment and a live connection", () => {
    renderWithProviders(
      <Layout info={INFO} infoError={null}>
        <p>content</p>
      </Layout>,
      { route: "/jobs" },
    );
    expect(screen.getByRole("link", { name: "Jobs" })).toHaveClass("active");
    expect(screen.getByRole("link", { name: "Overview" })).not.toHaveClass("active");
    expect(screen.getByText("development")).toBeInTheDocument();
    expect(screen.getByTestId("connection")).toHaveTextContent("Connected");
    expect(screen.getByRole("main")).toHaveTextContent("content");
  });

  it("says when the API is unreachable", () => {
    renderWithProviders(
      <Layout info={INFO} infoError={new ApiError(0, "unreachable", "")}>
        <p />
      </Layout>,
    );
    expect(screen.getByTestId("connection")).toHaveTextContent("API unreachable");
    expect(screen.getByTestId("connection")).toHaveClass("down");
  });

  it("lets the operator set an API key from the header", async () => {
    renderWithProviders(
      <Layout info={undefined} infoError={null}>
        <p />
      </Layout>,
    );
    expect(screen.getByTestId("connection")).toHaveTextContent("Connecting…");
    await userEvent.click(screen.getByRole("button", { name: "API key" }));
    await userEvent.type(screen.getByLabelText("API key"), "k{Enter}");
    expect(getApiKey()).toBe("k");
    expect(screen.getByRole("button", { name: "API key ✓" })).toHaveAttribute("aria-expanded", "false");
  });
});
