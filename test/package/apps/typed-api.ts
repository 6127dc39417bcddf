// Type-checked only: the public API of every published entry, as users call it.
import { type Config, resolveConfig, startCollector } from '@oversight/collector';
import { getOversight, init, instrument, type OversightHandle, oversightSpanProcessor } from '@oversight/sdk';
import OpenAI from 'openai';

export function setup(): OversightHandle {
  const handle = init({ serviceName: 'typed-api', endpoint: 'http://127.0.0.1:4318' });
  const client = instrument(new OpenAI({ apiKey: 'sk' }));
  void client.chat.completions;
  void oversightSpanProcessor({ endpoint: 'http://127.0.0.1:4318' });
  return getOversight() ?? handle;
}

export async function collector(): Promise<void> {
  const config: Config = resolveConfig({ port: '0', dataDir: '/tmp/x' });
  const running = await startCollector(config);
  void running;
}
