import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** How much history the chart shows. */
export const CHART_WINDOW_MS = 15 * 60_000;

/** One lag sample: when (ms since the epoch) and the lag in seconds (null = region unreachable). */
export type LagSample = readonly [timeMs: number, lagSeconds: number | null];

/**
 * Replication lag (seconds) over the last 15 minutes, drawn with uPlot.
 * Gaps are times the region could not be reached.
 */
export function LagChart({ samples, label }: { samples: readonly LagSample[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const css = getComputedStyle(el);
    const fg = css.getPropertyValue('--muted').trim() || '#888';
    const line = css.getPropertyValue('--accent').trim() || '#2f6f4f';
    const grid = css.getPropertyValue('--border').trim() || '#ccc';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    plot.current = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 160,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: () => [(Date.now() - CHART_WINDOW_MS) / 1000, Date.now() / 1000] },
          y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max ?? 0) * 1.2))] },
        },
        axes: [axis, { ...axis, label: 'lag (s)', size: 50 }],
        series: [{}, { label: 'lag (s)', stroke: line, width: 2, fill: `${line}22`, spanGaps: false }],
      },
      [[], []],
      el,
    );
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData([samples.map((s) => s[0] / 1000), samples.map((s) => s[1])], true);
  }, [samples]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
