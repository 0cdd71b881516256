import type { CSSProperties } from "react";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { heatGrid, type HeatCell } from "./logic";

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** Messages per hour of the week, Monday first, each hour shaded by its share of the busiest one. */
export function HeatMap({ cells, zone }: { cells: HeatCell[]; zone: string }) {
  const { t } = useI18n();
  const grid = heatGrid(cells);
  const weekday = (d: number) => t(`reports.weekday.${d}` as MessageKey);
  return (
    <table className="heat-map" aria-label={t("reports.heatMapOf", { zone })}>
      <thead>
        <tr>
          <td />
          {HOURS.map((h) => (
            <th key={h} scope="col">
              {h % 3 === 0 ? h : ""}
              <span className="visually-hidden">{h % 3 === 0 ? "" : h}</span>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {grid.map((row, i) => (
          <tr key={i}>
            <th scope="row">{weekday(i + 1)}</th>
            {row.map((cell, h) => (
              <td
                key={h}
                className="heat-cell"
                style={{ "--level": `${Math.round((cell.total === 0 ? 0.04 : 0.15 + 0.85 * cell.level) * 100)}%` } as CSSProperties}
                title={t("reports.messagesAt", { n: cell.total, day: weekday(i + 1), hour: h })}
              >
                <span className="visually-hidden">{cell.total}</span>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
