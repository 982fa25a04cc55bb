/**
 * The docs keep up with the code: every export of the package entry has a heading in
 * docs/API.md (values read from the built package as a user imports it, types from src/index.ts
 * through the TypeScript compiler), and every relative link and #anchor in the project's own
 * Markdown points at something that exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const API_MD = readFileSync(join(ROOT, 'docs/API.md'), 'utf8');

/** headingsOf lists a Markdown file's headings' text, without the #s and backquotes. */
function headingsOf(markdown: string): string[] {
  return [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) =>
    (m[1] ?? '').replaceAll('`', ''),
  );
}

/** slug is GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function typeLevelExports(): string[] {
  const entry = join(ROOT, 'src/index.ts');
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error('cannot read the exports of src/index.ts');
  return checker.getExportsOfModule(symbol).map((s) => s.name);
}

describe('docs/API.md', () => {
  const headings = new Set(headingsOf(API_MD));

  it('has a heading for every value the package entry exports', async () => {
    const entry: Record<string, unknown> = await import('baton');
    const missing = Object.keys(entry).filter((name) => !headings.has(name));
    expect(missing, 'exports without a heading in docs/API.md').toEqual([]);
  });

  it('has a heading for every type and value src/index.ts exports', { timeout: 60_000 }, () => {
    const names = typeLevelExports();
    expect(names.length).toBeGreaterThan(40);
    expect(names.filter((name) => !headings.has(name))).toEqual([]);
  });
});

describe('links in the Markdown docs', () => {
  const files = [
    'README.md',
    'examples/README.md',
    'docs/API.md',
    'docs/REST.md',
    'docs/OPERATIONS.md',
    'clients/python/README.md',
  ];
  it.each(files)('%s: relative links and #anchors resolve', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const broken: string[] = [];
    for (const m of text.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [path = '', anchor] = target.split('#');
      const where = path ? resolve(dirname(join(ROOT, file)), path) : join(ROOT, file);
      if (!existsSync(where)) {
        broken.push(target);
        continue;
      }
      if (
        anchor &&
        where.endsWith('.md') &&
        !headingsOf(readFileSync(where, 'utf8')).map(slug).includes(anchor)
      ) {
        broken.push(target);
      }
    }
    expect(broken).toEqual([]);
  });
});
