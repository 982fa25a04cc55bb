/**
 * Every code block of README.md and docs/API.md that claims to run (its fence reads
 * ```` ```js runnable ```` or ```` ```ts runnable ````) is extracted and run as a user would: saved
 * inside the repository (so `import … from 'baton'` resolves to the built package, as it does for
 * an installed one) and executed by Node (`.mjs`) or tsx (`.ts`), on memory:// and on a real
 * Redis. A block must end by itself with exit 0; one that hangs or fails fails the test.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.tmp', `docs-runnable-${process.pid}`);
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** RunnableBlock is one fenced block marked `runnable`. */
interface RunnableBlock {
  readonly file: string;
  readonly line: number;
  readonly lang: 'js' | 'ts';
  readonly code: string;
}

/** runnableBlocks finds the blocks of `file` (relative to the root) whose fence says `runnable`. */
function runnableBlocks(file: string): RunnableBlock[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks: RunnableBlock[] = [];
  for (const m of text.matchAll(/^```(js|ts) runnable\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length;
    blocks.push({ file, line, lang: m[1] as 'js' | 'ts', code: m[2] ?? '' });
  }
  return blocks;
}

const blocks = ['README.md', 'docs/API.md'].flatMap(runnableBlocks);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('runnable documentation blocks', () => {
  it('the README has its quick start marked runnable', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(1);
  });

  const targets = [
    ['memory://', () => 'memory://'],
    ['redis', () => inject('redisUrl')],
  ] as const;
  describe.each(targets)('on %s', (_label, url) => {
    it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))(
      '%s runs and ends with exit 0',
      { timeout: 60_000 },
      async (name, block) => {
        mkdirSync(OUT, { recursive: true });
        const path = join(OUT, `${name.replace(/[^a-zA-Z0-9]/g, '_')}.${block.lang === 'js' ? 'mjs' : 'ts'}`);
        writeFileSync(path, block.code);
        const argv = block.lang === 'js' ? [path] : [TSX, path];
        const { stdout } = await run(process.execPath, argv, {
          env: { ...process.env, BATON_URL: url() },
          timeout: 45_000,
          killSignal: 'SIGKILL',
        });
        expect(typeof stdout).toBe('string');
      },
    );
  });
});

describe('the README quick start', () => {
  it('prints the two changes it made, in order', { timeout: 60_000 }, async () => {
    const block = blocks.find((b) => b.file === 'README.md');
    if (!block) throw new Error('no runnable block in README.md');
    mkdirSync(OUT, { recursive: true });
    const path = join(OUT, 'readme-quickstart.mjs');
    writeFileSync(path, block.code);
    const { stdout } = await run(process.execPath, [path], {
      env: { ...process.env, BATON_URL: 'memory://' },
      timeout: 45_000,
      killSignal: 'SIGKILL',
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^set latest \{"rows":42\} v\d+$/);
    expect(lines[1]).toMatch(/^set latest \{"rows":43\} v\d+$/);
  });
});
