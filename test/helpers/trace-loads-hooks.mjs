// Module resolution hook (see trace-loads.mjs): appends every resolved URL to $TRACE_LOADS_FILE.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(process.env.TRACE_LOADS_FILE, `${resolved.url}\n`);
  return resolved;
}
