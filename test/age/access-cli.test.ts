/**
 * `ssclient create --recipient`, `access list|add|remove|rekey` and opening with age identities
 * (spec/kms-key-file.md §10, docs/team-access.md), as real processes against the local KMS test
 * server and the reference age tool's identities.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVault } from '../../src/format/vault-codec.js';
import { ageKeygen, type TestIdentity, writeText } from '../helpers/age.js';
import { runProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/vaults.js';
import { kmsTarget } from '../helpers/kms.js';

const target = kmsTarget();
const { dir, cleanup } = tempDir('access-cli-');
afterAll(() => cleanup());

/** ssclient in `dir`, HOME there too (no sops keys.txt unless a test writes one), KMS reachable. */
const ss = (argv: string[], env: Record<string, string> = {}) =>
  runProcess(argv, {
    cwd: dir,
    env: {
      ...target.env,
      HOME: dir,
      AWS_ENDPOINT_URL_KMS: target.endpoint,
      AWS_REGION: target.region,
      ...env,
    },
  });
const NO_KMS = { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' };

let alice: TestIdentity;
let bob: TestIdentity;
let carol: TestIdentity;
beforeAll(() => {
  alice = ageKeygen(dir, 'alice');
  bob = ageKeygen(dir, 'bob');
  carol = ageKeygen(dir, 'carol');
});

describe('team access through age recipients', () => {
  it('create --recipient (and --kms), access list, each door opens alone', () => {
    const recipients = writeText(dir, 'team.txt', `# the team\n${bob.recipient}\n\n`);
    const created = ss([
      'create',
      '--kms',
      target.key1,
      '--recipient',
      alice.recipient,
      '--recipients-file',
      recipients,
    ]);
    expect(created).toMatchObject({ code: 0, stdout: '' });
    expect(created.stderr).toBe(
      'Wrapped the vault key under 1 KMS key and for 2 age recipients in secrets.kms.json (safe to commit; open the vault with -k secrets.kms.json)\n',
    );
    expect(statSync(join(dir, 'secrets.kms.json')).mode & 0o777).toBe(0o644);
    expect(ss(['-k', 'secrets.kms.json', '-i', alice.file, 'set', 'db', 'hunter2']).code).toBe(0);

    const list = ss(['access', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^1 aws-kms ${target.region} arn:aws:kms:[^ ]+\\n2 age ${alice.recipient}\\n3 age ${bob.recipient}\\n$`,
      ),
    );
    expect(list.stdout).not.toContain('AGE-SECRET-KEY');

    // Each door alone: alice and bob with KMS unreachable (no KMS call is needed), KMS alone.
    for (const id of [alice, bob]) {
      expect(ss(['-k', 'secrets.kms.json', '-i', id.file, 'get', 'db'], NO_KMS)).toMatchObject({
        code: 0,
        stdout: 'hunter2\n',
        stderr: '',
      });
    }
    expect(ss(['-k', 'secrets.kms.json', 'get', 'db'])).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
    });
  });

  it('identities from SSCLIENT_AGE_IDENTITY, SOPS_AGE_KEY_FILE, then sops keys.txt; -i wins', () => {
    const get = (env: Record<string, string>, extra: string[] = []) =>
      ss(['-k', 'secrets.kms.json', ...extra, 'get', 'db'], { ...NO_KMS, ...env });
    expect(get({ SSCLIENT_AGE_IDENTITY: alice.file }).stdout).toBe('hunter2\n');
    expect(get({ SOPS_AGE_KEY_FILE: bob.file }).stdout).toBe('hunter2\n');
    // SSCLIENT_AGE_IDENTITY comes first: carol's is used, bob's sops file is not.
    const first = get({ SSCLIENT_AGE_IDENTITY: carol.file, SOPS_AGE_KEY_FILE: bob.file });
    expect(first.code).toBe(4);
    expect(first.stderr).toContain(
      `; and no age identity given (${carol.recipient}) matches its 2 age wrappings\n`,
    );
    // -i comes before both.
    expect(get({ SSCLIENT_AGE_IDENTITY: carol.file }, ['-i', alice.file]).stdout).toBe('hunter2\n');
    // The sops default location, under HOME.
    const home = join(dir, 'home');
    const sopsDir = join(home, '.config', 'sops', 'age');
    mkdirSync(sopsDir, { recursive: true });
    copyFileSync(bob.file, join(sopsDir, 'keys.txt'));
    expect(get({ HOME: home }).stdout).toBe('hunter2\n');
    // XDG_CONFIG_HOME moves it, as it does for sops.
    expect(get({ HOME: home, XDG_CONFIG_HOME: join(dir, 'elsewhere') }).code).toBe(4);
  });

  it('no matching identity and no KMS access: one line naming what was tried, exit 4', () => {
    const r = ss(['-k', 'secrets.kms.json', '-i', carol.file, 'get', 'db'], NO_KMS);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: KMS key arn:aws:kms:[^ ]+: cannot reach KMS .*; and no age identity given \\(${carol.recipient}\\) matches its 2 age wrappings\\n$`,
      ),
    );
  });

  it('a file with only age wrappings and no matching identity: ERR_AGE_NO_IDENTITY, exit 1', () => {
    expect(ss(['create', '-s', 'team.json', '--recipient', alice.recipient]).code).toBe(0);
    const r = ss(['-s', 'team.json', '-k', 'team.kms.json', '-i', carol.file, 'list']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `error: ${join(dir, 'team.kms.json')}: no age identity given (${carol.recipient}) matches its 1 age wrapping\n`,
    });
    const none = ss(['-s', 'team.json', '-k', 'team.kms.json', 'list']);
    expect(none).toMatchObject({
      code: 1,
      stderr: `error: ${join(dir, 'team.kms.json')}: no age identity was given for its 1 age wrapping (use -i/--identity, SSCLIENT_AGE_IDENTITY or SOPS_AGE_KEY_FILE)\n`,
    });
    expect(ss(['-s', 'team.json', '-k', 'team.kms.json', '-i', alice.file, 'list'])).toMatchObject({
      code: 0,
      stdout: '',
    });
  });

  it('access add, remove (warns), remove --rekey (the removed identity cannot open the result)', () => {
    const add = ss(['-i', alice.file, 'access', 'add', carol.recipient, '--name', 'carol']);
    expect(add).toMatchObject({ code: 0, stdout: '' });
    expect(add.stderr).toBe(
      'Added carol to secrets.kms.json (under 1 KMS key and for 3 age recipients); commit it\n',
    );
    expect(ss(['-k', 'secrets.kms.json', '-i', carol.file, 'get', 'db'], NO_KMS).stdout).toBe(
      'hunter2\n',
    );

    const again = ss(['-i', alice.file, 'access', 'add', carol.recipient, '--name', 'carol2']);
    expect(again).toMatchObject({
      code: 2,
      stderr: 'error: the file already has a wrapping for that recipient (carol)\n',
    });

    // Plain remove: the warning.
    const withBob = readFileSync(join(dir, 'secrets.kms.json'));
    const removed = ss(['access', 'remove', '3']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toBe(
      `Removed ${bob.recipient} from secrets.kms.json (under 1 KMS key and for 2 age recipients left)\n` +
        `warning: ${bob.recipient} may have kept the vault key, which still opens secrets.json: run "ssclient access rekey" to re-key it for those who remain, and rotate the secrets ${bob.recipient} could read\n`,
    );
    const bobNow = ss(['-k', 'secrets.kms.json', '-i', bob.file, 'get', 'db'], NO_KMS);
    expect(bobNow.code).toBe(4);
    // ... but a copy of the old file still opens the vault for bob: why --rekey exists.
    writeText(dir, 'old.kms.json', withBob.toString('utf8'), 0o644);
    expect(ss(['-k', 'old.kms.json', '-i', bob.file, 'get', 'db'], NO_KMS).stdout).toBe(
      'hunter2\n',
    );

    const ivBefore = parseVault(readFileSync(join(dir, 'secrets.json')), 'v').iv;
    const carolFile = readFileSync(join(dir, 'secrets.kms.json'));
    const rekey = ss(['-i', alice.file, 'access', 'remove', 'carol', '--rekey']);
    expect(rekey.code, rekey.stderr).toBe(0);
    expect(rekey.stderr).toBe(
      'Wrote the new wrapped key file to secrets.kms.json.new; the vault still opens with the old key.\n' +
        'Re-encrypted 1 secret in secrets.json: it now opens with secrets.kms.json.new.\n' +
        'Verified: every secret in secrets.json decrypts to its old value under the new key.\n' +
        'Moved secrets.kms.json.new to secrets.kms.json: secrets.kms.json opens secrets.json.\n' +
        'Removed carol and re-keyed secrets.json under 1 KMS key and for 1 age recipient; commit secrets.json and secrets.kms.json, and rotate the secrets carol could read\n',
    );
    expect(parseVault(readFileSync(join(dir, 'secrets.json')), 'v').iv).not.toBe(ivBefore);
    expect(ss(['access', 'list']).stdout).toMatch(
      new RegExp(`^1 aws-kms .*\\n2 age ${alice.recipient}\\n$`),
    );
    // The remaining doors open the new vault: alice without KMS, and KMS.
    expect(ss(['-k', 'secrets.kms.json', '-i', alice.file, 'get', 'db'], NO_KMS).stdout).toBe(
      'hunter2\n',
    );
    expect(ss(['-k', 'secrets.kms.json', 'get', 'db']).stdout).toBe('hunter2\n');
    // carol cannot: not with the new file, not with the old one she may have kept.
    expect(ss(['-k', 'secrets.kms.json', '-i', carol.file, 'get', 'db'], NO_KMS).code).toBe(4);
    writeText(dir, 'carol.kms.json', carolFile.toString('utf8'), 0o644);
    const stale = ss(['-k', 'carol.kms.json', '-i', carol.file, 'get', 'db'], NO_KMS);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: wrong key for .*secrets\.json/);
  });

  it('rekey --kms over a file with age recipients is refused (it would drop them)', () => {
    const before = readFileSync(join(dir, 'secrets.kms.json'));
    const vault = readFileSync(join(dir, 'secrets.json'));
    const r = ss(['-k', 'secrets.kms.json', '-i', alice.file, 'rekey', '--kms', target.key1]);
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'error: secrets.kms.json also opens the vault for 1 age recipient, which rekey --kms would drop: use "ssclient access rekey" (it keeps every KMS key and recipient), or --kms-file for another file\n',
    });
    expect(readFileSync(join(dir, 'secrets.kms.json')).equals(before)).toBe(true);
    expect(readFileSync(join(dir, 'secrets.json')).equals(vault)).toBe(true);
  });

  it('hostile recipients and names on the command line: exit 2, one line, nothing written', () => {
    const before = readFileSync(join(dir, 'secrets.kms.json'));
    const cases: [string[], string][] = [
      [
        [`${alice.recipient}\u001b[2J`],
        'error: not an age recipient: it contains control characters\n',
      ],
      [
        ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA'],
        'error: not an age recipient: SSH public keys are not supported (the age library this tool uses has no SSH recipients); use an age1… key from age-keygen\n',
      ],
      [
        [bob.recipient, '--name', '\u202eevil'],
        'error: label: not a valid label: it contains control characters\n',
      ],
      [
        [bob.recipient, '--name', '7'],
        'error: label: not a valid label: it is a number (numbers name wrappings by position)\n',
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = ss(['-i', alice.file, 'access', 'add', ...args]);
      expect(r, args.join(' ')).toMatchObject({ code: 2, stdout: '', stderr });
    }
    expect(readFileSync(join(dir, 'secrets.kms.json')).equals(before)).toBe(true);
  });

  it('an identity file others can read: a warning, and it is still used', () => {
    const open = writeText(dir, 'open.txt', readFileSync(alice.file, 'utf8'), 0o640);
    const r = ss(['-k', 'secrets.kms.json', '-i', open, 'get', 'db'], NO_KMS);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
      stderr: `warning: the age identity file ${open} can be read by other users (mode 0640); run chmod 600 ${open}\n`,
    });
  });
});
