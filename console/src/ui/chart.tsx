import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: number[];
  color: string;
}

/** A time-series line chart (uPlot) that fits its container's width. */
export function Chart({ title, times, series, height = 220 }: { title: string; times: number[]; series: ChartSeries[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height,
        series: [{}, ...series.map((item) => ({ label: item.label, stroke: item.color, width: 2, fill: `${item.color}22` }))],
        axes: [{}, { size: 60 }],
        legend: { show: true },
      },
      [times, ...series.map((item) => item.values)],
      element,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [times, series, height]);
  const total = series.reduce((sum, item) => sum + item.values.reduce((a, b) => a + b, 0), 0);
  return (
    <figure class="chart" data-total={total}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${title}: ${series.map((item) => `${item.label} ${item.values.reduce((a, b) => a + b, 0)}`).join(", ")}`} />
    </figure>
  );
}
