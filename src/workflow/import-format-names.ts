/**
 * The names of the import formats (import-formats.ts reads them): a leaf of its own, so that the
 * CLI can list and check them without loading the readers. `shell` is our `export NAME='…'`
 * output, read by the dotenv reader.
 */
export type ImportFormat = 'dotenv' | 'shell' | 'json' | 'yaml' | 'csv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['dotenv', 'shell', 'json', 'yaml', 'csv'];
