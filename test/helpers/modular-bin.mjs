// bin/ssclient.js, but running the CLI from dist/cli's separate modules (as tsc built them)
// instead of the one-file bundle dist/cli/ssclient.cjs: MODULAR_BIN in test/helpers/cli.ts.
const { runProcess } = await import('../../dist/cli/process-main.js');
process.exitCode = await runProcess();
