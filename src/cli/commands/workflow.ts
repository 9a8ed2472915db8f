/** Commands added by their own issue; registered here so that main.ts stays stable. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { Register } from './register.js';

export function registerWorkflowCommands(_program: Command, _ctx: Context, _bind: Register): void {}
