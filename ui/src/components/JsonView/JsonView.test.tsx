import { render, screen } from "@testing-library/react";
import { JsonView } from "./JsonView";

describe("JsonView", () => {
  it("pretty-prints the value under its title", () => {
    render(<JsonView title="Payload" value={{ seconds: 2 }} testId="payload" />);
    expect(screen.getByRole("region", { name: "Payload" })).toBeInTheDocument();
    expect(screen.getByTestId("payload").textContent).toBe('{\n  "seconds": 2\n}');
  });

  it("says when there is nothing", () => {
    render(<JsonView title="Result" value={null} emptyText="not finished yet" />);
    expect(screen.getByText("not finished yet")).toBeInTheDocument();
  });
});
