/** Entry point used by bin/ssclient.js; the CLI arrives with its own issue. */
export async function run(): Promise<number> {
  process.stderr.write('ssclient: the command-line interface is not built yet\n');
  return 2;
}
