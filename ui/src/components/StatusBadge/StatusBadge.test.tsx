import { render, screen } from "@testing-library/react";
import { StatusBadge } from "./StatusBadge";

describe("StatusBadge", () => {
  it("shows the status in its tone", () => {
    render(<StatusBadge status="dead" />);
    const badge = screen.getByText("dead");
    expect(badge).toHaveClass("badge", "tone-danger");
    expect(badge).toHaveAttribute("data-status", "dead");
  });

  it("accepts an explicit tone", () => {
    render(<StatusBadge status="cancel requested" tone="warning" />);
    expect(screen.getByText("cancel requested")).toHaveClass("tone-warning");
  });
});
