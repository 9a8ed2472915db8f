/**
 * Keeping key files out of git (spec/cli.md §3): when the key file lies inside a git work tree,
 * a rooted rule `/name` is added to the `.gitignore` in the key file's own directory, under a
 * comment, unless a line there already reads `name`, `/name` or `*.ext`. Unlike the reference, a
 * newline is added first when the file does not end with one.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { appendLines, readTextOrEmpty } from '../io/files.js';

/** True when `dir` or one of its ancestors contains `.git`. */
export function insideGitRepo(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    if (existsSync(join(current, '.git'))) return true;
    const parent = dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

/**
 * Adds the ignore rule for `keyPath` if needed. Returns the `.gitignore` path when it was
 * changed, or null.
 */
export async function ignoreKeyFile(keyPath: string): Promise<string | null> {
  const absolute = resolve(keyPath);
  const dir = dirname(absolute);
  if (!insideGitRepo(dir)) return null;
  const name = basename(absolute);
  const gitignore = join(dir, '.gitignore');
  const existing = await readTextOrEmpty(gitignore);
  const rule = escapeGlob(name);
  const ext = extname(name);
  const covering = new Set([rule, `/${rule}`]);
  if (ext !== '') {
    covering.add(`*${escapeGlob(ext)}`);
    covering.add(`/*${escapeGlob(ext)}`);
  }
  if (existing.split('\n').some((line) => covering.has(patternOf(line)))) return null;
  await appendLines(gitignore, existing, `# SecureStore key file: never commit it\n/${rule}\n`);
  return gitignore;
}

/**
 * A file name as a gitignore pattern that matches only that name: the glob characters and a
 * backslash are escaped, and so are trailing spaces (git drops unescaped ones).
 */
export function escapeGlob(name: string): string {
  const escaped = name.replace(/[\\*?[]/g, (c) => `\\${c}`);
  const trailing = /( +)$/.exec(escaped)?.[1]?.length ?? 0;
  return trailing === 0 ? escaped : `${escaped.slice(0, -trailing)}${'\\ '.repeat(trailing)}`;
}

/** A .gitignore line as git reads it: a final CR and unescaped trailing spaces dropped. */
function patternOf(line: string): string {
  return line.replace(/\r$/, '').replace(/(?<!\\) +$/, '');
}
