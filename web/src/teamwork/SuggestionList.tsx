/** One choice in a picker: what it is called, and a line under it. */
export interface Suggestion {
  id: string;
  primary: string;
  secondary?: string;
}

/**
 * The choices a text box offers while the user types (`/` for canned replies, `@` for colleagues): a
 * listbox the box points at with `aria-activedescendant`, so the focus stays in the box and the arrow
 * keys, Enter and Escape work there (`Composer`). A click picks too.
 */
export function SuggestionList({
  id,
  label,
  items,
  active,
  empty,
  onPick,
}: {
  id: string;
  label: string;
  items: readonly Suggestion[];
  active: number;
  empty: string;
  onPick: (index: number) => void;
}) {
  return (
    <ul id={id} role="listbox" aria-label={label} className="picker-list">
      {items.length === 0 ? (
        <li role="option" aria-selected={false} aria-disabled={true} className="muted">
          {empty}
        </li>
      ) : (
        items.map((item, index) => (
          <li
            key={item.id}
            id={optionId(id, index)}
            role="option"
            aria-selected={index === active}
            // The mouse picks without taking the focus from the text box.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => onPick(index)}
          >
            <strong>{item.primary}</strong>
            {item.secondary && <span className="picker-text">{item.secondary}</span>}
          </li>
        ))
      )}
    </ul>
  );
}

export function optionId(list: string, index: number): string {
  return `${list}-option-${index}`;
}

/** The next active choice after an arrow key, wrapping round; -1 when there is none. */
export function moveActive(active: number, count: number, key: "ArrowDown" | "ArrowUp"): number {
  if (count === 0) return -1;
  return key === "ArrowDown" ? (active + 1) % count : (active - 1 + count) % count;
}
