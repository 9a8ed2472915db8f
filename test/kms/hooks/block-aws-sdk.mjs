// `node --import ./block-aws-sdk.mjs …`: any attempt to load the AWS SDK fails, so a command
// that succeeds under it provably never loaded @aws-sdk/* (test/kms/kms-cli.test.ts).
import { register } from 'node:module';

register('./block-aws-sdk-hooks.mjs', import.meta.url);
