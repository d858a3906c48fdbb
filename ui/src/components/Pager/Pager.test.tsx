import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Pager } from "./Pager";

describe("Pager", () => {
  it("moves by cursor and disables what it cannot do", async () => {
    const onNext = vi.fn();
    const onPrevious = vi.fn();
    render(<Pager page={1} hasPrevious={false} nextCursor="c2" onNext={onNext} onPrevious={onPrevious} shown={50} />);
    expect(screen.getByRole("button", { name: "← Newer" })).toBeDisabled();
    expect(screen.getByText("Page 1 · 50 shown")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Older →" }));
    expect(onNext).toHaveBeenCalledWith("c2");
  });

  it("stops at the last page", () => {
    render(<Pager page={3} hasPrevious nextCursor={null} onNext={() => {}} onPrevious={() => {}} shown={7} />);
    expect(screen.getByRole("button", { name: "Older →" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "← Newer" })).toBeEnabled();
  });
});
