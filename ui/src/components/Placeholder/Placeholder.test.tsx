import { render, screen } from "@testing-library/react";
import { EmptyState, Loading } from "./Placeholder";

describe("Placeholder", () => {
  it("announces loading", () => {
    render(<Loading label="Loading jobs…" />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading jobs…");
  });

  it("shows an empty state with its next step", () => {
    render(<EmptyState title="No dead letters">Jobs that exhaust their retries land here.</EmptyState>);
    expect(screen.getByText("No dead letters")).toBeInTheDocument();
    expect(screen.getByText("Jobs that exhaust their retries land here.")).toBeInTheDocument();
  });
});
