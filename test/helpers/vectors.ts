/** Access to the reference vectors copied into fixtures/vectors (see fixtures/README.md). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const VECTORS = join(FIXTURES, 'vectors');
export const NEGATIVE = join(VECTORS, 'negative');

export interface Manifest {
  description: string;
  vault: string;
  password: string | null;
  keyfile: string | null;
  keyfile_format: 'pem' | 'binary' | null;
  secrets: Record<string, string>;
  secrets_base64: Record<string, string>;
  names_in_file_order: string[];
  absent_names: string[];
  equivalent_pem_keyfile?: string;
}

export function manifests(): Manifest[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.manifest.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(VECTORS, f), 'utf8')) as Manifest);
}

export interface NegativeCase {
  vault: string;
  description: string;
  password: string;
  ssclient_argv: string[];
  expected_exit_code: number;
  expected_stdout: string;
}

export function negativeCases(): NegativeCase[] {
  return (
    JSON.parse(readFileSync(join(NEGATIVE, 'negative.manifest.json'), 'utf8')) as {
      cases: NegativeCase[];
    }
  ).cases;
}
