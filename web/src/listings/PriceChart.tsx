import { useId, useState } from "react";
import { useI18n } from "../i18n/i18n";
import { formatPrice, linear, niceTicks, priceSeries, type Listing } from "./logic";

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { left: 72, right: 16, top: 12, bottom: 32 };

/**
 * The asking prices of one family in one currency over time, as points joined by a line, drawn in SVG
 * with the app's colours; the same prices as a table for those who do not see the drawing.
 */
export function PriceChart({ listings }: { listings: Listing[] }) {
  const { t, locale } = useI18n();
  const series = priceSeries(listings);
  const [chosen, setChosen] = useState<string | null>(null);
  const pickId = useId();
  const titleId = useId();
  const shown = series.find((s) => s.key === chosen) ?? series[0];
  if (!shown) return <p className="empty">{t("listings.chartNone")}</p>;

  const what = `${shown.brand} ${shown.model} (${shown.currency})`;
  const prices = shown.points.map((p) => p.price);
  const times = shown.points.map((p) => p.at);
  const ticks = niceTicks(Math.min(...prices), Math.max(...prices));
  const y = linear([ticks[0] ?? 0, ticks[ticks.length - 1] ?? 1], [HEIGHT - PAD.bottom, PAD.top]);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const x = linear([first, last], [PAD.left, WIDTH - PAD.right]);
  const day = (at: number) => new Date(at).toLocaleDateString(locale, { day: "numeric", month: "short" });
  const line = shown.points.map((p) => `${x(p.at).toFixed(1)},${y(p.price).toFixed(1)}`).join(" ");

  return (
    <div className="price-chart">
      <label htmlFor={pickId}>{t("listings.chartFamily")}</label>
      <select id={pickId} value={shown.key} onChange={(e) => setChosen(e.target.value)}>
        {series.map((s) => (
          <option key={s.key} value={s.key}>
            {s.key} ({s.points.length})
          </option>
        ))}
      </select>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} className="price-chart-svg">
        <title id={titleId}>{t("listings.chartOf", { what })}</title>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="price-chart-grid" />
            <text x={PAD.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle" className="price-chart-label">
              {formatPrice(tick, shown.currency, locale)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={HEIGHT - 8} className="price-chart-label">
          {day(first)}
        </text>
        {last !== first && (
          <text x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end" className="price-chart-label">
            {day(last)}
          </text>
        )}
        {shown.points.length > 1 && <polyline points={line} className="price-chart-line" />}
        {shown.points.map((p, i) => (
          <circle key={i} cx={x(p.at)} cy={y(p.price)} r={4} className="price-chart-point" />
        ))}
      </svg>
      <details>
        <summary>{t("listings.chartTable")}</summary>
        <table>
          <caption>{t("listings.chartOf", { what })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("listings.when")}</th>
              <th scope="col">{t("listings.price")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.points.map((p, i) => (
              <tr key={i}>
                <td>
                  <time dateTime={new Date(p.at).toISOString()}>{new Date(p.at).toLocaleDateString(locale, { dateStyle: "medium" })}</time>
                </td>
                <td>{formatPrice(p.price, shown.currency, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
