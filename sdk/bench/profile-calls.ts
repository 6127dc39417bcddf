/**
 * A loop of calls under one contender, for a CPU profile of the call path:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof sdk/bench/profile-calls.ts oversight [--stream] [--replay] [--calls 5000]
 *   node sdk/bench/cpuprofile-summary.ts /tmp/prof/<file>.cpuprofile
 */
import { parseArgs } from 'node:util';
import { setupContenders, VARIANTS, type Variant } from './contenders.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stream: { type: 'boolean', default: false },
    replay: { type: 'boolean', default: false },
    stub: { type: 'boolean', default: false },
    calls: { type: 'string', default: '5000' },
  },
});
const variant = (positionals[0] ?? 'oversight') as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`variant must be one of ${VARIANTS.join(', ')}`);
const calls = Number(values.calls);

const c = await setupContenders(
  values.stream ?? false,
  values.stub ? 'stub' : values.replay ? 'replay' : 'http',
);
try {
  c.use(variant);
  for (let i = 0; i < 300; i++) await c.call(i);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await c.call(i);
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      variant,
      stream: values.stream,
      replay: values.replay,
      calls,
      wall_us_per_call: Math.round(((performance.now() - t0) * 1000) / calls),
      cpu_us_per_call: Math.round((cpu.user + cpu.system) / calls),
    }),
  );
} finally {
  await c.close();
}
