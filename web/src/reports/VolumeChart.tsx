import { useId } from "react";
import { useI18n } from "../i18n/i18n";
import { highest } from "./logic";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 40, right: 8, top: 8, bottom: 24 };

interface Day {
  day: string;
  inbound: number;
  outbound: number;
}

/** Messages received and sent per day, as pairs of bars in SVG; the same figures as a table beside it. */
export function VolumeChart({ days }: { days: Day[] }) {
  const { t, locale } = useI18n();
  const titleId = useId();
  if (days.length === 0) return <p className="empty">{t("reports.nothing")}</p>;
  const top = highest(days);
  const slot = (WIDTH - PAD.left - PAD.right) / days.length;
  const bar = Math.max(1, slot / 2 - 1);
  const height = (n: number) => ((HEIGHT - PAD.top - PAD.bottom) * n) / top;
  const label = (day: string) => new Date(`${day}T12:00:00Z`).toLocaleDateString(locale, { day: "numeric", month: "short" });
  const first = days[0]?.day ?? "";
  const last = days[days.length - 1]?.day ?? "";
  return (
    <figure className="volume-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId}>
        <title id={titleId}>{t("reports.volumeOf", { from: label(first), to: label(last) })}</title>
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} className="chart-axis" />
        <text x={PAD.left - 6} y={PAD.top + 8} textAnchor="end" className="chart-label">
          {top}
        </text>
        {days.map((d, i) => {
          const x = PAD.left + i * slot;
          return (
            <g key={d.day}>
              <rect x={x} y={HEIGHT - PAD.bottom - height(d.inbound)} width={bar} height={height(d.inbound)} className="bar-inbound" />
              <rect x={x + bar + 1} y={HEIGHT - PAD.bottom - height(d.outbound)} width={bar} height={height(d.outbound)} className="bar-outbound" />
            </g>
          );
        })}
        <text x={PAD.left} y={HEIGHT - 6} className="chart-label">
          {label(first)}
        </text>
        <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end" className="chart-label">
          {label(last)}
        </text>
      </svg>
      <figcaption className="chart-legend">
        <span className="legend-inbound">{t("reports.received")}</span> <span className="legend-outbound">{t("reports.sent")}</span>
      </figcaption>
      <details>
        <summary>{t("reports.volume")}</summary>
        <table className="report-table">
          <thead>
            <tr>
              <th scope="col">{t("reports.day")}</th>
              <th scope="col">{t("reports.received")}</th>
              <th scope="col">{t("reports.sent")}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{label(d.day)}</th>
                <td>{d.inbound}</td>
                <td>{d.outbound}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
