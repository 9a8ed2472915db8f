// Module resolution hook (see block-aws-sdk.mjs): refuses every @aws-sdk/* specifier.
export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@aws-sdk/')) {
    throw new Error(`blocked by the test: ${specifier} was loaded`);
  }
  return nextResolve(specifier, context);
}
