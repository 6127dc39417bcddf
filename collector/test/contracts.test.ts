import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on Node 24 from the node devDependency', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});
