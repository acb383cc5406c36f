/**
 * Reads counters and gauges from a process's Prometheus endpoint, on its management port (an
 * AppProcess's `managementUrl`): the server's own count of what it handled, compared with what the load
 * processes think they sent.
 */
export async function scrapeMetrics(managementUrl: string): Promise<string> {
  const res = await fetch(`${managementUrl}/metrics`);
  if (!res.ok) throw new Error(`${managementUrl}/metrics answered ${res.status}`);
  return res.text();
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
