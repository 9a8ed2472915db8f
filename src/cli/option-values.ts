/**
 * Values that both a command's registration (help, checks) and its body use: a leaf, so that
 * neither side copies them and a registration never loads a body to read one.
 */
import { EXPORT_FORMATS } from '../workflow/export-format-names.js';

/** Every `get --format`: the reference's json and text, then the exports. */
export const GET_FORMATS: readonly string[] = ['json', 'text', ...EXPORT_FORMATS];

/** Environment variable holding the new password for `rekey --new-password` off a terminal. */
export const NEW_PASSWORD_ENV = 'SSCLIENT_NEW_PASSWORD';
