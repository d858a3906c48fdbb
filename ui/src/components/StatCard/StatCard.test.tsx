import { render, screen } from "@testing-library/react";
import { StatCard } from "./StatCard";

describe("StatCard", () => {
  it("shows label, value and hint", () => {
    render(<StatCard label="Backlog" value="1,234" hint="queued" tone="danger" testId="stat" />);
    const card = screen.getByTestId("stat");
    expect(card).toHaveTextContent("Backlog1,234queued");
    expect(card).toHaveClass("tone-border-danger");
  });
});
