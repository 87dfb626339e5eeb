import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module reachable from `entry` through relative imports, with its bare imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
    seen.set(file, specs.filter((s) => !s.startsWith('.')));
    for (const s of specs) if (s.startsWith('.')) stack.push(join(dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('entry points', () => {
  for (const entry of ['src/index.ts', 'src/testing.ts']) {
    it(`${entry} reaches no Node built-in (it must run in browsers, Deno and Bun)`, () => {
      const mods = reachable(entry);
      expect(mods.size).toBeGreaterThan(10);
      const offenders = [...mods].filter(([, bare]) => bare.some((b) => b.startsWith('node:') || ['fs', 'net', 'tls', 'path', 'dgram', 'crypto', 'os'].includes(b)));
      expect(offenders.map(([f]) => f)).toEqual([]);
    });
  }

  it('src/node.ts does use Node built-ins (so the check above can fail)', () => {
    const mods = reachable('src/node.ts');
    expect([...mods.values()].flat().some((b) => b.startsWith('node:'))).toBe(true);
  });
});
