/**
 * The body of `config` (docs/workflow.md "config"): each setting and where it comes from.
 */
import {
  describeSource,
  type Setting,
  SETTING_NAMES,
  type SettingName,
} from '../../workflow/config.js';
import { type Context, DEFAULT_STORE, type GlobalOptions } from '../context.js';

/** `config [--format json]`. */
export async function configAction(
  ctx: Context,
  opts: GlobalOptions & { format: string },
): Promise<void> {
  const project = ctx.projectConfig();
  const settings = new Map<SettingName, Setting>(
    SETTING_NAMES.map((n) => [n, ctx.setting(n, opts)]),
  );
  const store = settings.get('store')!;
  const rows: [string, string, string][] = [];
  rows.push([
    'project file',
    project?.path ?? 'none',
    project ? 'found upward from the working directory' : '',
  ]);
  rows.push(['store', store.value ?? DEFAULT_STORE, describeSource(store.source)]);
  for (const name of SETTING_NAMES) {
    if (name === 'store') continue;
    const s = settings.get(name)!;
    rows.push([
      LABELS[name],
      s.value ?? 'not set',
      s.value === undefined
        ? name === 'key'
          ? 'built-in default'
          : 'AWS SDK default chain'
        : describeSource(s.source),
    ]);
  }
  const password = passwordSetting(ctx, opts);
  rows.push(['password', password[0], password[1]]);
  rows.push(['unlocks with', unlocksWith(ctx, opts), '']);
  if (opts.format === 'json') {
    const obj = Object.fromEntries(
      rows.map(([k, v, from]) => [k, from === '' ? v : { value: v, from }]),
    );
    ctx.io.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
    return;
  }
  ctx.io.stdout.write(
    rows.map(([k, v, from]) => `${k}: ${v}${from === '' ? '' : ` (${from})`}\n`).join(''),
  );
}

const LABELS: Record<SettingName, string> = {
  store: 'store',
  key: 'key',
  region: 'region',
  profile: 'profile',
  kmsEndpoint: 'kms-endpoint',
};

/** Whether a password is given and how: never its value. */
function passwordSetting(ctx: Context, opts: GlobalOptions): [string, string] {
  if (opts.password === true) return ['prompt', 'flag -p'];
  if (typeof opts.password === 'string') return ['set', 'flag -p'];
  if (opts.passwordFile !== undefined)
    return [`read from ${opts.passwordFile}`, 'flag --password-file'];
  if (ctx.io.env.SSCLIENT_PASSWORD !== undefined) return ['set', 'environment SSCLIENT_PASSWORD'];
  return ['not set', ''];
}

/** Which credential an ordinary command would use (README "Passwords and keys" precedence). */
function unlocksWith(ctx: Context, opts: GlobalOptions): string {
  const choice = ctx.keyChoice(opts);
  if (choice !== null) return choice.kind === 'file' ? `key file ${choice.path}` : 'password';
  return ctx.io.stdinIsTTY
    ? 'password (asked at a prompt)'
    : 'nothing: give -p, --password-file or -k';
}
