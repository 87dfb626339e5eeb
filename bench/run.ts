/**
 * `npm run bench -- <suite> [args]`: runs one benchmark suite (or all), prints
 * a table and writes bench/results/<suite>.json and .md.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A row of a benchmark table. */
export type BenchRow = Record<string, string | number>;

/** What each suite module exports. */
export interface BenchSuite {
  run(args: string[]): Promise<BenchRow[]>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Every bench/<name>.ts but this runner is a suite. */
function suiteNames(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Register-free helper: turn rows into a markdown table. */
export function toMarkdown(rows: BenchRow[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ''))))].join('\n') + '\n';
}

async function main(): Promise<void> {
  const [name = 'all', ...args] = process.argv.slice(2);
  const known = suiteNames();
  const names = name === 'all' ? known : [name];
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  for (const n of names) {
    if (!known.includes(n)) {
      console.error(`Unknown bench suite "${n}". Known: ${known.join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const suite = (await import(join(here, `${n}.ts`))) as BenchSuite;
    const rows = await suite.run(args);
    const md = toMarkdown(rows);
    console.log(`\n## ${n}\n\n${md}`);
    writeFileSync(join(outDir, `${n}.json`), JSON.stringify({ suite: n, date: new Date().toISOString(), node: process.version, rows }, null, 2));
    writeFileSync(join(outDir, `${n}.md`), `## ${n}\n\n${md}`);
  }
}

await main();
