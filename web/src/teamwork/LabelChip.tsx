import type { CSSProperties, ReactNode } from "react";
import { textOn } from "./logic";

/** A label as a coloured chip, its text dark or light so it reads on the colour; `children` after the name (a remove button). */
export function LabelChip({ label, children }: { label: { name: string; colour: string }; children?: ReactNode }) {
  const style = { "--label-colour": label.colour, "--label-text": textOn(label.colour) } as CSSProperties;
  return (
    <span className="label-chip" style={style}>
      {label.name}
      {children}
    </span>
  );
}
