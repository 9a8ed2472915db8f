// The `import` half of trace-loads.mjs: a resolve hook that refuses the packages named in
// $BLOCK_PACKAGES and appends every resolved URL to $TRACE_LOADS_FILE.
import { appendFileSync } from 'node:fs';

/** The blocked package that `specifier` names, or null. */
export function blockedBy(specifier) {
  const blocked = (process.env.BLOCK_PACKAGES ?? '').split(',').filter((p) => p !== '');
  return blocked.find((p) => specifier === p || specifier.startsWith(`${p}/`)) ?? null;
}

export async function resolve(specifier, context, nextResolve) {
  const blocked = blockedBy(specifier);
  if (blocked !== null) throw new Error(`blocked ${blocked}`);
  const resolved = await nextResolve(specifier, context);
  if (process.env.TRACE_LOADS_FILE)
    appendFileSync(process.env.TRACE_LOADS_FILE, `${resolved.url}\n`);
  return resolved;
}
