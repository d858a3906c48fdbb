import { screen } from "@testing-library/react";
import { renderWithProviders } from "../../test/render";
import { StatusBreakdown } from "./StatusBreakdown";

describe("StatusBreakdown", () => {
  it("lists every status with its count and links to the filtered list", () => {
    renderWithProviders(<StatusBreakdown counts={{ queued: 1200, dead: 3 }} />);
    expect(screen.getByTestId("count-queued")).toHaveTextContent("queued1,200");
    expect(screen.getByTestId("count-running")).toHaveTextContent("running0");
    expect(screen.getByTestId("count-dead").querySelector("a")).toHaveAttribute("href", "/jobs?status=dead");
    expect(screen.getByRole("img")).toHaveAttribute("aria-label", "1,203 jobs by status");
  });

  it("keeps statuses it does not know about", () => {
    renderWithProviders(<StatusBreakdown counts={{ paused: 2 }} />);
    expect(screen.getByTestId("count-paused")).toHaveTextContent("paused2");
  });
});
