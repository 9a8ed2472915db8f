/**
 * The names of the export formats (export-formats.ts writes them): a leaf of its own, so that
 * the CLI can list and check them without loading the writers.
 */
export type ExportFormat = 'dotenv' | 'shell' | 'yaml' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['dotenv', 'shell', 'yaml', 'csv'];
