// Small SVG charts for the training panel: a line chart (loss, learning rate) and the length
// histogram of a dataset against the cutoff. No chart library: a few paths are enough.

export interface Point {
  x: number;
  y: number;
}

interface Scale {
  sx: (x: number) => number;
  sy: (y: number) => number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** The x and y scales of points in a w×h box (y up). `xEnd` widens the x range to a planned end
 * (the total steps), so a live curve grows across the box. */
export function scaleOf(points: Point[], w: number, h: number, xEnd?: number): Scale {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xMin = Math.min(...xs, ...(xEnd ? [1] : []));
  const xMax = Math.max(...xs, xEnd ?? -Infinity);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax === yMin) {
    // A flat series sits mid-height, in a range of its own magnitude (a learning rate of 1e-4
    // spans 0.9e-4 … 1.1e-4, not -1 … 1).
    const pad = yMin === 0 ? 1 : Math.abs(yMin) * 0.1;
    yMax += pad;
    yMin -= yMin === 0 ? 0 : pad;
  }
  const sx = (x: number) => (xMax === xMin ? w / 2 : ((x - xMin) / (xMax - xMin)) * w);
  const sy = (y: number) => h - ((y - yMin) / (yMax - yMin)) * h;
  return { sx, sy, xMin, xMax, yMin, yMax };
}

function pathOf(points: Point[], { sx, sy }: Scale): string {
  return points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
}

/** Scale points into a w×h box (y up); returns the SVG path and the axis ranges. */
export function linePath(points: Point[], w: number, h: number, xEnd?: number): { d: string; xMin: number; xMax: number; yMin: number; yMax: number } {
  if (!points.length) return { d: "", xMin: 0, xMax: 0, yMin: 0, yMax: 0 };
  const scale = scaleOf(points, w, h, xEnd);
  const { xMin, xMax, yMin, yMax } = scale;
  return { d: pathOf(points, scale), xMin, xMax, yMin, yMax };
}

/** The curve smoothed as LLaMA-Factory's loss plot does it: an exponential moving average whose
 * weight grows with the number of points (a sigmoid), so short curves stay close to the data. */
export function smoothed(points: Point[]): Point[] {
  if (!points.length) return [];
  const weight = 1.8 * (1 / (1 + Math.exp(-0.05 * points.length)) - 0.5);
  let last = points[0].y;
  return points.map((p) => {
    last = last * weight + (1 - weight) * p.y;
    return { x: p.x, y: last };
  });
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 0.001 || a >= 10000) return v.toExponential(1);
  return a < 1 ? v.toPrecision(2) : v.toFixed(a < 10 ? 2 : 0);
}

export function LineChart({ points, label, color, testid, xEnd, smooth }: { points: Point[]; label: string; color: string; testid?: string; xEnd?: number | null; smooth?: boolean }) {
  const w = 480;
  const h = 140;
  const scale = points.length ? scaleOf(points, w, h, xEnd ?? undefined) : null;
  const last = points[points.length - 1];
  const trend = smooth && points.length > 2 ? smoothed(points) : null;
  return (
    <figure className="tp-chart" data-testid={testid} data-points={points.length}>
      <figcaption>
        {label}
        {last && <strong> {fmt(last.y)}</strong>}
        {trend && (
          <span className="tp-legend">
            <i className="tp-swatch" style={{ background: color, opacity: 0.3 }} /> per step <i className="tp-swatch" style={{ background: color }} /> smoothed
          </span>
        )}
      </figcaption>
      <svg viewBox={`-36 -8 ${w + 44} ${h + 26}`} role="img" aria-label={`${label} by step`}>
        <line x1={0} y1={h} x2={w} y2={h} className="tp-axis" />
        <line x1={0} y1={0} x2={0} y2={h} className="tp-axis" />
        {scale && last && (
          <>
            <text x={-4} y={6} textAnchor="end" className="tp-tick">{fmt(scale.yMax)}</text>
            <text x={-4} y={h} textAnchor="end" className="tp-tick">{fmt(scale.yMin)}</text>
            <text x={0} y={h + 16} className="tp-tick">step {scale.xMin}</text>
            <text x={w} y={h + 16} textAnchor="end" className="tp-tick">step {scale.xMax}</text>
            <path d={pathOf(points, scale)} fill="none" stroke={color} strokeOpacity={trend ? 0.3 : 1} strokeWidth={trend ? 1.5 : 2} strokeLinejoin="round" vectorEffect="non-scaling-stroke" />
            {trend && <path d={pathOf(trend, scale)} fill="none" stroke={color} strokeWidth={2.2} strokeLinejoin="round" vectorEffect="non-scaling-stroke" />}
            <circle cx={scale.sx(last.x)} cy={scale.sy(last.y)} r={3} fill={color} />
          </>
        )}
        {!points.length && (
          <text x={w / 2} y={h / 2} textAnchor="middle" className="tp-tick">waiting for the first step…</text>
        )}
      </svg>
    </figure>
  );
}

export interface Bin {
  start: number;
  end: number;
  count: number;
}

/** The API's histogram ({edges, counts}: counts[i] rows are in [edges[i], edges[i+1])) as bins. */
export function histogramBins(h: { edges: number[]; counts: number[] } | null | undefined): Bin[] {
  if (!h) return [];
  const n = Math.min(h.counts.length, h.edges.length - 1);
  return Array.from({ length: Math.max(0, n) }, (_, i) => ({ start: h.edges[i], end: h.edges[i + 1], count: h.counts[i] }));
}

/** Whether a bin's rows are within the cutoff ("ok"), all past it ("over") or some ("part").
 * A row is over when its length exceeds the cutoff; a bin holds lengths start … end - 1. */
export function binState(bin: Bin, cutoff: number): "ok" | "part" | "over" {
  if (bin.start > cutoff) return "over";
  if (bin.end - 1 > cutoff) return "part";
  return "ok";
}

const BAR_CLASS = { ok: "tp-bar", part: "tp-bar-part", over: "tp-bar-over" };

/** Rows by token length; bins past the cutoff are drawn in the warning colour, and the cutoff is
 * a dashed line where it falls inside the range. */
export function LengthHistogram({ bins, cutoff, overCutoff }: { bins: Bin[]; cutoff: number; overCutoff?: number }) {
  const w = 480;
  const h = 110;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const bw = bins.length ? w / bins.length : w;
  const lo = bins.length ? bins[0].start : 0;
  const hi = bins.length ? bins[bins.length - 1].end : 1;
  const cutX = hi > lo ? ((cutoff + 1 - lo) / (hi - lo)) * w : -1;
  const inRange = cutX > 0 && cutX < w;
  return (
    <figure className="tp-chart tp-hist" data-testid="length-histogram" data-bins={bins.length} data-over={bins.filter((b) => binState(b, cutoff) !== "ok").length}>
      <figcaption>
        Tokens per row
        <span className="tp-legend">
          <i className="tp-swatch tp-bar" /> within cutoff <i className="tp-swatch tp-bar-over" /> over {cutoff}
          {overCutoff != null && <strong className={overCutoff ? "tp-warn" : ""}> · {overCutoff} rows over</strong>}
        </span>
      </figcaption>
      <svg viewBox={`-30 -6 ${w + 40} ${h + 30}`} role="img" aria-label="Length distribution">
        <text x={-4} y={6} textAnchor="end" className="tp-tick">{max}</text>
        <text x={-4} y={h} textAnchor="end" className="tp-tick">0</text>
        {bins.map((b, i) => {
          const bh = (b.count / max) * h;
          return (
            <rect key={i} x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} rx={2} className={BAR_CLASS[binState(b, cutoff)]}>
              <title>{`${b.start}–${b.end - 1} tokens: ${b.count} rows`}</title>
            </rect>
          );
        })}
        <line x1={0} y1={h} x2={w} y2={h} className="tp-axis" />
        {inRange && (
          <>
            <line x1={cutX} y1={-4} x2={cutX} y2={h} className="tp-cutoff" />
            <text x={cutX + 4} y={6} className="tp-tick tp-cutoff-label">cutoff {cutoff}</text>
          </>
        )}
        {bins.length > 0 && (
          <>
            <text x={0} y={h + 16} className="tp-tick">{lo}</text>
            {bins.length <= 12 &&
              bins.slice(1).map((b, i) => (
                <text key={i} x={(i + 1) * bw} y={h + 16} textAnchor="middle" className="tp-tick">
                  {b.start}
                </text>
              ))}
            <text x={w} y={h + 16} textAnchor="end" className="tp-tick">{hi}</text>
          </>
        )}
        {!bins.length && (
          <text x={w / 2} y={h / 2} textAnchor="middle" className="tp-tick">no rows</text>
        )}
      </svg>
    </figure>
  );
}
