import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a benchmark child reports about itself: memory now and at peak, CPU used so far, event-loop stalls. */
export interface ProcessStats {
  rssMb: number;
  peakRssMb: number;
  cpuMs: number;
  /** Event-loop delay since the last reset: how long a request could wait for the loop. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

/** Starts a new event-loop-delay window (the figures before it are start-up). */
export function resetLoopDelay(): void {
  loop.reset();
}

export function processStats(): ProcessStats {
  const usage = process.resourceUsage();
  return {
    rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    // maxRSS is in kilobytes: the high-water mark of the whole process (VmHWM).
    peakRssMb: Math.round(usage.maxRSS / 1024),
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
    loopDelayMaxMs: Math.round(loop.max / 1e6),
  };
}
