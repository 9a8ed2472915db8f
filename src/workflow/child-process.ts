/**
 * `ssclient run -- COMMAND [ARGS…]`: start a program with secrets in its environment
 * (docs/workflow.md "run"). The child inherits stdin, stdout and stderr; SIGINT, SIGTERM and
 * SIGHUP sent to us are passed on to it; its exit code becomes ours, and when a signal ended it,
 * the caller ends itself by the same signal (or, if it cannot, exits 128 + the signal number, as
 * shells report it).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** How the child ended, or why it never started. */
export type ChildOutcome =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'not-started'; readonly errno: string };

/** Signals passed on to the child while it runs. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Builds the child's environment: `base` with the secrets laid over it. `keepExisting` lets a
 * variable already in `base` keep its value. SSCLIENT_PASSWORD is never passed on (the child gets
 * its secrets, not the key to all of them) unless a secret maps to it.
 */
export function childEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  secrets: readonly { variable: string; value: string }[],
  keepExisting: boolean,
): { env: Record<string, string>; overridden: string[]; kept: string[] } {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && name !== 'SSCLIENT_PASSWORD') env[name] = value;
  }
  const overridden: string[] = [];
  const kept: string[] = [];
  for (const { variable, value } of secrets) {
    const existing = base[variable];
    if (existing !== undefined && variable !== 'SSCLIENT_PASSWORD') {
      if (keepExisting) {
        kept.push(variable);
        continue;
      }
      if (existing !== value) overridden.push(variable);
    }
    env[variable] = value;
  }
  return { env, overridden, kept };
}

/**
 * Runs `command` with `args` and `env`, stdio inherited, forwarding {@link FORWARDED_SIGNALS}
 * while it runs. Resolves when it ends (never rejects for the child's own failure).
 */
export function runChild(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
): Promise<ChildOutcome> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const forward = new Map<NodeJS.Signals, () => void>();
    const finish = (outcome: ChildOutcome): void => {
      if (settled) return;
      settled = true;
      for (const [signal, handler] of forward) process.off(signal, handler);
      resolvePromise(outcome);
    };
    const child = spawn(command, args, { stdio: 'inherit', env, cwd });
    for (const signal of FORWARDED_SIGNALS) {
      const handler = (): void => {
        child.kill(signal);
      };
      forward.set(signal, handler);
      process.on(signal, handler);
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only a failure to start is reported here; a running child's end comes through 'exit'.
      if (child.pid === undefined) finish({ kind: 'not-started', errno: err.code ?? 'EUNKNOWN' });
    });
    child.once('exit', (code, signal) => {
      if (signal !== null) finish({ kind: 'signal', signal });
      else finish({ kind: 'exit', code: code ?? 1 });
    });
  });
}

/** The status a shell reports for a child killed by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
