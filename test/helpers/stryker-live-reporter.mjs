// A Stryker reporter (stryker.config.mjs) that appends each mutant's result to
// reports/mutation/live.jsonl (or $STRYKER_LIVE_FILE) as soon as it is known: Stryker writes its
// own reports only at the end, and a run on the shared machine can outlast a session. One JSON
// object a line: file, line, column, mutator, replacement, status, the number of covering tests.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

class LiveReporter {
  static inject = [];
  file = process.env.STRYKER_LIVE_FILE ?? 'reports/mutation/live.jsonl';

  onMutantTested(r) {
    mkdirSync(dirname(this.file), { recursive: true });
    const line = {
      id: r.id,
      file: r.fileName,
      line: r.location.start.line,
      col: r.location.start.column,
      mutator: r.mutatorName,
      replacement: r.replacement,
      status: r.status,
      statusReason: r.statusReason,
      tests: r.coveredBy?.length,
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

// What `declareClassPlugin(PluginKind.Reporter, 'live', LiveReporter)` of @stryker-mutator/api
// returns, written out so that this file needs no transitive dependency.
export const strykerPlugins = [{ kind: 'Reporter', name: 'live', injectableClass: LiveReporter }];
