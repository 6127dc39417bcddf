/** What a benchmark child reports about itself: memory now and at peak, CPU used so far. */
export interface ProcessStats {
  rssMb: number;
  peakRssMb: number;
  cpuMs: number;
}

export function processStats(): ProcessStats {
  const usage = process.resourceUsage();
  return {
    rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    // maxRSS is in kilobytes: the high-water mark of the whole process (VmHWM).
    peakRssMb: Math.round(usage.maxRSS / 1024),
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
  };
}
