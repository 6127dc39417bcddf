import type { Attributes } from './span-record.ts';

/** `service.name` as the ClickHouse exporter's ServiceName column holds it: '' when absent. */
export function serviceNameOf(resourceAttributes: Attributes): string {
  const value = Object.hasOwn(resourceAttributes, 'service.name')
    ? resourceAttributes['service.name']
    : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
