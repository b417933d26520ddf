// Small SVG charts for the training panel: a line chart (loss, learning rate) and the length
// histogram of a dataset against the cutoff. No chart library: a few paths are enough.

export interface Point {
  x: number;
  y: number;
}

/** Scale points into a w×h box (y up); returns the SVG path and the axis ranges. */
export function linePath(points: Point[], w: number, h: number): { d: string; xMax: number; yMin: number; yMax: number } {
  if (!points.length) return { d: "", xMax: 0, yMin: 0, yMax: 0 };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax === yMin) {
    yMax += 1;
    yMin -= yMin === 0 ? 0 : 1;
  }
  const sx = (x: number) => (xMax === xMin ? w / 2 : ((x - xMin) / (xMax - xMin)) * w);
  const sy = (y: number) => h - ((y - yMin) / (yMax - yMin)) * h;
  const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
  return { d, xMax, yMin, yMax };
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 0.001 || a >= 10000) return v.toExponential(1);
  return a < 1 ? v.toPrecision(2) : v.toFixed(a < 10 ? 2 : 0);
}

export function LineChart({ points, label, color, testid }: { points: Point[]; label: string; color: string; testid?: string }) {
  const w = 320;
  const h = 120;
  const { d, xMax, yMin, yMax } = linePath(points, w, h);
  return (
    <figure className="tp-chart" data-testid={testid} data-points={points.length}>
      <figcaption>
        {label}
        {points.length > 0 && <strong> {fmt(points[points.length - 1].y)}</strong>}
      </figcaption>
      <svg viewBox={`-36 -8 ${w + 44} ${h + 26}`} role="img" aria-label={`${label} by step`}>
        <line x1={0} y1={h} x2={w} y2={h} className="tp-axis" />
        <line x1={0} y1={0} x2={0} y2={h} className="tp-axis" />
        {points.length > 0 && (
          <>
            <text x={-4} y={6} textAnchor="end" className="tp-tick">{fmt(yMax)}</text>
            <text x={-4} y={h} textAnchor="end" className="tp-tick">{fmt(yMin)}</text>
            <text x={w} y={h + 16} textAnchor="end" className="tp-tick">step {xMax}</text>
            <path d={d} fill="none" stroke={color} strokeWidth={2} vectorEffect="non-scaling-stroke" />
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

/** Rows by token length; bins past the cutoff are drawn in the warning colour. */
export function LengthHistogram({ bins, cutoff }: { bins: Bin[]; cutoff: number }) {
  const w = 320;
  const h = 90;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const bw = bins.length ? w / bins.length : w;
  return (
    <figure className="tp-chart" data-testid="length-histogram">
      <figcaption>Token length per row (cutoff {cutoff})</figcaption>
      <svg viewBox={`0 -4 ${w} ${h + 22}`} role="img" aria-label="Length distribution">
        {bins.map((b, i) => {
          const bh = (b.count / max) * h;
          return (
            <rect key={i} x={i * bw + 1} y={h - bh} width={bw - 2} height={bh} className={b.start >= cutoff ? "tp-bar-over" : "tp-bar"}>
              <title>{`${b.start}–${b.end} tokens: ${b.count} rows`}</title>
            </rect>
          );
        })}
        <line x1={0} y1={h} x2={w} y2={h} className="tp-axis" />
        {bins.length > 0 && (
          <>
            <text x={0} y={h + 16} className="tp-tick">{bins[0].start}</text>
            <text x={w} y={h + 16} textAnchor="end" className="tp-tick">{bins[bins.length - 1].end}</text>
          </>
        )}
      </svg>
    </figure>
  );
}
